"""The variational quantum classifier (VQC) and its classical twin, logistic regression, on the same inputs.

VQC is qiskit-machine-learning's: a ZZ feature map then a RealAmplitudes ansatz, measured and read
as parity, the class probabilities computed exactly (the library's QMLSampler without shots, a
classical statevector simulation). It is trained by gradient descent on the cross-entropy with
circuit gradients by the parameter-shift rule: ParamShiftSamplerGradient is already the library's
default for a SamplerQNN and is set explicitly, so a library change cannot swap it silently. Each
gradient costs two circuits per weight per row, so the circuit sees few rows, qubits and steps.
The twin fits logistic regression on the very same projected rows, so any difference is the circuit's.
Saved as safetensors (projection, weights) + JSON (return means); no pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import DataError
from core.models import capabilities as cap
from core.models.base import Model
from core.models.config import _Config
from core.quantum.projection import Projection, recent_training

FAMILY = "quantum"
ARRAYS = "classifier.safetensors"


@dataclass(frozen=True)
class VariationalConfig(_Config):
    """Tiny by design: every gradient step simulates 2 x weights circuits for every training row."""

    qubits: int = 2  # principal axes fed to the circuit (one qubit each)
    reps: int = 1  # ansatz repetitions: qubits x (reps + 1) weights
    max_train: int = 32  # most recent training rows the circuit is trained on
    maxiter: int = 3  # gradient-descent steps
    learning_rate: float = 0.5
    horizon: int = 1


class ProjectedClassifier(Model):
    """P(up) from a few projected inputs; subclasses fit ``weights_`` and turn angles into P(up)."""

    family = FAMILY
    tags = frozenset({cap.STORABLE, cap.TRAINABLE, cap.RETURN_FORECAST})
    quantum = True

    def _fit(self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
             seed: int, device: str | None, progress: Any) -> None:
        rows, target, direction, self.projection_ = recent_training(
            x_train, y_train, int(self.config.max_train), int(self.config.qubits), self.model_id)
        self.weights_ = np.asarray(self._fit_weights(self.projection_.angles(rows), direction, seed), dtype=np.float64)
        self.up_mean_ = float(target[direction == 1, 1].mean())
        self.down_mean_ = float(target[direction == 0, 1].mean())

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p_up = np.clip(self._p_up(self.projection_.angles(x)), 0.0, 1.0)
        return p_up, p_up * self.up_mean_ + (1 - p_up) * self.down_mean_

    def _save_weights(self, folder: Path) -> dict[str, Any]:
        from safetensors.numpy import save_file

        save_file({**self.projection_.arrays(), "weights": np.ascontiguousarray(self.weights_)}, folder / ARRAYS)
        return {"up_mean": self.up_mean_, "down_mean": self.down_mean_}

    def _load_weights(self, folder: Path, state: dict[str, Any]) -> None:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        try:
            arrays = load_file(folder / ARRAYS)
            self.weights_ = np.asarray(arrays["weights"], dtype=np.float64)
            self.up_mean_, self.down_mean_ = float(state["up_mean"]), float(state["down_mean"])
        except (OSError, SafetensorError, KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{self.model_id}: the stored classifier cannot be read ({exc})") from None
        self.projection_ = Projection.from_arrays(arrays, self.model_id)
        if self.weights_.shape != (self.n_weights(self.projection_.axes.shape[1]),):
            raise DataError(f"{self.model_id}: the stored weights do not fit a {self.projection_.axes.shape[1]}-qubit model")

    def n_parameters(self) -> int:
        return int(self.weights_.size) if hasattr(self, "weights_") else 0

    # ---- what each classifier implements
    def _fit_weights(self, z: np.ndarray, direction: np.ndarray, seed: int) -> np.ndarray:
        raise NotImplementedError

    def _p_up(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def n_weights(self, inputs: int) -> int:
        raise NotImplementedError


class VariationalClassifier(ProjectedClassifier):
    """qiskit-machine-learning's VQC, trained with parameter-shift gradients."""

    def _vqc(self, qubits: int, optimizer: Any = None, initial_point: np.ndarray | None = None) -> Any:
        from qiskit.circuit.library import real_amplitudes, zz_feature_map
        from qiskit_machine_learning.algorithms import VQC
        from qiskit_machine_learning.gradients import ParamShiftSamplerGradient
        from qiskit_machine_learning.primitives import QMLSampler

        sampler = QMLSampler()  # no shots: exact probabilities, so forecasts are reproducible
        vqc = VQC(feature_map=zz_feature_map(qubits, reps=1), ansatz=real_amplitudes(qubits, reps=int(self.config.reps)),
                  optimizer=optimizer, initial_point=initial_point, sampler=sampler)
        vqc.neural_network.gradient = ParamShiftSamplerGradient(sampler=sampler)  # the default, made explicit
        return vqc

    def n_weights(self, inputs: int) -> int:
        return inputs * (int(self.config.reps) + 1)

    def _fit_weights(self, z: np.ndarray, direction: np.ndarray, seed: int) -> np.ndarray:
        from qiskit_machine_learning.optimizers import GradientDescent

        start = np.random.default_rng(seed).uniform(-np.pi / 4, np.pi / 4, self.n_weights(z.shape[1]))
        optimizer = GradientDescent(maxiter=int(self.config.maxiter), learning_rate=float(self.config.learning_rate))
        vqc = self._vqc(z.shape[1], optimizer, start)
        vqc.fit(z, direction)
        return vqc.weights

    def _p_up(self, z: np.ndarray) -> np.ndarray:
        return self._vqc(z.shape[1]).neural_network.forward(z, self.weights_)[:, 1]  # column 1: label 1 (up)


class LogisticTwin(ProjectedClassifier):
    """The classical twin of vqc: logistic regression on the same projected rows."""

    quantum = False

    def n_weights(self, inputs: int) -> int:
        return inputs + 1

    def _fit_weights(self, z: np.ndarray, direction: np.ndarray, seed: int) -> np.ndarray:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0, random_state=seed).fit(z, direction)
        return np.concatenate([model.coef_[0], model.intercept_])

    def _p_up(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(z @ self.weights_[:-1] + self.weights_[-1])))
