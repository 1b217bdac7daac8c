"""Trading the forecasts: equity curves after costs and the statistics traders read off them.

At each forecast bar the strategy takes a position (+1 long, -1 short, 0 flat) and holds it until
the next forecast bar, earning that bar-to-bar return. Every change of position pays
``cost_per_side`` (fee + slippage) per unit traded, so flipping long to short pays twice. Markets
trade 24/7: a year is 365 days of bars, which is what the Sharpe and Sortino ratios annualise by.
"""

from __future__ import annotations

import math

import numpy as np

from core.data.timeframes import timeframe_ms

MINUTES_PER_YEAR = 365 * 24 * 60
STRATEGIES = ("long_short", "long_flat")


def periods_per_year(timeframe: str, step: int = 1) -> float:
    """Holding periods in a 24/7 year when a position is held ``step`` bars of ``timeframe``."""
    return MINUTES_PER_YEAR / (timeframe_ms(timeframe) / 60_000 * step)


def positions(p_up: np.ndarray, strategy: str) -> np.ndarray:
    """long_short: +1 when P(up) > 0.5 else -1; long_flat: +1 when P(up) > 0.5 else 0."""
    up = np.asarray(p_up, dtype=np.float64) > 0.5
    if strategy == "long_short":
        return np.where(up, 1.0, -1.0)
    if strategy == "long_flat":
        return up.astype(np.float64)
    raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")


def net_returns(position: np.ndarray, hold_return: np.ndarray, cost_per_side: float) -> np.ndarray:
    """Per-period strategy return after costs; the book starts flat."""
    position = np.asarray(position, dtype=np.float64)
    traded = np.abs(np.diff(position, prepend=0.0))
    return position * np.nan_to_num(np.asarray(hold_return, dtype=np.float64)) - cost_per_side * traded


def _trade_returns(position: np.ndarray, returns: np.ndarray) -> np.ndarray:
    """Compounded net return of each trade: a run of the same non-zero position."""
    if not len(position):
        return np.empty(0)
    starts = np.flatnonzero(np.diff(position, prepend=0.0) != 0)
    ends = np.append(starts[1:], len(position))
    out = [np.prod(1 + returns[a:b]) - 1 for a, b in zip(starts, ends) if position[a] != 0]
    return np.asarray(out, dtype=np.float64)


def _ratio(mean: float, scale: float, periods: float) -> float:
    return float(mean / scale * math.sqrt(periods)) if scale > 0 else float("nan")


def performance(returns: np.ndarray, position: np.ndarray, periods: float) -> dict[str, float]:
    """Total return, annualised Sharpe and Sortino, max drawdown, win rate, profit factor, exposure, trades."""
    r = np.asarray(returns, dtype=np.float64)
    position = np.asarray(position, dtype=np.float64)
    if not len(r):
        return {k: float("nan") for k in ("total_return", "sharpe", "sortino", "max_drawdown", "win_rate",
                                           "profit_factor", "exposure")} | {"trades": 0}
    equity = np.cumprod(1 + r)
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    trades = _trade_returns(position, r)
    gains, losses = trades[trades > 0].sum(), -trades[trades < 0].sum()
    return {
        "total_return": float(equity[-1] - 1),
        "sharpe": _ratio(r.mean(), r.std(ddof=1) if len(r) > 1 else 0.0, periods),
        "sortino": _ratio(r.mean(), math.sqrt(np.mean(np.minimum(r, 0.0) ** 2)), periods),
        "max_drawdown": float(np.max(1 - equity / peak)),  # largest peak-to-trough loss, as a fraction
        "win_rate": float(np.mean(trades > 0)) if len(trades) else float("nan"),
        "profit_factor": float(gains / losses) if losses > 0 else (float("inf") if gains > 0 else float("nan")),
        "exposure": float(np.mean(position != 0)),
        "trades": int(len(trades)),
    }


def equity_curve(returns: np.ndarray) -> np.ndarray:
    """Growth of 1 unit of capital, period by period."""
    return np.cumprod(1 + np.asarray(returns, dtype=np.float64))
