"""Ablations: one model walked forward in variants of its inputs on the same folds, beside the baselines.

``features``: all features, the top-k and PCA (`Settings.features`); ``regimes``: without and with the
regime/anomaly feature group (`Settings.regime_features`, `core.regimes.features`). Each variant is
the same walk-forward (same folds, seeds and bars) with the selection, reduction or detectors fitted
inside every training window; the variants are compared with the best naive baseline with Holm's
correction over them, so choosing the best variant afterwards does not make it look significant by
luck alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from core import forecasters
from core.backtest.cache import ResultsCache
from core.backtest.comparison import versus_baselines
from core.backtest.walkforward import Progress, Settings, backtest, cache_for, check_settings, prepare_market
from core.features.selection import METHODS, TOP_K
from core.models import capabilities as cap
from core.regimes.features import DEFAULT as REGIME_DETECTORS

ROW = ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "n", "log_loss", "sharpe", "max_drawdown")
GROUPS = ("features", "regimes")


def _variants(group: str, regime_features: str) -> dict[str, dict[str, Any]]:
    """Variant name -> the settings it changes."""
    if group == "features":
        return {method: {"features": method} for method in METHODS}
    if group == "regimes":
        return {"without": {"regime_features": ""}, "regimes": {"regime_features": regime_features}}
    raise ValueError(f"unknown ablation group {group!r}; choose one of {', '.join(GROUPS)}")


def feature_ablation(model_id: str, candles: pd.DataFrame, horizon: int = 1, **kwargs: Any) -> dict[str, Any]:
    """Rows ``model[all]``, ``model[topk]``, ``model[pca]`` and the baselines, with edge, p-value and verdict."""
    return ablation(model_id, candles, horizon, group="features", **kwargs)


def ablation(
    model_id: str, candles: pd.DataFrame, horizon: int = 1, *, group: str = "features", top_k: int = TOP_K,
    regime_features: str = REGIME_DETECTORS, timeframe: str | None = None, cache: bool | ResultsCache | None = True,
    progress: Progress | None = None, **settings: Any,
) -> dict[str, Any]:
    """Rows ``model[variant]`` of ``group`` and the baselines, with edge, p-value and verdict."""
    check_settings(settings)
    variants = _variants(group, regime_features)
    changed = {k for changes in variants.values() for k in changes}
    base = Settings(horizon=horizon, top_k=top_k, **{k: v for k, v in settings.items() if k not in changed})
    market = prepare_market(candles, horizon, timeframe)
    store = cache_for(cache)
    naive = {name: backtest(name, market, base, cache=store)
             for name in forecasters.forecaster_ids(having=cap.BASELINE)}
    walked = {}
    for index, (variant, changes) in enumerate(variants.items()):
        if progress:
            progress({"event": "model", "model": f"{model_id}[{variant}]", "index": index, "total": len(variants)})
        walked[f"{model_id}[{variant}]"] = backtest(model_id, market, replace(base, **changes), cache=store,
                                                    progress=progress)
    versus = versus_baselines({n: r.predictions for n, r in walked.items()},
                              {n: r.predictions for n, r in naive.items()}, horizon)
    rows = {n: {k: r.metrics.get(k) for k in ROW} | versus[n] | {"seconds": r.info.get("seconds")}
            for n, r in walked.items()}
    rows |= {n: {k: r.metrics.get(k) for k in ROW} | {"kind": "baseline"} for n, r in naive.items()}
    first = next(iter(naive.values())).predictions.index
    board = {"model": model_id, "group": group, "top_k": top_k, "symbol": candles.attrs.get("symbol"),
             "timeframe": market.timeframe, "horizon": horizon, "test_first": str(first[0]),
             "test_last": str(first[-1]), "n_forecasts": len(first), "rows": rows}
    return board | ({"regime_features": regime_features} if group == "regimes" else {})
