"""Quantum-kernel classifiers as forecasters, each beside its classical twin on the same inputs.

No quantum computer is used: the fidelity kernel |<phi(x)|phi(x')>|^2 of a ZZ feature map is
computed from exact statevectors (qiskit-machine-learning's FidelityStatevectorKernel). A circuit
has one qubit per input, so the features are first projected on their leading principal axes
(`core.quantum.projection`, fitted on the training rows only) and the kernel sees at most ``max_train`` recent rows: the
Gram matrix grows with their square. The classical twin runs the same pipeline with an RBF kernel,
so any difference is the kernel's. Saved as safetensors + JSON: support rows, dual coefficients
and the sigmoid that turns the margin into P(up); no pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import DataError
from core.models import capabilities as cap
from core.models.base import Model
from core.models.config import _Config
from core.quantum.projection import Projection, recent_training

FAMILY = "quantum"
STATEVECTOR_CACHE = 50_000  # rows whose statevectors are kept (3 qubits: 8 amplitudes, ~0.1 MB per 1,000 rows)
ARRAYS = "kernel_svm.safetensors"


def fidelity_kernel(a: np.ndarray, b: np.ndarray, reps: int = 1) -> np.ndarray:
    """|<phi(a_i)|phi(b_j)>|^2 of a ZZ feature map (one qubit per column of angles), from exact statevectors.

    The statevectors are qiskit-machine-learning's (its kernel's own simulation and cache); the fidelities,
    which its `evaluate` takes one pair at a time in Python, are one matrix product here: the same numbers
    (to 1e-12, tested), without a Python loop over every pair.
    """
    kernel = _statevector_kernel(a.shape[1], reps)
    states = [np.array([kernel._get_statevector(tuple(map(float, row))) for row in rows]) for rows in (a, b)]
    return np.abs(states[0].conj() @ states[1].T) ** 2


@lru_cache(maxsize=8)
def _statevector_kernel(qubits: int, reps: int) -> Any:
    """One kernel per circuit shape, keeping its statevectors between calls: simulating a row costs ~5 ms,
    and a walk-forward meets the same bars again (support rows, refits, the live window)."""
    from qiskit.circuit.library import zz_feature_map
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    return FidelityStatevectorKernel(feature_map=zz_feature_map(qubits, reps=reps), cache_size=STATEVECTOR_CACHE,
                                     auto_clear_cache=False)


@dataclass(frozen=True)
class KernelConfig(_Config):
    """Small by design: statevector cost doubles per qubit and the kernel grows with rows squared."""

    qubits: int = 3  # principal axes fed to the circuit (one qubit each)
    reps: int = 1  # repetitions of the ZZ feature map
    max_train: int = 200  # most recent training rows the kernel sees
    c: float = 1.0  # SVM regularisation
    horizon: int = 1


class KernelSvm(Model):
    """SVM on a precomputed kernel: the quantum fidelity kernel, or the RBF twin (``quantum=False``)."""

    family = FAMILY
    tags = frozenset({cap.STORABLE, cap.TRAINABLE, cap.RETURN_FORECAST, cap.KERNEL})
    quantum = True

    def _project(self, x: np.ndarray) -> np.ndarray:
        return self.projection_.angles(x)  # angles for the feature map

    def _kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not self.quantum:
            from sklearn.metrics.pairwise import rbf_kernel

            return rbf_kernel(a, b, gamma=1.0 / a.shape[1])
        return fidelity_kernel(a, b, int(self.config.reps))

    def _fit(self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
             seed: int, device: str | None, progress: Any) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import SVC

        rows, target, direction, self.projection_ = recent_training(
            x_train, y_train, int(self.config.max_train), int(self.config.qubits), self.model_id)
        z = self._project(rows)
        svm = SVC(kernel="precomputed", C=float(self.config.c), random_state=seed).fit(self._kernel(z, z), direction)
        self.support_ = z[svm.support_]
        self.dual_ = svm.dual_coef_[0].astype(np.float64)
        self.intercept_ = float(svm.intercept_[0])
        margin = self.support_kernel_margin(z)
        platt = LogisticRegression().fit(margin[:, None], direction)
        self.platt_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        returns = target[:, 1]
        self.up_mean_ = float(returns[direction == 1].mean())
        self.down_mean_ = float(returns[direction == 0].mean())

    def support_kernel_margin(self, z: np.ndarray) -> np.ndarray:
        """The SVM's signed margin: kernel to the support rows times the dual coefficients."""
        return self._kernel(z, self.support_) @ self.dual_ + self.intercept_

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        margin = self.support_kernel_margin(self._project(x))
        slope, bias = self.platt_
        p_up = 1.0 / (1.0 + np.exp(-(slope * margin + bias)))
        return p_up, p_up * self.up_mean_ + (1 - p_up) * self.down_mean_

    def _save_weights(self, folder: Path) -> dict[str, Any]:
        from safetensors.numpy import save_file

        save_file({**self.projection_.arrays(), "support": np.ascontiguousarray(self.support_), "dual": self.dual_},
                  folder / ARRAYS)
        return {"intercept": self.intercept_, "platt": list(self.platt_), "up_mean": self.up_mean_,
                "down_mean": self.down_mean_}

    def _load_weights(self, folder: Path, state: dict[str, Any]) -> None:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        try:
            arrays = load_file(folder / ARRAYS)
            self.support_, self.dual_ = arrays["support"], arrays["dual"]
            self.intercept_, self.platt_ = float(state["intercept"]), tuple(map(float, state["platt"]))
            self.up_mean_, self.down_mean_ = float(state["up_mean"]), float(state["down_mean"])
        except (OSError, SafetensorError, KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{self.model_id}: the stored kernel SVM cannot be read ({exc})") from None
        self.projection_ = Projection.from_arrays(arrays, self.model_id)
        if self.support_.shape[1] != self.projection_.axes.shape[1] or len(self.dual_) != len(self.support_):
            raise DataError(f"{self.model_id}: the stored kernel SVM arrays do not fit together")

    def n_parameters(self) -> int:
        return int(self.dual_.size + 1) if hasattr(self, "dual_") else 0


class RbfTwin(KernelSvm):
    """The classical twin: identical projection, rows and SVM, with an RBF kernel instead of the circuit."""

    quantum = False
