"""Execution like a market: decide at the close of bar t, fill at the open of bar t+1 (+ latency).

A row of the positions table belongs to its decision bar t. The position is filled at the open
of bar t+1+latency and held to the next row's fill, so it earns ``asset_return`` = open[t+2+lat] /
open[t+1+lat] - 1 and pays ``cost`` = |position change| x (fee + slippage + impact) per side.
``net_return`` = position x asset_return - cost, which anyone can recompute from the CSV. Nothing
of bar t+1 is known when the position is decided, so no policy can trade at its own decision price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import LydianError

IMPACT_VOL_BARS = 24  # bars of close-to-close returns behind the volatility in the impact term
TABLE = ("position", "asset_return", "cost", "net_return")


@dataclass(frozen=True)
class Execution:
    """Costs and delays of turning a target position into a filled one."""

    fee: float = 0.001  # per side, as a fraction (0.1 %)
    slippage: float = 0.0  # per side, on top of the fee
    impact: float = 0.0  # square-root impact coefficient (0 = off): impact x vol x sqrt(traded / bar volume)
    capital: float = 100_000.0  # quote currency behind a position of 1, for the impact's participation
    latency: int = 0  # extra bars between the decision and the fill

    def __post_init__(self) -> None:
        if min(self.fee, self.slippage, self.impact) < 0 or self.capital <= 0 or self.latency < 0:
            raise LydianError("fee, slippage and impact must be >= 0, capital > 0 and latency a whole number >= 0")

    @property
    def cost_per_side(self) -> float:
        return self.fee + self.slippage


def decision_rows(candles: pd.DataFrame, index: pd.Index) -> np.ndarray:
    """Positions of the decision bars ``index`` in ``candles``; every one must be a candle."""
    rows = candles.index.get_indexer(index)
    if (rows < 0).any():
        raise LydianError("some forecast bars are not in the candles")
    return rows


def asset_returns(open_: np.ndarray, rows: np.ndarray, latency: int = 0) -> np.ndarray:
    """Open-to-open return earned by a decision at each row; NaN where the market has not got there yet."""
    fill, out = rows + 1 + latency, rows + 2 + latency
    result = np.full(len(rows), np.nan)
    ok = out < len(open_)
    result[ok] = open_[out[ok]] / open_[fill[ok]] - 1.0
    return result


def impact_rate(candles: pd.DataFrame, rows: np.ndarray, traded: np.ndarray, execution: Execution) -> np.ndarray:
    """Square-root impact per unit traded, from the decision bar's volatility and quote volume."""
    if execution.impact == 0:
        return np.zeros(len(rows))
    close = candles["close"].to_numpy(np.float64)
    vol = pd.Series(close).pct_change().rolling(IMPACT_VOL_BARS, min_periods=2).std().to_numpy()[rows]
    quote_volume = np.maximum(candles["volume"].to_numpy(np.float64)[rows] * close[rows], 1e-12)
    return execution.impact * np.nan_to_num(vol) * np.sqrt(execution.capital * traded / quote_volume)


def execute(target: np.ndarray, candles: pd.DataFrame, rows: np.ndarray, execution: Execution) -> pd.DataFrame:
    """The positions table of ``target`` (one position per decision row); rows without a return are dropped."""
    returns = asset_returns(candles["open"].to_numpy(np.float64), rows, execution.latency)
    keep = np.isfinite(returns)
    position = np.asarray(target, dtype=np.float64)[keep]
    kept = rows[keep]
    traded = np.abs(np.diff(position, prepend=0.0))  # the book starts flat
    cost = traded * (execution.cost_per_side + impact_rate(candles, kept, traded, execution))
    table = pd.DataFrame(
        {"position": position, "asset_return": returns[keep], "cost": cost,
         "net_return": position * returns[keep] - cost},
        index=candles.index[kept],
    )
    table.index.name = "timestamp"
    return table
