"""The few inputs a circuit can take: the features projected on their leading principal axes.

A circuit has one qubit per input, so every quantum model (and its classical twin, which must see
the same inputs) reads the scaled features through this projection, fitted on the training rows
only and scaled so that one standard deviation is a quarter turn: rotation angles in [-pi, pi].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import DataError

ARRAYS = ("center", "axes", "spread")


@dataclass(frozen=True)
class Projection:
    center: np.ndarray  # (features,)
    axes: np.ndarray  # (features, qubits)
    spread: np.ndarray  # (qubits,)

    @classmethod
    def fit(cls, rows: np.ndarray, qubits: int) -> Projection:
        """The leading ``qubits`` principal axes of ``rows`` (training rows only)."""
        rows = np.asarray(rows, dtype=np.float64)
        center = rows.mean(axis=0)
        _, _, vt = np.linalg.svd(rows - center, full_matrices=False)
        axes = np.ascontiguousarray(vt[: min(int(qubits), vt.shape[0])].T)
        spread = np.maximum(((rows - center) @ axes).std(axis=0), 1e-9) / (np.pi / 2)
        return cls(center, axes, spread)

    def angles(self, x: np.ndarray) -> np.ndarray:
        """Rows -> rotation angles, one per qubit."""
        z = (np.asarray(x, dtype=np.float64) - self.center) @ self.axes
        return np.clip(z / self.spread, -np.pi, np.pi)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"center": self.center, "axes": self.axes, "spread": self.spread}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], owner: str) -> Projection:
        """Rebuild from stored arrays, refusing a set whose shapes do not fit together."""
        try:
            center, axes, spread = (np.asarray(arrays[name], dtype=np.float64) for name in ARRAYS)
        except KeyError as exc:
            raise DataError(f"{owner}: the stored projection lacks {exc}") from None
        if axes.ndim != 2 or center.shape != (axes.shape[0],) or spread.shape != (axes.shape[1],):
            raise DataError(f"{owner}: the stored projection arrays do not fit together")
        return cls(center, axes, spread)


def two_directions(direction: np.ndarray, owner: str) -> np.ndarray:
    """The 0/1 labels, refused when the training rows hold one direction only (nothing to classify)."""
    labels = np.asarray(direction).astype(int)
    if len(np.unique(labels)) < 2:
        raise DataError(f"{owner}: the training rows hold one direction only")
    return labels


def recent_training(x_train: np.ndarray, y_train: np.ndarray, keep: int, qubits: int,
                    owner: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, Projection]:
    """The last ``keep`` training rows, their targets, their 0/1 directions and the projection fitted on them:
    a simulated circuit can afford only a few rows, and the most recent are the most relevant."""
    rows, target = x_train[-keep:], y_train[-keep:]
    return rows, target, two_directions(target[:, 0], owner), Projection.fit(rows, qubits)
