"""Speed of the trading layer on two fixed jobs. Prints one JSON object on its last line.

1. Policy evaluation: 4,000 out-of-sample forecasts of BTC/USDT 1h (the persistence baseline, so
   the forecasts cost nothing to make), each policy's whole grid, causal choice, 1,000-sample
   block bootstrap and both baselines. Target: under 0.5 s each.
2. Portfolio: the 10 bundled 1h markets over their last two years (plus a 720-bar lookback),
   rebalanced daily (every 24 bars). One backtest runs every method on the same bars (its deflated
   Sharpe is charged for all of them) and the baselines. Target: under 2 s on 2 cores.

    python benchmarks/strategy.py
"""

from __future__ import annotations

import json

import pandas as pd

from _timing import median_seconds
from core.backtest.walkforward import walk_forward
from core.data import bundled, load_candles
from core.policy import POLICIES, evaluate
from core.portfolio import backtest_portfolio

FORECASTS, LOOKBACK, YEAR = 4_000, 720, 365 * 24


def main() -> None:
    candles = load_candles("BTC/USDT", "1h").iloc[-(2 * FORECASTS + 200):]
    predictions = walk_forward("persistence", candles, 1, timeframe="1h", cache=False).predictions.iloc[-FORECASTS - 2:]
    report: dict = {"policy": {"forecasts": len(predictions), "bootstrap": 1000, "target_seconds": 0.5, "seconds": {}}}
    for policy in POLICIES:
        report["policy"]["seconds"][policy] = median_seconds(
            lambda: evaluate(predictions, candles, policy, timeframe="1h", draws=1000), repeats=3)

    markets = {s: load_candles(s, "1h") for s in bundled.symbols()}
    shared = pd.concat({s: c["open"] for s, c in markets.items()}, axis=1, join="inner").index[-(2 * YEAR + LOOKBACK):]
    markets = {s: c.loc[shared] for s, c in markets.items()}
    report["portfolio"] = {"markets": len(markets), "bars": len(shared) - LOOKBACK, "first": str(shared[LOOKBACK]),
                           "last": str(shared[-1]), "rebalance": 24, "target_seconds": 2.0, "seconds": {}}
    for method in ("equal", "inverse_vol", "min_variance", "mean_variance"):
        report["portfolio"]["seconds"][method] = median_seconds(
            lambda: backtest_portfolio(markets, method, timeframe="1h", lookback=LOOKBACK, start=0.0), repeats=1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
