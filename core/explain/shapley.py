"""`explain` (why one forecast says what it says) and `global_importance` (what a model uses overall).

Both report SHAP values of the LOG-ODDS of P(up) (see `core.explain._shap` for the backends): a
positive value pushed the forecast towards "up"; ``sigmoid(base_value + sum(features))`` is P(up),
exactly for trees and Kernel SHAP, approximately for nets (``additivity_gap`` says how closely).
Values are also summed by feature group (`core.features.feature_groups`), which is exact because
SHAP values add, and, for sequence models, by time lag (``lag_k`` = k bars before the forecast bar).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np
import pandas as pd

from core.explain._inputs import ExplainError, Inputs, lag_names, model_inputs, resolve_at
from core.explain._shap import attributions, pick_method
from core.explain.cache import cached
from core.features import FEATURE_GROUPS, feature_groups
from core.models.base import Model

TEST_SHARE = 0.2  # without a stored test window, global importance uses the last 20 % of bars (60/20/20 split)


@dataclass(frozen=True)
class Explanation:
    """SHAP explanation of one forecast, in log-odds of P(up)."""

    model_id: str
    time: str  # open time (UTC) of the explained bar; the forecast is for the bar(s) after it
    method: str  # tree | gradient | kernel
    p_up: float  # the model's own P(up) at that bar
    base_value: float  # expected log-odds (background or training data)
    model_output: float  # the log-odds the values explain
    additivity_gap: float  # |base_value + sum(features) - model_output|
    features: dict[str, float]  # feature -> SHAP value (summed over lags for sequence models)
    values: dict[str, float]  # feature -> its raw (unscaled) value at the bar
    groups: dict[str, float]  # feature group -> sum of its features' SHAP values
    lags: dict[str, float] | None  # lag_k -> sum over features at that bar of the window; None: no window
    settings: dict[str, Any]
    output: str = "log_odds"

    def top(self, k: int = 15) -> list[dict[str, Any]]:
        """The k features with the largest |SHAP|, with value and group, largest first."""
        groups = feature_groups()
        names = sorted(self.features, key=lambda n: -abs(self.features[n]))[:k]
        return [{"feature": n, "shap": self.features[n], "value": self.values[n], "group": groups.get(n, "other")}
                for n in names]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


@dataclass(frozen=True)
class GlobalImportance:
    """Mean |SHAP| (log-odds) over a sample of bars: by feature, by group and, for nets, by lag."""

    model_id: str
    method: str
    start: str  # first and last bar of the window the sample was drawn from
    end: str
    rows: int  # bars explained
    features: dict[str, float]  # largest first
    groups: dict[str, float]  # mean |sum of the group's SHAP values|, largest first
    lags: dict[str, float] | None
    settings: dict[str, Any]
    output: str = "log_odds"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**data)


def explain(model: Model, candles: pd.DataFrame, at: str | pd.Timestamp | None = None, *, background: int = 50,
            nsamples: int | None = None, method: str = "auto", seed: int = 0, cache: bool = True) -> Explanation:
    """SHAP explanation of the forecast made at bar ``at`` (default: the latest; else the last bar <= ``at``).

    ``background``: bars (windows) sampled up to ``at`` as the baseline of the gradient and kernel
    backends (trees need none). ``nsamples``: expected-gradient samples (nets, default 200) or
    Kernel SHAP coalitions (default shap's 2 * features + 2048). Cached unless ``cache=False``.
    """
    when = resolve_at(candles, at)
    settings = {"at": when.isoformat(), "background": background, "nsamples": nsamples,
                "method": pick_method(model, method), "seed": seed}

    def compute() -> Explanation:
        return _explain(model, model_inputs(model, candles), when, settings)

    return cached("local", model, candles, settings, compute, Explanation.from_dict, enabled=cache)


def _explain(model: Model, inputs: Inputs, when: pd.Timestamp, settings: dict[str, Any]) -> Explanation:
    position = inputs.position(when)
    x = inputs.at(np.array([position]))
    found = attributions(inputs, x, method=settings["method"], background=settings["background"], last=position,
                         nsamples=settings["nsamples"], seed=settings["seed"])
    values = found.values[0]
    per_feature = values.sum(0) if values.ndim == 2 else values
    names = inputs.names
    return Explanation(
        model_id=model.model_id, time=when.isoformat(), method=found.method,
        p_up=float(inputs.probability(x)[0]), base_value=found.base, model_output=float(found.output[0]),
        additivity_gap=float(abs(found.base + values.sum() - found.output[0])),
        features=dict(zip(names, per_feature.tolist())),
        values=dict(zip(names, inputs.features.iloc[position].astype(float).tolist())),
        groups={g: float(v[0]) for g, v in _group_sums(names, per_feature[None]).items()},
        lags=dict(zip(lag_names(inputs.lookback), values.sum(1).tolist())) if values.ndim == 2 else None,
        settings=settings,
    )


def global_importance(model: Model, candles: pd.DataFrame, *, start: str | pd.Timestamp | None = None,
                      end: str | pd.Timestamp | None = None, rows: int = 100, background: int = 50,
                      nsamples: int | None = None, method: str = "auto", seed: int = 0,
                      cache: bool = True) -> GlobalImportance:
    """Mean |SHAP| over ``rows`` bars spread evenly from ``start`` to ``end``.

    Default window: the stored model's untouched test window (``meta_["data"]["test_from"]``) to the
    last bar, else the last 20 % of the bars, so the importance is measured out of sample. The
    gradient and kernel backends compare with ``background`` inputs sampled from the bars up to ``end``.
    ``nsamples`` for nets defaults to 32 per bar here (200 for one bar): the mean over many bars
    averages the sampling noise away, and 100 bars x 200 samples would take a minute on 2 cores.
    """
    if start is None:
        start = (getattr(model, "meta_", None) or {}).get("data", {}).get("test_from")
    settings = {"start": None if start is None else resolve_at(candles, start).isoformat(),
                "end": resolve_at(candles, end).isoformat(), "rows": rows, "background": background,
                "nsamples": nsamples, "method": pick_method(model, method), "seed": seed}

    def compute() -> GlobalImportance:
        return _global(model, model_inputs(model, candles), settings)

    return cached("global", model, candles, settings, compute, GlobalImportance.from_dict, enabled=cache)


def _global(model: Model, inputs: Inputs, settings: dict[str, Any]) -> GlobalImportance:
    index = inputs.features.index
    last = int(index.searchsorted(pd.Timestamp(settings["end"]), side="right")) - 1
    first = (int(index.searchsorted(pd.Timestamp(settings["start"]))) if settings["start"]
             else int(len(index) * (1 - TEST_SHARE)))
    first = max(first, inputs.lookback - 1)
    if last < first:
        raise ExplainError(f"{model.model_id}: no explainable bar between {settings['start']} and {settings['end']}")
    positions = np.unique(np.linspace(first, last, settings["rows"]).round().astype(np.int64))
    nsamples = settings["nsamples"] or (32 if settings["method"] == "gradient" else None)
    found = attributions(inputs, inputs.at(positions), method=settings["method"], background=settings["background"],
                         last=last, nsamples=nsamples, seed=settings["seed"])
    per_feature = found.values.sum(1) if found.values.ndim == 3 else found.values
    names = inputs.names
    groups = {g: float(np.abs(v).mean()) for g, v in _group_sums(names, per_feature).items()}
    lags = (dict(zip(lag_names(inputs.lookback), np.abs(found.values.sum(2)).mean(0).tolist()))
            if found.values.ndim == 3 else None)
    return GlobalImportance(
        model_id=model.model_id, method=found.method, start=index[first].isoformat(), end=index[last].isoformat(),
        rows=len(positions), features=_ranked(dict(zip(names, np.abs(per_feature).mean(0).tolist()))),
        groups=_ranked(groups), lags=lags, settings=settings,
    )


def _group_sums(names: list[str], values: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of ``values`` (rows x features), the sum within each feature group, in `FEATURE_GROUPS` order."""
    known = feature_groups()
    groups = np.array([known.get(n, "other") for n in names])
    return {g: values[:, groups == g].sum(1) for g in (*FEATURE_GROUPS, "other") if (groups == g).any()}


def _ranked(scores: dict[str, float]) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda item: -item[1]))
