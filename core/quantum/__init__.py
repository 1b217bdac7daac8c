"""Quantum(-inspired) optimisation on a classical simulator, always scored against the exact answer (issue 27).

`qubo` turns budgeted selections (k assets, k ensemble members) into QUBOs; `solvers` answers them
exactly, by simulated annealing, and by QAOA, VQE and Grover adaptive search simulated with Qiskit.
Qiskit and dwave-samplers are the pip extra ``quantum`` and are imported only when a solver runs.
"""

from __future__ import annotations

from core.quantum.qubo import QuboError, Selection, ensemble_selection, portfolio_selection
from core.quantum.solvers import QUANTUM_LABEL, SOLVERS, Solution, SolverError, solve

EXTRA = "quantum"

# Methods the specification names that have no meaningful construction here, and why (`lydian quantum list`).
NOT_BUILT = {
    "shor_patterns": "Shor's algorithm factors integers; price patterns have no factoring structure to exploit",
    "quantum_boltzmann": "a quantum Boltzmann machine needs a thermal-state sampler no simulator here provides at useful size",
    "quantum_lstm": "a variational circuit per gate per step is beyond this machine's budget for now",
}

__all__ = ["EXTRA", "NOT_BUILT", "QUANTUM_LABEL", "QuboError", "SOLVERS", "Selection", "Solution", "SolverError",
           "ensemble_selection", "portfolio_selection", "solve"]
