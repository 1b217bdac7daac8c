"""A model's walk-forward forecasts traded by a policy: what the CLI, the API and the page call."""

from __future__ import annotations

import pandas as pd

from core.backtest.walkforward import walk_forward
from core.errors import DataError
from core.policy.evaluate import PolicyResult, evaluate
from core.policy.execution import Execution
from core.policy.policies import grid


def backtest_policy(
    candles: pd.DataFrame, model: str, policy: str, *, timeframe: str, horizon: int = 1,
    execution: Execution = Execution(), start: float | int = 0.5, refit_every: int = 168, seed: int = 0,
    cache: bool = True, models_tried: int = 1, draws: int = 1000, volatility: str = "atr",
) -> PolicyResult:
    """Walk ``model`` forward over ``candles`` (out-of-sample forecasts only), then trade them with ``policy``.

    The configuration blocks follow the refits (``refit_every`` forecasts), so a policy changes its
    configuration when the model changes its fit, on outcomes known by then.
    """
    grid(policy)  # an unknown policy fails before any model is fitted
    forecasts = walk_forward(model, candles, horizon, timeframe=timeframe, cache=cache, start=start,
                             refit_every=refit_every, fee=execution.fee, slippage=execution.slippage, seed=seed)
    if len(forecasts.predictions) < 3:
        raise DataError("too few out-of-sample forecasts to trade; use a longer series or an earlier --test-start")
    return evaluate(forecasts.predictions, candles, policy, timeframe=timeframe, execution=execution,
                    horizon=horizon, block=refit_every, models_tried=models_tried, draws=draws, seed=seed,
                    volatility=volatility)

