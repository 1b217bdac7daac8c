"""The trading signal: one typed, documented object a trader (or a bot, via the API) can read.

- ``action``: BUY when the calibrated P(up) is above 0.5 with ``confidence >= min_confidence``,
  SELL when below 0.5 with that confidence, otherwise HOLD.
- ``confidence``: |2 P(up) - 1|, 0 (a coin flip) to 1 (certain).
- ``price_target``: last close x (1 + the ensemble's expected return over the horizon).
- ``stop_loss`` / ``take_profit``: ``sl_atr`` / ``tp_atr`` x the distance unit below / above the close
  for a BUY (above / below for a SELL); none for HOLD. The unit is ATR(14) (``volatility="atr"``, the
  default) or the close x GARCH(1,1)'s forecast of the next bar's volatility (``volatility="garch"``).
- ``risk_score`` 0-100 = 100 x (0.4 V + 0.3 D + 0.3 W), where V is the percentile of the last
  24 bars' volatility among the last 500 bars (with ``garch``: of the GARCH forecast for the next bar
  among its forecasts after each of the last 500 bars), D the members' disagreement (share of members
  against the majority direction, x 2, so 1 means an even split) and W the drawdown of the close
  from its 500-bar high, divided by 30 % and capped at 1.
- ``model_agreement``: % of members whose own direction matches the signal's direction.
- ``evaluation``: the ensemble's walk-forward accuracy with its 95 % interval and its edge over the
  best baseline, or None with a note when it was not evaluated yet. Never a made-up number.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.data.timeframes import time_horizon  # re-exported: signals name their horizon with it
from core.errors import LydianError

ACTIONS = ("BUY", "SELL", "HOLD")
RISK_WINDOW, VOL_WINDOW, ATR_PERIOD = 500, 24, 14
VOLATILITIES = ("atr", "garch")  # what sets the stop distances and the risk score's volatility
VOLATILITY_NAMES = {"atr": "ATR(14)", "garch": "GARCH(1,1)"}  # how the faces label them


@dataclass(frozen=True)
class SignalSettings:
    min_confidence: float = 0.1  # HOLD below this: P(up) between 0.45 and 0.55
    sl_atr: float = 1.5  # stop-loss distance in ATRs
    tp_atr: float = 2.5  # take-profit distance in ATRs
    volatility: str = "atr"  # the distance unit: ATR(14), or the close x GARCH's next-bar volatility

    def __post_init__(self) -> None:
        if not 0 <= self.min_confidence < 1 or self.sl_atr <= 0 or self.tp_atr <= 0:
            raise LydianError("min_confidence must be in [0, 1); sl_atr and tp_atr must be positive")
        if self.volatility not in VOLATILITIES:
            raise LydianError(f"volatility must be one of {', '.join(VOLATILITIES)}, not {self.volatility!r}")


@dataclass(frozen=True)
class Contribution:
    id: str
    probability: float
    weight: float
    pull: float  # how far this member moves the forecast from 0.5


@dataclass(frozen=True)
class Signal:
    symbol: str
    timeframe: str
    horizon: int
    candle_time: str  # open time of the last candle the signal is based on (UTC)
    action: Literal["BUY", "SELL", "HOLD"]
    probability: float  # calibrated P(up)
    raw_probability: float  # before calibration
    confidence: float
    price: float
    price_target: float
    expected_return: float
    stop_loss: float | None
    take_profit: float | None
    time_horizon: str
    risk_score: float
    model_agreement: float
    method: str
    calibration: str
    contributing_models: list[Contribution] = field(default_factory=list)
    evaluation: dict[str, Any] | None = None
    note: str = ""
    config_digest: str = ""  # the ensemble configuration this signal (and its evaluation) belongs to
    version: int | None = None  # the stored ensemble version whose members forecast

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def atr(candles: pd.DataFrame, period: int = ATR_PERIOD) -> float:
    """Average true range of the last ``period`` bars (a simple mean of the true ranges)."""
    recent = candles.iloc[-(period + 1):]  # the bar before the window only lends its close
    high, low, close = (recent[c].to_numpy(dtype=np.float64) for c in ("high", "low", "close"))
    previous = np.concatenate([[close[0]], close[:-1]])
    true_range = np.maximum(high - low, np.maximum(np.abs(high - previous), np.abs(low - previous)))
    return float(np.mean(true_range[-period:]))


def garch_volatility(candles: pd.DataFrame, bars: int = RISK_WINDOW) -> np.ndarray:
    """GARCH(1,1) forecasts of the next bar's volatility after each of the last ``bars`` candles (causal)."""
    from core.statistical.garch import next_bar_volatility

    close = candles["close"].to_numpy(dtype=np.float64)
    rows = np.arange(max(len(close) - bars, min(len(close) - 1, 100)), len(close))
    return next_bar_volatility(close, rows, refit_every=bars)


def risk_score(candles: pd.DataFrame, member_p: np.ndarray, forecasts: np.ndarray | None = None) -> float:
    """The documented 0-100 blend of volatility percentile, disagreement and drawdown.

    ``forecasts``: GARCH's volatility forecasts (`garch_volatility`), whose last is ranked among them;
    without them the last 24 bars' realised volatility is ranked among the last 500 bars'.
    """
    close = candles["close"].to_numpy(dtype=np.float64)[-RISK_WINDOW:]
    returns = np.diff(np.log(close))
    if forecasts is not None:
        volatility = float(np.mean(forecasts <= forecasts[-1]))
    elif len(returns) > VOL_WINDOW:
        vols = np.lib.stride_tricks.sliding_window_view(returns, VOL_WINDOW).std(axis=1, ddof=1)
        volatility = float(np.mean(vols <= vols[-1]))
    else:
        volatility = 0.5
    up = np.mean(np.asarray(member_p) > 0.5) if len(member_p) else 0.5
    disagreement = 2 * min(up, 1 - up)
    drawdown = min((1 - close[-1] / close.max()) / 0.3, 1.0)
    return round(100 * (0.4 * volatility + 0.3 * disagreement + 0.3 * drawdown), 1)


def make_signal(
    candles: pd.DataFrame, *, symbol: str, timeframe: str, horizon: int, probability: float, raw_probability: float,
    expected_return: float, member_p: dict[str, float], weights: dict[str, float], pulls: dict[str, float],
    method: str, calibration: str, settings: SignalSettings = SignalSettings(),
    evaluation: dict[str, Any] | None = None, note: str = "", config_digest: str = "", version: int | None = None,
) -> Signal:
    """Assemble the signal for the bar after the last candle."""
    if candles.empty:
        raise LydianError("no candles to base a signal on")
    price = float(candles["close"].iloc[-1])
    confidence = abs(2 * probability - 1)
    up = probability > 0.5
    action = "HOLD" if confidence < settings.min_confidence else ("BUY" if up else "SELL")
    forecasts = garch_volatility(candles) if settings.volatility == "garch" else None
    distance = price * float(forecasts[-1]) if forecasts is not None else atr(candles)
    stop = take = None
    if action == "BUY":
        stop, take = price - settings.sl_atr * distance, price + settings.tp_atr * distance
    elif action == "SELL":
        stop, take = price + settings.sl_atr * distance, price - settings.tp_atr * distance
    p = np.array(list(member_p.values()))
    agreement = float(np.mean((p > 0.5) == up)) * 100 if len(p) else float("nan")
    members = sorted(
        (Contribution(m, round(member_p[m], 6), round(weights.get(m, 0.0), 6), round(pulls.get(m, 0.0), 6))
         for m in member_p), key=lambda c: -abs(c.pull),
    )
    target = price * (1 + expected_return) if math.isfinite(expected_return) else price
    return Signal(
        symbol, timeframe, horizon, candles.index[-1].isoformat(), action, round(probability, 6),
        round(raw_probability, 6), round(confidence, 6), price, target, expected_return, stop, take,
        time_horizon(horizon, timeframe), risk_score(candles, p, forecasts), round(agreement, 1), method, calibration,
        members, evaluation, note, config_digest, version,
    )
