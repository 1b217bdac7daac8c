"""A quantum neural network (qnn) in torch, and its classical twin: an MLP of about its size, same inputs.

The circuit, a ZZ feature map then a RealAmplitudes ansatz read out as the parity <Z...Z>, is
qiskit-machine-learning's EstimatorQNN behind its TorchConnector, so the shared trainer
(`core.models.trainer.train_module`: AdamW, early stopping, seeded batches) trains it like any net.
Circuit gradients are by the parameter-shift rule: ParamShiftEstimatorGradient is the library's
default for an EstimatorQNN and is set explicitly. Expectations are exact (QMLEstimator without
shots, a classical statevector simulation). The projection to the few qubit inputs is fixed
before training (`core.quantum.projection`) and kept as buffers, so one safetensors file holds the
whole net; no pickle. Both nets end in the same linear head giving [logit P(up), standardised return].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import DataError
from core.models import capabilities as cap
from core.models.base import Model
from core.models.config import NetConfig, _Config
from core.quantum.projection import Projection, two_directions

FAMILY = "quantum"
WEIGHTS = "qnn.safetensors"


@dataclass(frozen=True)
class QnnConfig(_Config):
    """Tiny by design: each row of each batch costs 2 x weights circuit runs for its gradient."""

    qubits: int = 2
    reps: int = 1  # ansatz repetitions: qubits x (reps + 1) circuit weights
    max_train: int = 32  # most recent training rows (and validation rows) the net trains on
    epochs: int = 2
    batch_size: int = 16
    lr: float = 0.05
    twin_hidden: int = 1  # the MLP twin's hidden width: 3 + 4 weights against the circuit's 4 + 4
    horizon: int = 1

    def trainer(self) -> NetConfig:
        """The shared trainer's settings: one bar per window, every epoch run (no early stop on 2 epochs)."""
        return NetConfig(lookback=1, max_epochs=self.epochs, patience=self.epochs, batch_size=self.batch_size,
                         lr=self.lr, weight_decay=0.0, grad_clip=1.0, return_weight=0.5)


def _net(n_features: int, config: QnnConfig, quantum: bool, seed: int = 0) -> Any:
    """The torch module: fixed projection buffers, the circuit (or MLP), a linear head of 2 outputs."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            qubits = int(config.qubits)
            self.register_buffer("center", torch.zeros(n_features, dtype=torch.float64))
            self.register_buffer("axes", torch.zeros(n_features, qubits, dtype=torch.float64))
            self.register_buffer("spread", torch.ones(qubits, dtype=torch.float64))
            self.body = _circuit(qubits, int(config.reps), seed) if quantum else nn.Sequential(
                nn.Linear(qubits, int(config.twin_hidden)), nn.Tanh())
            self.head = nn.Linear(1 if quantum else int(config.twin_hidden), 2)

        def forward(self, windows: torch.Tensor) -> torch.Tensor:
            z = (windows[:, -1].double() - self.center) @ self.axes
            angles = torch.clamp(z / self.spread, -np.pi, np.pi).float()
            return self.head(self.body(angles).float())

    return Net()


def _circuit(qubits: int, reps: int, seed: int) -> Any:
    """EstimatorQNN (parity readout, parameter-shift gradients) as a torch module."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import real_amplitudes, zz_feature_map
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_machine_learning.connectors import TorchConnector
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
    from qiskit_machine_learning.neural_networks import EstimatorQNN
    from qiskit_machine_learning.primitives import QMLEstimator

    feature_map, ansatz = zz_feature_map(qubits, reps=1), real_amplitudes(qubits, reps=reps)
    circuit = QuantumCircuit(qubits).compose(feature_map).compose(ansatz)
    estimator = QMLEstimator()
    qnn = EstimatorQNN(circuit=circuit, estimator=estimator, observables=SparsePauliOp("Z" * qubits),
                       input_params=feature_map.parameters, weight_params=ansatz.parameters,
                       gradient=ParamShiftEstimatorGradient(estimator=estimator))
    start = np.random.default_rng(seed).uniform(-np.pi / 4, np.pi / 4, qnn.num_weights)
    return TorchConnector(qnn, initial_weights=start)


class QuantumNet(Model):
    """The qnn forecaster; ``quantum = False`` gives its MLP twin."""

    family = FAMILY
    tags = frozenset({cap.STORABLE, cap.TRAINABLE, cap.RETURN_FORECAST})
    quantum = True

    def _fit(self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray, *,
             seed: int, device: str | None, progress: Any) -> None:
        import torch

        from core.models.trainer import seed_everything, train_module

        keep = int(self.config.max_train)
        rows, target = x_train[-keep:], y_train[-keep:]
        two_directions(target[:, 0], self.model_id)
        self.return_mean_ = float(target[:, 1].mean())
        self.return_std_ = float(target[:, 1].std()) or 1.0
        seed_everything(seed)
        self.net_ = self._build(rows.shape[1], seed)
        projection = Projection.fit(rows, int(self.config.qubits))
        for name, array in projection.arrays().items():
            getattr(self.net_, name).copy_(torch.from_numpy(array))
        result = train_module(self.net_, rows, self._targets(target), x_valid[-keep:], self._targets(y_valid[-keep:]),
                              self.config.trainer(), seed=seed, device=torch.device("cpu"), progress=progress,
                              name=self.model_id)
        self.best_epoch_ = result.best_epoch

    def _build(self, n_features: int, seed: int = 0) -> Any:
        return _net(n_features, self.config, self.quantum, seed)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return np.column_stack([y[:, 0], (y[:, 1] - self.return_mean_) / self.return_std_]).astype(np.float32)

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        self.net_.eval()
        with torch.no_grad():
            out = self.net_(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[:, None, :]).double().numpy()
        return 1.0 / (1.0 + np.exp(-out[:, 0])), out[:, 1] * self.return_std_ + self.return_mean_

    def _save_weights(self, folder: Path) -> dict[str, Any]:
        from safetensors.torch import save_file

        save_file({k: v.detach().clone().contiguous() for k, v in self.net_.state_dict().items()}, str(folder / WEIGHTS))
        return {"n_features": int(self.net_.center.shape[0]), "return_mean": self.return_mean_,
                "return_std": self.return_std_, "best_epoch": self.best_epoch_}

    def _load_weights(self, folder: Path, state: dict[str, Any]) -> None:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            net = self._build(int(state["n_features"]))
            net.load_state_dict(load_file(str(folder / WEIGHTS)), strict=True)
            self.return_mean_, self.return_std_ = float(state["return_mean"]), float(state["return_std"])
            self.best_epoch_ = int(state["best_epoch"])
        except (OSError, SafetensorError, RuntimeError, KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{self.model_id}: the stored net cannot be read ({str(exc).splitlines()[0][:200]})") from None
        self.net_ = net.eval()

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.net_.parameters() if p.requires_grad) if hasattr(self, "net_") else 0


class MlpTwin(QuantumNet):
    """The classical twin of qnn: the same projection and head around a one-layer tanh MLP of about its size."""

    quantum = False
