"""A second opinion on one forecast: LIME's method (Ribeiro et al. 2016), written here in numpy + sklearn.

This is NOT the ``lime`` package (it is not a dependency); it follows what ``lime.LimeTabularExplainer``
does with ``discretize_continuous=False``, ``sample_around_instance=True`` and
``feature_selection="highest_weights"``:
1. draw ``samples`` perturbations around the instance, ``raw + spread * scale * N(0, 1)`` per feature,
   where ``spread`` is the feature's inter-quartile range over the bars up to the instance (its
   standard deviation when the IQR is 0), then map them through the model's own scaling; the first
   sample is the instance itself. Perturbing in IQR units, not in the model's input space, keeps the
   weights comparable across features and across models (the boosters are fed unscaled features);
2. weight each by LIME's exponential kernel ``sqrt(exp(-d^2 / width^2))`` on the Euclidean distance
   in those units, with LIME's default width ``0.75 * sqrt(features)``;
3. fit a weighted ridge regression (alpha 1) of P(up) on the perturbations, keep the ``top`` features
   with the largest |coefficient|, refit on those alone and report that surrogate's weighted R^2 on
   the samples: a low R^2 means the model is not close to linear there and the weights say little.
A sequence model's feature is its whole column of the window: a perturbation shifts feature j by the
same amount at every bar, as SHAP's per-feature values sum over the lags. Unlike the SHAP values
(log-odds) the weights are in P(up) per IQR of the feature, as LIME reports classifiers in probability.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from core.explain._inputs import Inputs, model_inputs, resolve_at
from core.explain.cache import cached
from core.models.base import Model


@dataclass(frozen=True)
class LimeExplanation:
    """A weighted linear surrogate of P(up) around one forecast."""

    model_id: str
    time: str
    p_up: float  # the model at the instance
    local_prediction: float  # the surrogate at the instance (its intercept: it is fitted on the shifts)
    r2: float  # weighted R^2 of the surrogate on the perturbations
    weights: dict[str, float]  # top features -> d P(up) / d IQR of the feature, largest |weight| first
    values: dict[str, float]  # their raw (unscaled) values at the bar
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


def lime_explain(model: Model, candles: pd.DataFrame, at: str | pd.Timestamp | None = None, *, samples: int = 2000,
                 top: int = 10, scale: float = 1.0, seed: int = 0, cache: bool = True) -> LimeExplanation:
    """LIME's local surrogate for the forecast at bar ``at`` (default the latest; else the last bar <= ``at``)."""
    when = resolve_at(candles, at)
    settings = {"at": when.isoformat(), "samples": samples, "top": top, "scale": scale, "seed": seed}

    def compute() -> LimeExplanation:
        return _lime(model, candles, when, settings)

    return cached("lime", model, candles, settings, compute, LimeExplanation.from_dict, enabled=cache)


def _lime(model: Model, candles: pd.DataFrame, when: pd.Timestamp, settings: dict[str, Any]) -> LimeExplanation:
    from sklearn.linear_model import Ridge  # sklearn loads in ~1.4 s: only when LIME is asked for

    inputs = model_inputs(model, candles)
    position = inputs.position(when)
    history = inputs.features.to_numpy(np.float64)[: position + 1]
    raw = history[position - inputs.lookback + 1 :]  # the window (lookback, features); one row for boosters
    rng = np.random.default_rng(settings["seed"])
    shifts = settings["scale"] * rng.standard_normal((settings["samples"], raw.shape[1]))
    shifts[0] = 0.0
    target = _scores(inputs, raw, shifts * _spread(history))
    width = 0.75 * np.sqrt(raw.shape[1])
    weight = np.sqrt(np.exp(-(np.linalg.norm(shifts, axis=1) ** 2) / width**2))
    full = Ridge(alpha=1.0).fit(shifts, target, sample_weight=weight)
    chosen = np.argsort(-np.abs(full.coef_))[: settings["top"]]
    surrogate = Ridge(alpha=1.0).fit(shifts[:, chosen], target, sample_weight=weight)
    names = [inputs.names[i] for i in chosen]
    return LimeExplanation(
        model_id=model.model_id, time=when.isoformat(), p_up=float(target[0]),
        local_prediction=float(surrogate.intercept_),
        r2=float(surrogate.score(shifts[:, chosen], target, sample_weight=weight)),
        weights=dict(zip(names, surrogate.coef_.astype(float).tolist())),
        values={inputs.names[i]: float(raw[-1, i]) for i in chosen}, settings=settings,
    )


def _scores(inputs: Inputs, raw: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """P(up) of ``raw`` moved by each row of ``deltas`` (at every lag), 256 at a time to bound memory."""
    parts = []
    for part in np.array_split(deltas, max(1, len(deltas) // 256)):
        perturbed = raw[None] + part[:, None, :]  # (n, lookback, features)
        parts.append(inputs.probability(inputs.scale(perturbed if inputs.model.sequence else perturbed[:, 0])))
    return np.concatenate(parts)


def _spread(history: np.ndarray) -> np.ndarray:
    """Per feature: the inter-quartile range, else the standard deviation, else 1 (a constant column)."""
    q25, q75 = np.percentile(history, [25, 75], axis=0)
    spread = np.where(q75 > q25, q75 - q25, history.std(axis=0))
    return np.where(spread > 0, spread, 1.0)
