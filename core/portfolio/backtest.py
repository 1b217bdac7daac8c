"""A portfolio over several markets, rebalanced every k bars after costs, filled like a market.

The markets are aligned on their common bars. At the close of a rebalancing bar t the target
weights are computed from the ``lookback`` close-to-close returns up to t (and, for the forecast
portfolio, the models' expected returns at t) and filled at the open of t+1 (+ latency); every
unit of weight traded pays the cost per side. Between rebalances the weights drift with the
prices, as a real book does. Each row earns the weighted open-to-open returns of its markets.

Every method is run on the same bars (the shrunk covariances are estimated once per rebalance and
shared), so the chosen method's deflated Sharpe and PBO are charged for all the methods tried.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sklearn

from core.backtest.strategy import periods_per_year
from core.errors import DataError
from core.policy.execution import Execution
from core.policy.report import finite, summarise
from core.policy.stats import pbo, sharpe
from core.portfolio.weights import METHODS, shrunk_covariance, weights
from core.splits import Start, first_test_row


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


def simulate(method: str | Callable[[np.ndarray, np.ndarray | None], np.ndarray], returns: np.ndarray,
             windows: list[np.ndarray], covariances: list[np.ndarray | None], rebalance: int,
             mu: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights before each row, gross return and weight traded per row of one method.

    ``returns`` (rows x markets) are the open-to-open returns each row earns; ``windows`` and
    ``covariances`` are the past returns and their shrunk covariance at every ``rebalance``-th row.
    """
    held = np.zeros(returns.shape[1])
    book, gross, traded = np.empty(returns.shape), np.empty(len(returns)), np.zeros(len(returns))
    for number, a in enumerate(range(0, len(returns), rebalance)):
        b = min(a + rebalance, len(returns))
        target = (method(windows[number], covariances[number]) if callable(method)  # a caller's own rule (core.quantum)
                  else weights(method, windows[number], None if mu is None else mu[a], covariance=covariances[number]))
        traded[a] = np.abs(target - held).sum()
        holdings = target * np.cumprod(1 + returns[a:b], axis=0)  # each market's value after each row
        value = holdings.sum(axis=1)
        before = np.vstack([target, holdings[:-1]])
        book[a:b] = before / before.sum(axis=1, keepdims=True)
        gross[a:b] = value / np.concatenate([[1.0], value[:-1]]) - 1
        held = holdings[-1] / value[-1]
    return book, gross, traded


def trading_inputs(opens: pd.DataFrame, closes: pd.DataFrame, rows: np.ndarray, lookback: int, rebalance: int,
                   latency: int) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """What every book trades on: each decision row's return from its fill (the next open, after ``latency``) to
    the open after, and each rebalance's look-back window of close-to-close returns with its shrunk covariance."""
    if len(rows) < 3:
        raise DataError(f"only {len(rows)} bars to trade after the {lookback}-bar lookback; use more data")
    o = opens.to_numpy(np.float64)
    fill = rows + 1 + latency
    returns = o[fill + 1] / o[fill] - 1.0
    history = closes.pct_change().to_numpy(np.float64)
    if not np.isfinite(history[rows[0] - lookback + 1 :]).all():
        raise DataError("the markets' closes have gaps or zeros inside the lookback and test window")
    windows = [history[t - lookback + 1 : t + 1] for t in rows[::rebalance]]
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):  # the windows were checked above
        covariances = [shrunk_covariance(w) for w in windows]
    return returns, windows, covariances


def backtest_portfolio(
    candles: dict[str, pd.DataFrame], method: str, *, timeframe: str, rebalance: int = 24, lookback: int = 720,
    execution: Execution = Execution(), start: Start = 0.5, forecasts: pd.DataFrame | None = None,
    draws: int = 1000, seed: int = 0,
) -> PortfolioResult:
    """Backtest ``method`` from ``start`` (a fraction of the shared bars, a bar number or a time), beside
    equal weight and buy-and-hold.

    ``forecasts`` (index: bar, columns: symbols, values: expected returns) drive the forecast
    portfolio; its rows also set the evaluation period, so every method is compared on the same bars.
    """
    opens, closes = align(candles)
    n = len(opens)
    first = max(lookback, first_test_row(n, start, opens.index))
    rows = np.arange(first, n - 2 - execution.latency)
    mu = None
    if forecasts is not None:
        rows = rows[np.isin(opens.index[rows], forecasts.index)]
        mu = forecasts.reindex(opens.index[rows])[list(opens.columns)].to_numpy(np.float64)
    elif method == "forecast":
        raise DataError("the forecast portfolio needs forecasts")
    returns, windows, covariances = trading_inputs(opens, closes, rows, lookback, rebalance, execution.latency)
    tried = [m for m in METHODS if m != "forecast" or mu is not None]
    periods = periods_per_year(timeframe)
    tables = {}
    for name in [*tried, "buy_and_hold"]:
        hold = name == "buy_and_hold"
        book, gross, traded = simulate("equal" if hold else name, returns, windows, covariances,
                                       len(rows) if hold else rebalance, mu if name == "forecast" else None)
        table = pd.DataFrame(book, index=opens.index[rows], columns=list(opens.columns))
        table.index.name = "timestamp"
        cost = execution.cost_per_side * traded
        table["asset_return"], table["cost"], table["net_return"] = gross, cost, gross - cost
        tables[name] = (table, float(traded.sum()), len(rows) if hold else rebalance)
    net = np.column_stack([tables[m][0]["net_return"].to_numpy() for m in tried])
    ratios = [sharpe(column) for column in net.T]

    def described(name: str, trials: int = 1) -> dict[str, Any]:
        table, traded, every = tables[name]
        charged = {"trials": trials, "sr_variance": float(np.nanvar(ratios, ddof=1)), "pbo": pbo(net)} if trials > 1 else {}
        stats = summarise(table.assign(position=1.0), periods, draws=draws, seed=seed, **charged)
        return stats | {"turnover": traded, "n_trades": math.ceil(len(rows) / every),
                        "mean_trade_bars": None,
                        "breakeven_fee": float(table["asset_return"].sum() / traded) if traded > 0 else float("nan")}

    baselines = {name: described(name) for name in ("equal", "buy_and_hold") if name != method}
    return PortfolioResult(method, tables[method][0], described(method, len(tried)), baselines)
