"""How member forecasts become one: weighted average, stacking, voting, bagging, BMA and boosting.

Every combiner is fitted on member predictions for rows the members never trained on (a held-out
tail of the validation window in a walk-forward, the untouched test window for stored models),
so weights reflect out-of-sample skill. Inputs are ``P`` (rows x members) of P(up) and ``y`` (the
realised direction, 0/1).

Skill weights: a member's skill is how much better its log loss is than a coin flip's (ln 2);
members at or below a coin flip get only the ``floor`` share, the rest is split in proportion to
skill. BMA weights are posterior model probabilities under equal priors, proportional to the
validation likelihood exp(-n * log loss): they concentrate on the best member quickly, which is
what BMA does, and why the skill weights are the default.

Boosting is adaptive weighting (Hedge, Freund & Schapire 1997): walking through the held-out
rows in time order, each member's weight is multiplied by exp(-eta x its Brier loss on that row),
so members that have been wrong lately lose weight; the weights after the last row are kept.
eta = sqrt(8 ln m / n) is Hedge's regret-optimal rate for losses in [0, 1], so there is no knob
to tune on the data. Like every combiner it only ever sees rows before the ones it forecasts.

A fitted combiner is plain numbers (`to_dict` / `from_dict`, JSON): the stacking meta-learner is
kept as its coefficients, so a saved ensemble needs no pickle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from sklearn.linear_model import LogisticRegression

from core.errors import LydianError

METHOD_DESCRIPTIONS = {  # what each method does, in one line: the pages' captions and help texts read it here
    "weighted": "weights in proportion to each member's out-of-sample log-loss skill over a coin flip",
    "stacking": "a logistic meta-learner, fitted on the members' held-out forecasts, combines their log-odds",
    "soft_vote": "the plain average of the members' P(up), every member weighing the same",
    "hard_vote": "the share of members that vote up, every member weighing the same",
    "bagging": "skill weights averaged over bootstrap resamples of the held-out bars",
    "bma": "Bayesian model averaging: weights are posterior model probabilities, concentrated on the best member",
    "boosting": "Hedge: members that were wrong on recent held-out bars lose weight",
}
METHODS = tuple(METHOD_DESCRIPTIONS)
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


def hedge_weights(P: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Hedge's multiplicative weights after the rows of ``P`` in time order (Brier loss, regret-optimal rate)."""
    n, m = P.shape
    eta = math.sqrt(8 * math.log(max(m, 2)) / max(n, 1))
    losses = (np.asarray(P, dtype=np.float64) - np.asarray(y, dtype=np.float64)[:, None]) ** 2
    log_w = -eta * losses.sum(axis=0)  # the product of per-row updates, in log space (no underflow)
    w = np.exp(log_w - log_w.max())
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
            meta = LogisticRegression(C=1.0, max_iter=1000).fit(logit(P), y.astype(int))
            self.meta_coef_, self.meta_intercept_ = meta.coef_[0].astype(np.float64), float(meta.intercept_[0])
            coef = np.abs(self.meta_coef_)
            self.weights_ = coef / coef.sum() if coef.sum() > 0 else np.full(len(names), 1 / len(names))
        elif self.method == "weighted":
            self.weights_ = skill_weights(P, y, self.floor)
        elif self.method == "bagging":
            rng = np.random.default_rng(self.seed)
            draws = [rng.integers(0, len(y), len(y)) for _ in range(self.bags)]
            self.weights_ = np.mean([skill_weights(P[d], y[d], self.floor) for d in draws], axis=0)
        elif self.method == "bma":
            self.weights_ = bma_weights(P, y)
        elif self.method == "boosting":
            self.weights_ = hedge_weights(P, y)
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
        if self.method == "stacking" and not self.user_weights:  # predict_proba's maths, from the kept coefficients
            return np.clip(1 / (1 + np.exp(-(logit(P) @ self.meta_coef_ + self.meta_intercept_))), EPS, 1 - EPS)
        if self.method == "hard_vote" and not self.user_weights:
            return np.clip(np.mean(P > 0.5, axis=1), EPS, 1 - EPS)  # share of members voting up
        return P @ self.weights_

    def contributions(self, p_row: np.ndarray) -> dict[str, float]:
        """How far each member pulls the latest forecast from 0.5 (weighted log-odds for stacking)."""
        p_row = np.asarray(p_row, dtype=np.float64)
        if self.method == "stacking" and not self.user_weights:
            parts = self.meta_coef_ * logit(p_row)
        else:
            parts = self.weights_ * (p_row - 0.5)
        return {name: float(v) for name, v in zip(self.names_, parts)}

    def weights(self) -> dict[str, float]:
        return {name: float(w) for name, w in zip(self.names_, self.weights_)}

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "floor": self.floor, "weights": self.weights(),
                "user_weights": bool(self.user_weights)}

    def to_dict(self) -> dict[str, Any]:
        """The fitted combiner as JSON-able numbers (what a saved ensemble stores)."""
        state = {"method": self.method, "floor": self.floor, "user_weights": self.user_weights, "bags": self.bags,
                 "seed": self.seed, "names": self.names_, "weights": [float(w) for w in self.weights_]}
        if self.method == "stacking":
            state |= {"meta_coef": [float(c) for c in self.meta_coef_], "meta_intercept": self.meta_intercept_}
        return state

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> "Combiner":
        try:
            combiner = cls(state["method"], floor=float(state["floor"]), user_weights=state["user_weights"],
                           bags=int(state["bags"]), seed=int(state["seed"]), names_=[str(n) for n in state["names"]])
            combiner.weights_ = np.asarray(state["weights"], dtype=np.float64)
            if combiner.method == "stacking":
                combiner.meta_coef_ = np.asarray(state["meta_coef"], dtype=np.float64)
                combiner.meta_intercept_ = float(state["meta_intercept"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EnsembleError(f"a saved combiner is incomplete or malformed ({exc})") from None
        if len(combiner.weights_) != len(combiner.names_) or not np.isfinite(combiner.weights_).all():
            raise EnsembleError("a saved combiner's weights do not match its members")
        return combiner
