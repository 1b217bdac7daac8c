"""A portfolio over several markets, rebalanced every k bars after costs, filled like a market.

The markets are aligned on their common bars. At the close of a rebalancing bar t the target
weights are computed from the ``lookback`` close-to-close returns up to t (and, for the forecast
portfolio, the models' expected returns at t) and filled at the open of t+1 (+ latency); every
unit of weight traded pays the cost per side. Between rebalances the weights drift with the
prices, as a real book does. Each row earns the weighted open-to-open returns of its markets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sklearn

from core.backtest.strategy import periods_per_year
from core.errors import DataError
from core.policy.execution import Execution
from core.policy.report import finite, summarise
from core.portfolio.weights import RISK_AVERSION, weights


@dataclass
class PortfolioResult:
    method: str
    table: pd.DataFrame  # timestamp, one weight column per market, asset_return, cost, net_return
    stats: dict[str, Any]
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return finite({"method": self.method, **self.stats, "baselines": self.baselines})


def align(candles: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Opens and closes of every market on the bars they all share (columns: symbols)."""
    if len(candles) < 2:
        raise DataError("a portfolio needs at least two markets")
    opens = pd.concat({s: c["open"] for s, c in candles.items()}, axis=1, join="inner")
    closes = pd.concat({s: c["close"] for s, c in candles.items()}, axis=1, join="inner")
    return opens, closes


def simulate(method: str, opens: pd.DataFrame, closes: pd.DataFrame, rows: np.ndarray, *, rebalance: int,
             lookback: int, execution: Execution, mu: np.ndarray | None = None,
             risk_aversion: float = RISK_AVERSION) -> tuple[pd.DataFrame, float]:
    """The positions table of one method over decision ``rows``, and the weight traded in all."""
    o = opens.to_numpy(np.float64)
    fill = rows + 1 + execution.latency
    returns = o[fill + 1] / o[fill] - 1.0
    history = closes.pct_change().to_numpy(np.float64)
    if not np.isfinite(history[rows[0] - lookback + 1 :]).all():
        raise DataError("the markets' closes have gaps or zeros inside the lookback and test window")
    k = o.shape[1]
    held = np.zeros(k)
    book, gross, traded = np.empty((len(rows), k)), np.empty(len(rows)), np.zeros(len(rows))
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):  # windows are checked once here
        for a in range(0, len(rows), rebalance):
            t, b = rows[a], min(a + rebalance, len(rows))
            target = weights(method, history[t - lookback + 1 : t + 1], None if mu is None else mu[a], risk_aversion)
            traded[a] = np.abs(target - held).sum()
            holdings = target * np.cumprod(1 + returns[a:b], axis=0)  # each market's value after each row
            value = holdings.sum(axis=1)
            before = np.vstack([target, holdings[:-1]])
            book[a:b] = before / before.sum(axis=1, keepdims=True)
            gross[a:b] = value / np.concatenate([[1.0], value[:-1]]) - 1
            held = holdings[-1] / value[-1]
    table = pd.DataFrame(book, index=opens.index[rows], columns=list(opens.columns))
    table.index.name = "timestamp"
    cost = execution.cost_per_side * traded
    table["asset_return"], table["cost"], table["net_return"] = gross, cost, gross - cost
    return table, float(traded.sum())


def backtest_portfolio(
    candles: dict[str, pd.DataFrame], method: str, *, timeframe: str, rebalance: int = 24, lookback: int = 720,
    execution: Execution = Execution(), start: float = 0.5, forecasts: pd.DataFrame | None = None,
    draws: int = 1000, seed: int = 0,
) -> PortfolioResult:
    """Backtest ``method`` from ``start`` (a fraction of the shared bars) with equal weight beside it.

    ``forecasts`` (index: bar, columns: symbols, values: expected returns) drive the forecast
    portfolio; its rows also set the evaluation period, so every method is compared on the same bars.
    """
    opens, closes = align(candles)
    n = len(opens)
    first = max(lookback, int(n * start)) if start < 1 else max(lookback, int(start))
    rows = np.arange(first, n - 2 - execution.latency)
    mu = None
    if forecasts is not None:
        rows = rows[np.isin(opens.index[rows], forecasts.index)]
        mu = forecasts.reindex(opens.index[rows])[list(opens.columns)].to_numpy(np.float64)
    elif method == "forecast":
        raise DataError("the forecast portfolio needs forecasts")
    if len(rows) < 3:
        raise DataError(f"only {len(rows)} bars to trade after the {lookback}-bar lookback; use more data")
    periods = periods_per_year(timeframe)
    results = {}
    for name, every in ((method, rebalance), ("equal", rebalance), ("buy_and_hold", len(rows))):
        if name in results:
            continue
        chosen = "equal" if name == "buy_and_hold" else name
        table, traded = simulate(chosen, opens, closes, rows, rebalance=every, lookback=lookback,
                                 execution=execution, mu=mu if chosen == "forecast" else None)
        stats = summarise(table.assign(position=1.0), periods, draws=draws, seed=seed)
        stats |= {"turnover": traded, "n_trades": math.ceil(len(rows) / every),
                  "mean_trade_bars": None,
                  "breakeven_fee": float(table["asset_return"].sum() / traded) if traded > 0 else float("nan")}
        results[name] = (table, stats)
    table, stats = results.pop(method)
    return PortfolioResult(method, table, stats, {name: s for name, (_, s) in results.items()})
