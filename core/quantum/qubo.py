"""Budgeted selection problems as QUBOs: pick exactly k of n items.

Both problems Lydian solves (k assets for a portfolio, k members for an ensemble) are
"minimise x'Ax + b'x subject to sum(x) = k" over binary x. A QUBO has no constraints, so the
budget enters as the penalty lam*(sum(x) - k)^2, with lam large enough that breaking the budget
never pays; the objective reported to users is always the unpenalised one on a feasible choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from core.errors import LydianError


class QuboError(LydianError, ValueError):
    """A selection problem that cannot be built (too few items, k out of range, bad numbers)."""


@dataclass(frozen=True)
class Selection:
    """min x'Ax + b'x s.t. sum(x) = k, with item labels; `qubo()` gives the penalised matrix."""

    labels: tuple[str, ...]
    quadratic: np.ndarray  # symmetric A
    linear: np.ndarray  # b
    k: int

    @property
    def n(self) -> int:
        return len(self.labels)

    def objective(self, x: np.ndarray) -> float:
        """The unpenalised objective of one 0/1 vector."""
        x = np.asarray(x, dtype=float)
        return float(x @ self.quadratic @ x + self.linear @ x)

    def penalty(self) -> float:
        """A budget penalty no single bit flip can outweigh: the objective's whole absolute range."""
        return float(np.abs(self.quadratic).sum() + np.abs(self.linear).sum()) + 1e-9

    def qubo(self) -> tuple[np.ndarray, float]:
        """Upper-triangular Q and offset with x'Qx + offset = objective + lam*(sum x - k)^2 for binary x."""
        lam = self.penalty()
        full = self.quadratic + lam * np.ones((self.n, self.n))
        diag = np.diag(full).copy() + self.linear - 2 * lam * self.k  # x_i^2 = x_i
        q = np.triu(full + full.T, 1)
        q[np.diag_indices(self.n)] = diag
        return q, lam * self.k**2

    def feasible(self) -> tuple[np.ndarray, np.ndarray]:
        """Every k-subset as 0/1 rows and its objective: the ground truth for n up to ~20."""
        rows = np.zeros((_comb(self.n, self.k), self.n))
        for r, chosen in enumerate(combinations(range(self.n), self.k)):
            rows[r, list(chosen)] = 1
        values = np.einsum("ri,ij,rj->r", rows, self.quadratic, rows) + rows @ self.linear
        return rows, values

    def chosen(self, x: np.ndarray) -> list[str]:
        return [label for label, bit in zip(self.labels, x) if bit > 0.5]


def _comb(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)


def _checked(labels: list[str], k: int, *arrays: np.ndarray) -> None:
    if len(labels) < 2:
        raise QuboError(f"a selection needs at least 2 items, got {len(labels)}")
    if len(set(labels)) != len(labels):
        raise QuboError(f"items repeat: {', '.join(labels)}")
    if not 1 <= k < len(labels):
        raise QuboError(f"k must be between 1 and {len(labels) - 1} for {len(labels)} items, got {k}")
    for array in arrays:
        if not np.all(np.isfinite(array)):
            raise QuboError("the inputs hold NaN or infinite values (too few overlapping bars?)")


def portfolio_selection(labels: list[str], mean: np.ndarray, covariance: np.ndarray, k: int,
                        risk_aversion: float = 1.0) -> Selection:
    """Choose k equally weighted assets: minimise risk_aversion * w'Sw - mu'w with w = x/k.

    Scaling by 1/k^2 and 1/k makes the objective the equal-weight portfolio's own, so values
    compare across k. `core.quantum.problems` supplies mean and (shrunk) covariance from candles.
    """
    mean, covariance = np.asarray(mean, dtype=float), np.asarray(covariance, dtype=float)
    _checked(labels, k, mean, covariance)
    if mean.shape != (len(labels),) or covariance.shape != (len(labels), len(labels)):
        raise QuboError(f"need {len(labels)} means and a {len(labels)}x{len(labels)} covariance, "
                        f"got {mean.shape} and {covariance.shape}")
    return Selection(tuple(labels), risk_aversion * covariance / k**2, -mean / k, k)


def ensemble_selection(labels: list[str], skill: np.ndarray, error_corr: np.ndarray, k: int,
                       redundancy: float = 1.0) -> Selection:
    """Choose k members: maximise summed validation skill minus redundancy * pairwise error correlation."""
    skill, error_corr = np.asarray(skill, dtype=float), np.asarray(error_corr, dtype=float)
    _checked(labels, k, skill, error_corr)
    if error_corr.shape != (len(labels), len(labels)):
        raise QuboError(f"error correlation must be {len(labels)}x{len(labels)}, got {error_corr.shape}")
    off = (error_corr + error_corr.T) / 2
    np.fill_diagonal(off, 0.0)
    return Selection(tuple(labels), redundancy * off / 2, -skill, k)
