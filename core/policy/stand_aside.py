"""Standing aside in anomalous bars, judged after costs: one model's forecasts traded with and without the filter.

The model is walked forward once; an anomaly detector labels the same bars causally (fitted on bars
before each block, refitted on the walk-forward schedule); `core.regimes.stand_aside` turns the
forecasts of marked bars into no view (P(up) 0.5), and both versions are traded by the same policy
and execution. Only policies for which no view means flat or hold are offered (``always`` and
``vol_target`` are flat there, ``threshold`` holds or goes flat, ``signal`` opens nothing), so the
filter can only remove exposure, never turn a silenced bar into a short.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.backtest.walkforward import walk_forward
from core.errors import DataError
from core.policy.evaluate import evaluate
from core.policy.execution import Execution
from core.policy.policies import grid
from core.policy.report import finite
from core.regimes import label_causally, stand_aside

KEPT = ("n", "total_return", "annualised_return", "sharpe", "sharpe_ci_low", "sharpe_ci_high", "max_drawdown",
        "turnover", "fees_paid", "exposure", "n_trades", "deflated_sharpe")


def stand_aside_report(
    candles: pd.DataFrame, model: str, *, timeframe: str, detector: str = "isolation_forest", policy: str = "always",
    horizon: int = 1, execution: Execution = Execution(), start: Any = 0.5, refit_every: int = 168,
    contamination: float = 0.01, seed: int = 0, cache: bool = True, draws: int = 1000,
) -> dict[str, Any]:
    """``without`` and ``with`` the filter (Sharpe with its 95% interval, return, turnover...), the bars stood
    aside, and the change in Sharpe and return; figures are out of sample and after costs."""
    grid(policy)  # an unknown policy fails before any model is fitted
    forecasts = walk_forward(model, candles, horizon, timeframe=timeframe, cache=cache, start=start,
                             refit_every=refit_every, fee=execution.fee, slippage=execution.slippage, seed=seed)
    predictions = forecasts.predictions
    if len(predictions) < 3:
        raise DataError("too few out-of-sample forecasts to trade; use a longer series or an earlier --test-start")
    labelled = label_causally(candles, detector, train_bars=predictions.index[0], refit_every=refit_every,
                              contamination=contamination, seed=seed)
    if labelled.kind != "anomaly":
        raise DataError(f"{detector} is a regime detector; standing aside needs an anomaly detector")
    filtered = stand_aside(predictions, labelled.labels)
    sides = {}
    for name, table in (("without", predictions), ("with", filtered)):
        result = evaluate(table, candles, policy, timeframe=timeframe, execution=execution, horizon=horizon,
                          block=refit_every, draws=draws, seed=seed)
        sides[name] = {k: result.stats[k] for k in KEPT}
        sides[name]["flat_bars"] = int(np.sum(result.table["position"].to_numpy() == 0))
    return finite({
        "model": model, "policy": policy, "detector": detector, "contamination": contamination,
        "test_first": str(predictions.index[0]), "test_last": str(predictions.index[-1]),
        "n_forecasts": len(predictions), "bars_stood_aside": filtered.attrs["stood_aside"],
        "without": sides["without"], "with": sides["with"],
        "sharpe_change": sides["with"]["sharpe"] - sides["without"]["sharpe"],
        "return_change": sides["with"]["total_return"] - sides["without"]["total_return"],
    })
