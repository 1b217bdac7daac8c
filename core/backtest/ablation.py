"""Feature ablation: one model walked forward with all features, the top-k and PCA, beside the baselines.

Each variant is the same walk-forward (same folds, seeds and bars) with the selection or reduction
fitted inside every training window (`Settings.features`); the three are compared with the best
naive baseline with Holm's correction over the three, so choosing the best variant afterwards does
not make it look significant by luck alone.
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

ROW = ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "n", "log_loss", "sharpe", "max_drawdown")


def feature_ablation(
    model_id: str, candles: pd.DataFrame, horizon: int = 1, *, top_k: int = TOP_K, timeframe: str | None = None,
    cache: bool | ResultsCache | None = True, progress: Progress | None = None, **settings: Any,
) -> dict[str, Any]:
    """Rows ``model[all]``, ``model[topk]``, ``model[pca]`` and the baselines, with edge, p-value and verdict."""
    check_settings(settings)
    base = Settings(horizon=horizon, top_k=top_k, **{k: v for k, v in settings.items() if k != "features"})
    market = prepare_market(candles, horizon, timeframe)
    store = cache_for(cache)
    naive = {name: backtest(name, market, base, cache=store)
             for name in forecasters.forecaster_ids(having=cap.BASELINE)}
    variants = {}
    for index, method in enumerate(METHODS):
        if progress:
            progress({"event": "model", "model": f"{model_id}[{method}]", "index": index, "total": len(METHODS)})
        variants[f"{model_id}[{method}]"] = backtest(model_id, market, replace(base, features=method), cache=store,
                                                      progress=progress)
    versus = versus_baselines({n: r.predictions for n, r in variants.items()},
                              {n: r.predictions for n, r in naive.items()}, horizon)
    rows = {n: {k: r.metrics.get(k) for k in ROW} | versus[n] | {"seconds": r.info.get("seconds")}
            for n, r in variants.items()}
    rows |= {n: {k: r.metrics.get(k) for k in ROW} | {"kind": "baseline"} for n, r in naive.items()}
    first = next(iter(naive.values())).predictions.index
    return {"model": model_id, "top_k": top_k, "symbol": candles.attrs.get("symbol"), "timeframe": market.timeframe,
            "horizon": horizon, "test_first": str(first[0]), "test_last": str(first[-1]), "n_forecasts": len(first),
            "rows": rows}
