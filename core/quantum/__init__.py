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
PENDING = ("vqc", "qnn", "quantum_kmeans", "quantum_lstm", "quantum_boltzmann", "quantum_attention",
           "quantum_ensemble_boosting")

__all__ = ["EXTRA", "MODELS", "NOT_BUILT", "PENDING", "QUANTUM_LABEL", "QuboError", "SOLVERS", "Selection", "Solution", "SolverError",
           "compare", "ensemble_selection", "portfolio_selection", "solve"]
