"""Solvers for a budgeted selection: exact, simulated annealing, QAOA, VQE and Grover adaptive search.

No quantum computer is reachable here: QAOA, VQE and Grover run on a classical simulator (Qiskit
Aer or Qiskit's statevector sampler) and every result says so. Each answer is scored against the
exact optimum over all k-subsets, so an analyst sees what the quantum method did, not what it promises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from core.errors import LydianError
from core.quantum.qubo import Selection

QUANTUM_LABEL = "classical simulation of a quantum algorithm"
MAX_EXACT = 22  # 2^22 states: the brute-force limit that still answers in seconds
MAX_CIRCUIT = 16  # statevector qubits beyond which one circuit evaluation takes minutes on 2 cores
MAX_GROVER = 13  # Grover runs many oracle circuits; at 15 qubits one solve took minutes here


class SolverError(LydianError, ValueError):
    """A solver asked for a problem it cannot take (unknown name, too many qubits, missing library)."""


@dataclass
class Solution:
    """One solver's answer, scored against the exact optimum (JSON-ready via `to_dict`)."""

    solver: str
    label: str
    selection: list[str]
    feasible: bool
    objective: float
    optimum: float
    approximation_ratio: float | None  # 1 = optimum, 0 = worst k-subset; None when the budget is broken
    p_optimal: float  # probability the method samples the optimum (share of reads, or |amplitude|^2)
    qubits: int
    depth: int
    shots: int
    wall_s: float
    simulated: bool = True  # no quantum hardware anywhere: the classical solvers are simulated too

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _normalised(problem: Selection) -> np.ndarray:
    q, _ = problem.qubo()
    return q / np.abs(q).max()  # same argmin; angles and temperatures stay in a sane range


def _states(n: int) -> np.ndarray:
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)


def exact(problem: Selection, seed: int = 0) -> tuple[np.ndarray, float, dict[str, int]]:
    """Enumerate all 2^n states of the penalised QUBO (checks the penalty as well as the optimum)."""
    if problem.n > MAX_EXACT:
        raise SolverError(f"exact enumeration handles at most {MAX_EXACT} items, got {problem.n}")
    q = _normalised(problem)
    states = _states(problem.n)
    energy = np.einsum("si,ij,sj->s", states, q, states)
    return states[int(energy.argmin())], 1.0, {"depth": 0, "shots": 0}


def annealing(problem: Selection, seed: int = 0, reads: int = 100, sweeps: int = 1000) -> tuple[np.ndarray, float, dict[str, int]]:
    """dwave-samplers' simulated annealing on the QUBO; p_optimal is the share of reads at the optimum."""
    from dwave.samplers import SimulatedAnnealingSampler

    q = _normalised(problem)
    terms = {(i, j): float(q[i, j]) for i in range(problem.n) for j in range(i, problem.n) if q[i, j] != 0}
    result = SimulatedAnnealingSampler().sample_qubo(terms, num_reads=reads, num_sweeps=sweeps, seed=seed)
    reads_x = np.array([[row[i] for i in range(problem.n)] for row in result.record.sample], dtype=float)
    counts = result.record.num_occurrences
    best = reads_x[int(np.argmin(result.record.energy))]
    rows, values = problem.feasible()
    target = rows[int(values.argmin())]
    hit = float(counts[(reads_x == target).all(axis=1)].sum() / counts.sum())
    return best, hit, {"depth": 0, "shots": int(counts.sum())}


def _program(q: np.ndarray):  # noqa: ANN202 (qiskit type imported lazily)
    from qiskit_optimization import QuadraticProgram

    program = QuadraticProgram()
    for i in range(len(q)):
        program.binary_var(f"x{i}")
    program.minimize(linear=np.diag(q).tolist(),
                     quadratic={(i, j): float(q[i, j]) for i in range(len(q)) for j in range(i + 1, len(q)) if q[i, j]})
    return program


def _p_optimal(problem: Selection, samples: list) -> float:  # noqa: ANN001
    rows, values = problem.feasible()
    target = rows[int(values.argmin())]
    return float(sum(s.probability for s in samples if np.array_equal(np.round(s.x), target)))


def _circuit_guard(problem: Selection, extra: int = 0, limit: int = MAX_CIRCUIT) -> None:
    if problem.n + extra > limit:
        raise SolverError(f"{problem.n + extra} qubits is beyond what the simulator handles here (at most {limit})")


def qaoa(problem: Selection, seed: int = 0, reps: int = 2, maxiter: int = 100, shots: int = 1024) -> tuple[np.ndarray, float, dict[str, int]]:
    """QAOA (p=reps) tuned by COBYLA on Aer's sampler, through qiskit-optimization's MinimumEigenOptimizer."""
    _circuit_guard(problem)
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2
    from qiskit_algorithms import QAOA
    from qiskit_algorithms.optimizers import COBYLA
    from qiskit_optimization.algorithms import MinimumEigenOptimizer
    from qiskit.transpiler import generate_preset_pass_manager

    manager = generate_preset_pass_manager(optimization_level=1, backend=AerSimulator())
    solver = QAOA(sampler=SamplerV2(seed=seed, default_shots=shots), optimizer=COBYLA(maxiter=maxiter), reps=reps,
                  transpiler=manager, initial_point=np.full(2 * reps, 0.5))
    result = MinimumEigenOptimizer(solver).solve(_program(_normalised(problem)))
    depth = manager.run(result.min_eigen_solver_result.optimal_circuit).depth()
    return result.x, _p_optimal(problem, result.samples), {"depth": depth, "shots": shots}


def vqe(problem: Selection, seed: int = 0, reps: int = 2, maxiter: int = 200, shots: int = 1024) -> tuple[np.ndarray, float, dict[str, int]]:
    """Sampling VQE with a RealAmplitudes ansatz from a seeded start (a random start is irreproducible)."""
    _circuit_guard(problem)
    from qiskit.circuit.library import real_amplitudes
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2
    from qiskit_algorithms import SamplingVQE
    from qiskit_algorithms.optimizers import COBYLA
    from qiskit_optimization.algorithms import MinimumEigenOptimizer

    ansatz = generate_preset_pass_manager(optimization_level=1, backend=AerSimulator()).run(real_amplitudes(problem.n, reps=reps))
    start = np.random.default_rng(seed).uniform(-np.pi, np.pi, ansatz.num_parameters)
    solver = SamplingVQE(sampler=SamplerV2(seed=seed, default_shots=shots), ansatz=ansatz,
                         optimizer=COBYLA(maxiter=maxiter), initial_point=start)
    result = MinimumEigenOptimizer(solver).solve(_program(_normalised(problem)))
    return result.x, _p_optimal(problem, result.samples), {"depth": ansatz.depth(), "shots": shots}


def grover(problem: Selection, seed: int = 0, scale: int = 7, iterations: int = 5) -> tuple[np.ndarray, float, dict[str, int]]:
    """Grover adaptive search; it needs integer coefficients, so the QUBO is rounded to +-scale (said in the result)."""
    q = np.round(_normalised(problem) * scale)
    value_qubits = int(np.ceil(np.log2(np.abs(q).sum() + 1))) + 1
    _circuit_guard(problem, value_qubits, MAX_GROVER)
    from qiskit.primitives import StatevectorSampler
    from qiskit_optimization.algorithms import GroverOptimizer

    result = GroverOptimizer(num_value_qubits=value_qubits, num_iterations=iterations,
                             sampler=StatevectorSampler(seed=seed)).solve(_program(q))
    return result.x, _p_optimal(problem, result.samples), {"depth": 0, "shots": 1024, "value_qubits": value_qubits}


SOLVERS: dict[str, tuple[Callable[..., tuple[np.ndarray, float, dict[str, int]]], str]] = {
    "exact": (exact, "classical exact enumeration of every state"),
    "annealing": (annealing, "classical simulated annealing (dwave-samplers)"),
    "qaoa": (qaoa, QUANTUM_LABEL),
    "vqe": (vqe, QUANTUM_LABEL),
    "grover": (grover, QUANTUM_LABEL),
}


def solve(problem: Selection, solver: str, seed: int = 0) -> Solution:
    """Run one solver and score its choice against the exact optimum over all k-subsets."""
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if problem.n > MAX_EXACT:
        raise SolverError(f"{problem.n} items: the exact optimum every answer is scored against stops at {MAX_EXACT}")
    function, label = SOLVERS[solver]
    start = time.perf_counter()
    try:
        x, p_optimal, meta = function(problem, seed=seed)
    except ImportError as exc:
        raise SolverError(f"solver {solver} needs the quantum extra: pip install -e '.[quantum]' ({exc.name} missing)") from exc
    wall = time.perf_counter() - start
    x = np.round(np.asarray(x, dtype=float))
    _, values = problem.feasible()
    best, worst = float(values.min()), float(values.max())
    feasible = int(x.sum()) == problem.k
    value = problem.objective(x)
    ratio = (1.0 if worst == best else round((worst - value) / (worst - best), 10)) if feasible else None
    qubits = 0 if solver in ("exact", "annealing") else problem.n + meta.get("value_qubits", 0)
    return Solution(solver, label, problem.chosen(x), feasible, value, best, ratio, p_optimal, qubits,
                    meta["depth"], meta["shots"], round(wall, 4))


def compare(problem: Selection, solvers: list[str], seed: int = 0) -> list[Solution]:
    """Several solvers on one problem, in the given order (the Quantum page's table and the benchmark)."""
    return [solve(problem, name, seed=seed) for name in solvers]
