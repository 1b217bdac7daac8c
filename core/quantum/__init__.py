"""Quantum(-inspired) optimisation on a classical simulator, always scored against the exact answer (issue 27).

`qubo` turns budgeted selections (k assets, k ensemble members) into QUBOs; `solvers` answers them
exactly, by simulated annealing, and by QAOA, VQE and Grover adaptive search simulated with Qiskit.
Qiskit and dwave-samplers are the pip extra ``quantum`` and are imported only when a solver runs.
"""

from __future__ import annotations

from core.models import registry
from core.models.base import Model
from core.models.config import _Config
from core.quantum.qml import FAMILY, KernelConfig, KernelSvm, RbfTwin
from core.quantum.qnn import MlpTwin, QnnConfig, QuantumNet
from core.quantum.qubo import QuboError, Selection, ensemble_selection, portfolio_selection
from core.quantum.solvers import QUANTUM_LABEL, SOLVERS, Solution, SolverError, compare, solve
from core.quantum.variational import LogisticTwin, VariationalClassifier, VariationalConfig

EXTRA = "quantum"
KERNEL_LIBRARIES = ("qiskit", "qiskit_machine_learning")  # scikit-learn is a base dependency

# id -> (class, defaults, library modules, description); the quantum models and their classical twins side by side
MODELS: dict[str, tuple[type[Model], _Config, tuple[str, ...], str]] = {
    "qsvm": (KernelSvm, KernelConfig(), KERNEL_LIBRARIES, "quantum-kernel SVM: ZZ feature-map fidelity kernel on 3 "
             "principal axes (classical statevector simulation)"),
    "svm_rbf_twin": (RbfTwin, KernelConfig(), (), "classical twin of qsvm: the same SVM and inputs with an RBF kernel"),
    "vqc": (VariationalClassifier, VariationalConfig(), KERNEL_LIBRARIES, "variational quantum classifier (qiskit-ml "
            "VQC) on 2 principal axes, parameter-shift gradient descent (classical statevector simulation)"),
    "logistic_twin": (LogisticTwin, VariationalConfig(), (), "classical twin of vqc: logistic regression on the same "
                      "2 principal axes and rows"),
    "qnn": (QuantumNet, QnnConfig(), KERNEL_LIBRARIES + ("torch",), "quantum neural network: EstimatorQNN through "
            "TorchConnector on 2 principal axes, shared trainer, parameter-shift gradients (classical simulation)"),
    "mlp_twin": (MlpTwin, QnnConfig(), ("torch",), "classical twin of qnn: a tanh MLP of about its size (7 weights "
                 "against 8) on the same inputs, same trainer"),
}

for _id, (_cls, _defaults, _requires, _description) in MODELS.items():
    registry.register(registry.ModelSpec(
        _id, FAMILY, _description, _defaults, lambda model_id, config, cls=_cls: cls(model_id, config),
        sequence=False, tags=_cls.tags, requires=_requires,
        extra=EXTRA if _cls.quantum else ("nets" if "torch" in _requires else ""),
    ))

# Methods the specification names that have no meaningful construction here, and why (`lydian quantum list`).
NOT_BUILT = {
    "shor_patterns": "Shor's algorithm factors integers; price patterns have no factoring structure to exploit",
}
# Named methods that are meaningful but not built yet (issue 27 is open for them): listed, never pretended.
PENDING = ("quantum_boltzmann", "quantum_attention", "quantum_ensemble_boosting")
# Built as far as a measurement and withdrawn: too slow to be usable even tiny, with the measured reason.
TOO_SLOW = {
    "quantum_lstm": "a hybrid quantum LSTM (4 gate circuits, 2 qubits, lookback 4, EstimatorQNN through TorchConnector, "
                    "parameter-shift gradients) took 2.7-3.0 s per training window forward and backward (batch of 16: "
                    "2.0 s forward, 40-46 s backward; benchmarks/quantum.py qlstm_step, shared 2-core machine): ~45-50 "
                    "min per epoch on 1,000 windows and ~18 min to forecast a year of hourly bars, for a 2-qubit memory",
}
# The regime detector built on the quantum kernel (core.regimes registry), beside its classical twin kmeans.
REGIME_DETECTORS = {"quantum_kmeans": "spectral clustering on the ZZ fidelity kernel of the regime inputs; twin: kmeans"}



def catalogue() -> dict[str, object]:
    """What `lydian quantum list` and the API list: solvers, forecasters, detectors, and what is not built, why."""
    return {"solvers": {name: label for name, (_, label) in SOLVERS.items()},
            "forecasters": {name: description for name, (*_, description) in MODELS.items()},
            "regime_detectors": REGIME_DETECTORS, "too_slow": TOO_SLOW, "not_built": NOT_BUILT,
            "pending": list(PENDING), "simulated": True}


__all__ = ["catalogue", "EXTRA", "MODELS", "NOT_BUILT", "PENDING", "REGIME_DETECTORS", "TOO_SLOW", "QUANTUM_LABEL", "QuboError", "SOLVERS", "Selection", "Solution", "SolverError",
           "compare", "ensemble_selection", "portfolio_selection", "solve"]
