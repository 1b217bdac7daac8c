"""The forecast portfolio's inputs: every market walked forward on the bars they all share."""

from __future__ import annotations

import pandas as pd

from core.backtest.walkforward import walk_forward
from core.portfolio.backtest import align
from core.splits import Start


def expected_returns(candles: dict[str, pd.DataFrame], model: str, *, timeframe: str, start: Start = 0.5,
                     refit_every: int = 168, seed: int = 0, cache: bool = True) -> pd.DataFrame:
    """Out-of-sample expected returns of ``model`` per market (columns), on the shared bars only."""
    shared = align(candles)[0].index
    return pd.DataFrame({
        symbol: walk_forward(model, frame.loc[shared], 1, timeframe=timeframe, cache=cache, start=start,
                             refit_every=refit_every, seed=seed).predictions["expected_return"]
        for symbol, frame in candles.items()
    }).dropna()
