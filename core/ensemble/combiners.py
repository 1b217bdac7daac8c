"""How member forecasts become one: weighted average, stacking, voting, bagging and BMA.

Every combiner is fitted on member predictions for rows the members never trained on (a held-out
tail of the validation window in a walk-forward, the untouched test window for stored models),
so weights reflect out-of-sample skill. Inputs are ``P`` (rows x members) of P(up) and ``y`` (the
realised direction, 0/1).

Skill weights: a member's skill is how much better its log loss is than a coin flip's (ln 2);
members at or below a coin flip get only the ``floor`` share, the rest is split in proportion to
skill. BMA weights are posterior model probabilities under equal priors, proportional to the
validation likelihood exp(-n * log loss): they concentrate on the best member quickly, which is
what BMA does, and why the skill weights are the default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from sklearn.linear_model import LogisticRegression

from core.errors import LydianError

METHODS = ("weighted", "stacking", "soft_vote", "hard_vote", "bagging", "bma")
EPS = 1e-6
LN2 = math.log(2.0)


class EnsembleError(LydianError, ValueError):
    """An impossible ensemble request: unknown method, bad user weights, no members."""


def log_losses(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Log loss of each member (column of ``P``) against the realised direction."""
    p = np.clip(P, EPS, 1 - EPS)
    y = np.asarray(y, dtype=np.float64)[:, None]
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=0)


def skill_weights(P: np.ndarray, y: np.ndarray, floor: float = 0.02) -> np.ndarray:
    """Weights in proportion to log-loss skill over a coin flip, every member keeping at least ``floor``."""
    skill = np.maximum(LN2 - log_losses(P, y), 0.0)
    m = P.shape[1]
    if skill.sum() <= 0:
        return np.full(m, 1.0 / m)
    share = skill / skill.sum()
    floor = min(floor, 1.0 / m)
    return floor + (1 - floor * m) * share


def bma_weights(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Posterior model probabilities with equal priors: softmax of each member's validation log-likelihood."""
    loglik = -log_losses(P, y) * len(y)
    w = np.exp(loglik - loglik.max())
    return w / w.sum()


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


@dataclass
class Combiner:
    """One combination rule; ``fit`` learns ``weights_`` (and a meta-learner for stacking)."""

    method: str = "weighted"
    floor: float = 0.02  # least weight share of any member (weighted, bagging)
    user_weights: dict[str, float] | None = None  # replaces learnt weights when given
    bags: int = 30  # bootstrap resamples (bagging)
    seed: int = 0
    names_: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise EnsembleError(f"unknown ensemble method {self.method!r}; choose from {', '.join(METHODS)}")

    def fit(self, P: np.ndarray, y: np.ndarray, names: list[str]) -> Self:
        P, y = np.asarray(P, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != len(names) or not names:
            raise EnsembleError(f"need predictions of shape (rows, {len(names)} members), got {P.shape}")
        self.names_ = list(names)
        if self.method == "stacking":
            self.meta_ = LogisticRegression(C=1.0, max_iter=1000).fit(logit(P), y.astype(int))
            coef = np.abs(self.meta_.coef_[0])
            self.weights_ = coef / coef.sum() if coef.sum() > 0 else np.full(len(names), 1 / len(names))
        elif self.method == "weighted":
            self.weights_ = skill_weights(P, y, self.floor)
        elif self.method == "bagging":
            rng = np.random.default_rng(self.seed)
            draws = [rng.integers(0, len(y), len(y)) for _ in range(self.bags)]
            self.weights_ = np.mean([skill_weights(P[d], y[d], self.floor) for d in draws], axis=0)
        elif self.method == "bma":
            self.weights_ = bma_weights(P, y)
        else:  # the votes weigh every member equally
            self.weights_ = np.full(len(names), 1.0 / len(names))
        if self.user_weights:
            self.weights_ = self._user(self.user_weights)
        return self

    def _user(self, given: dict[str, float]) -> np.ndarray:
        unknown = sorted(set(given) - set(self.names_))
        if unknown:
            raise EnsembleError(f"weights given for models not in the ensemble: {', '.join(unknown)}")
        w = np.array([float(given.get(n, 0.0)) for n in self.names_])
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise EnsembleError("user weights must be finite, non-negative and not all zero")
        return w / w.sum()

    def combine(self, P: np.ndarray) -> np.ndarray:
        """The ensemble's P(up) for each row."""
        P = np.asarray(P, dtype=np.float64)
        if self.method == "stacking" and not self.user_weights:
            return self.meta_.predict_proba(logit(P))[:, 1]
        if self.method == "hard_vote" and not self.user_weights:
            return np.clip(np.mean(P > 0.5, axis=1), EPS, 1 - EPS)  # share of members voting up
        return P @ self.weights_

    def contributions(self, p_row: np.ndarray) -> dict[str, float]:
        """How far each member pulls the latest forecast from 0.5 (weighted log-odds for stacking)."""
        p_row = np.asarray(p_row, dtype=np.float64)
        if self.method == "stacking" and not self.user_weights:
            parts = self.meta_.coef_[0] * logit(p_row)
        else:
            parts = self.weights_ * (p_row - 0.5)
        return {name: float(v) for name, v in zip(self.names_, parts)}

    def weights(self) -> dict[str, float]:
        return {name: float(w) for name, w in zip(self.names_, self.weights_)}

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "floor": self.floor, "weights": self.weights(),
                "user_weights": bool(self.user_weights)}
