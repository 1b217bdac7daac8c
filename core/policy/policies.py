"""Policies: forecasts (and the position already held) in, target positions in [-1, 1] out.

Each policy reads only the decision bar's forecast and candles up to that bar's close. A policy
has a small grid of configurations; which one trades is chosen causally (`core.policy.select`),
and the grid's size is the number of trials the deflated Sharpe is charged for.

- ``always``: long when P(up) > 0.5, short when below, every bar (the rule the leaderboard shows); flat at
  exactly 0.5, which is no view (a forecast stood aside, `core.regimes.stand_aside`), not a short.
- ``threshold``: act only when P(up) is more than ``band`` away from 0.5; otherwise keep the
  position (``flat=False``) or go flat (``flat=True``).
- ``vol_target``: always in (flat on no view, as ``always``), sized by target volatility over forecast
  volatility: ATR / close, or GARCH(1,1)'s forecast of the next bar's volatility (``volatility="garch"``,
  refitted every block).
- ``signal``: the BUY/SELL/HOLD signal of `core.ensemble.signal` traded as such: enter on BUY/SELL,
  exit once a later bar's high/low reaches the stop-loss or take-profit, or after the horizon.
  Exits fill at the next open like every decision, so when both levels lie inside one bar the
  worse (the stop) is taken as hit first and the fill is the same either way.
With a horizon h > 1 the bar-by-bar policies decide every h-th bar and hold in between, so their
positions do not overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from core.ensemble.signal import ATR_PERIOD, SignalSettings
from core.errors import LydianError
from core.statistical.garch import next_bar_volatility

POLICIES = ("always", "threshold", "vol_target", "signal")
BANDS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1)
ANNUAL_VOL_TARGETS = (0.25, 0.5, 0.75, 1.0)
SIGNAL_CONFIDENCE = (0.02, 0.05, 0.1, 0.2)
SIGNAL_LEVELS = ((1.0, 2.0), (1.5, 2.5), (2.0, 4.0))  # (stop-loss, take-profit) in ATRs


@dataclass(frozen=True)
class Bars:
    """What a policy may read: the decision rows' P(up) and the candles they sit in."""

    p_up: np.ndarray
    rows: np.ndarray  # positions of the decision bars in the candle arrays
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    distance: np.ndarray  # the stops' unit at each candle, known at its close: ATR(14) or close x GARCH volatility
    horizon: int
    periods: float  # bars per year, to turn annual volatility targets into per-bar ones

    @classmethod
    def of(cls, p_up: np.ndarray, candles: pd.DataFrame, rows: np.ndarray, horizon: int, periods: float,
           volatility: str = "atr", refit_every: int = 720) -> Bars:
        """``volatility``: "atr" or "garch" (`SignalSettings.volatility`); GARCH is forecast at ``rows`` only."""
        SignalSettings(volatility=volatility)  # the signal's own validation
        high, low, close = (candles[c].to_numpy(np.float64) for c in ("high", "low", "close"))
        if volatility == "garch":
            distance = np.full(len(close), np.nan)
            distance[rows] = close[rows] * next_bar_volatility(close, rows, refit_every)
        else:
            distance = atr_series(high, low, close)
        return cls(np.asarray(p_up, np.float64), rows, high, low, close, distance, horizon, periods)


def atr_series(high: np.ndarray, low: np.ndarray, close: np.ndarray, period: int = ATR_PERIOD) -> np.ndarray:
    """`core.ensemble.signal.atr` at every bar at once: the simple mean of the last ``period`` true ranges."""
    previous = np.concatenate([[close[0]], close[:-1]])
    true_range = np.maximum(high - low, np.maximum(np.abs(high - previous), np.abs(low - previous)))
    return pd.Series(true_range).rolling(period, min_periods=1).mean().to_numpy()


def hold_for(position: np.ndarray, horizon: int) -> np.ndarray:
    """Decide every ``horizon``-th row and keep that position until the next decision."""
    if horizon <= 1:
        return position
    return np.repeat(position[::horizon], horizon)[: len(position)]


def view(p_up: np.ndarray) -> np.ndarray:
    """+1 up, -1 down, 0 for no view (P(up) exactly 0.5): standing aside must not turn into a short."""
    return np.sign(np.asarray(p_up, np.float64) - 0.5)


def always(bars: Bars) -> np.ndarray:
    return hold_for(view(bars.p_up), bars.horizon)


def threshold(bars: Bars, band: float, flat: bool) -> np.ndarray:
    p = bars.p_up
    decided = np.where(p > 0.5 + band, 1.0, np.where(p < 0.5 - band, -1.0, np.nan))
    position = np.nan_to_num(decided) if flat else pd.Series(decided).ffill().fillna(0.0).to_numpy()
    return hold_for(position, bars.horizon)


def vol_target(bars: Bars, annual_vol: float) -> np.ndarray:
    forecast_vol = bars.distance[bars.rows] / bars.close[bars.rows]
    per_bar = annual_vol / np.sqrt(bars.periods)
    size = np.minimum(1.0, per_bar / np.maximum(forecast_vol, 1e-12))
    return hold_for(view(bars.p_up) * size, bars.horizon)


def signal(bars: Bars, min_confidence: float, sl_atr: float, tp_atr: float) -> np.ndarray:
    """Trade the signal: levels set at the decision bar's close, checked against every later bar."""
    SignalSettings(min_confidence, sl_atr, tp_atr)  # the signal's own validation
    rows, p = bars.rows.tolist(), bars.p_up.tolist()
    high, low, close, unit = (a.tolist() for a in (bars.high, bars.low, bars.close, bars.distance))
    out = np.zeros(len(rows))
    side, stop, take, checked, entered = 0.0, 0.0, 0.0, 0, 0
    for i, bar in enumerate(rows):
        while side != 0 and checked <= bar:  # every bar since the fill, the fill bar included
            if (low[checked] <= stop or high[checked] >= take) if side > 0 else (high[checked] >= stop or low[checked] <= take):
                side = 0.0
            checked += 1
        if side != 0 and i - entered >= bars.horizon:
            side = 0.0
        if side == 0 and abs(2 * p[i] - 1) >= min_confidence:
            side = 1.0 if p[i] > 0.5 else -1.0
            stop = close[bar] - side * sl_atr * unit[bar]
            take = close[bar] + side * tp_atr * unit[bar]
            checked, entered = bar + 1, i
        out[i] = side
    return out


Policy = Callable[..., np.ndarray]
REGISTRY: dict[str, tuple[Policy, list[dict[str, Any]]]] = {
    "always": (always, [{}]),
    "threshold": (threshold, [{"band": b, "flat": f} for f, b in product((False, True), BANDS)]),
    "vol_target": (vol_target, [{"annual_vol": v} for v in ANNUAL_VOL_TARGETS]),
    "signal": (signal, [{"min_confidence": c, "sl_atr": s, "tp_atr": t}
                        for c, (s, t) in product(SIGNAL_CONFIDENCE, SIGNAL_LEVELS)]),
}
DEFAULTS: dict[str, dict[str, Any]] = {  # what trades until enough forecasts exist to choose on
    "always": {},
    "threshold": {"band": 0.05, "flat": False},
    "vol_target": {"annual_vol": 0.5},
    "signal": {"min_confidence": SignalSettings.min_confidence, "sl_atr": SignalSettings.sl_atr,
               "tp_atr": SignalSettings.tp_atr},
}


def grid(policy: str) -> tuple[Policy, list[dict[str, Any]]]:
    """The policy function and every configuration it may choose between."""
    if policy not in REGISTRY:
        raise LydianError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    return REGISTRY[policy]
