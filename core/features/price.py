"""Price features: returns, realised volatility, momentum, acceleration and candle shape.

Lags and windows count bars, not hours: holes in the time grid are not filled, so a
``return_5`` across a hole spans more wall-clock time. Everything here is a ratio of prices,
hence scale-free, and uses bars up to and including the current one only.
"""

from __future__ import annotations

import numpy as np

from core.features.base import Bars, Block, lag_diff, lag_ratio, log_close, safe_div

RETURN_LAGS = (1, 2, 3, 5, 10, 20, 50)
VOLATILITY_WINDOWS = (10, 20, 50, 100)
MOMENTUM_WINDOWS = (10, 20, 50)  # each must be a VOLATILITY_WINDOWS entry too
ACCELERATION_LAGS = (5, 10, 20)
PARKINSON_WINDOWS = (20, 50)
_PARKINSON = 1.0 / (4.0 * np.log(2.0))


def _log_return(bars: Bars, k: int) -> np.ndarray:
    return bars.series(f"log_return_{k}", lambda b: lag_diff(b.series("log_close", log_close), k))


def _volatility(bars: Bars, window: int) -> np.ndarray:
    """Sample std (ddof=1) of 1-bar log returns over the trailing window."""
    return bars.rolling("log_return_1", window, "std", lambda b: _log_return(b, 1))


def _simple_return(bars: Bars, k: int) -> tuple[np.ndarray]:
    out = lag_ratio(bars.close, k)
    out -= 1.0
    return (out,)


def _momentum(bars: Bars, window: int) -> tuple[np.ndarray]:
    """Log return over the window in units of the volatility expected over it (a t-stat).

    The plain n-bar return is already ``log_return_n``; dividing by sigma*sqrt(n) makes a
    move in a calm market stand out from the same move in a wild one.
    """
    expected = _volatility(bars, window) * np.sqrt(window)
    return (safe_div(_log_return(bars, window), expected, 0.0),)


def _acceleration(bars: Bars, k: int) -> tuple[np.ndarray]:
    """Change of momentum: the last k-bar log return minus the k-bar log return before it."""
    return (lag_diff(_log_return(bars, k), k),)


def _log_hl_squared(bars: Bars) -> np.ndarray:
    return np.log(bars.high / bars.low) ** 2


def _parkinson(bars: Bars, window: int) -> tuple[np.ndarray]:
    """Range-based volatility estimate (Parkinson 1980): uses highs and lows, not just closes."""
    mean = bars.rolling("log_hl_squared", window, "mean", _log_hl_squared)
    return (np.sqrt(np.maximum(mean, 0.0) * _PARKINSON),)


def _candle_shape(bars: Bars) -> tuple[np.ndarray, ...]:
    """Range, body and wicks; ratios to the range are 0 (0.5 for close location) on a flat bar.

    Body over range is TA-Lib's BOP (momentum group), so it is not repeated here.
    """
    o, h, l, c = bars.open, bars.high, bars.low, bars.close
    span = h - l
    top = np.maximum(o, c)
    bottom = np.minimum(o, c)
    return (
        span / c,
        (c - o) / c,
        (h - top) / c,
        (bottom - l) / c,
        safe_div(h - top, span, 0.0),
        safe_div(bottom - l, span, 0.0),
        safe_div(c - l, span, 0.5),
    )


def _gap(bars: Bars) -> tuple[np.ndarray]:
    """Open against the previous close: non-zero after exchange outages and on holes."""
    out = np.empty_like(bars.open)
    out[0] = np.nan
    np.divide(bars.open[1:], bars.close[:-1], out=out[1:])
    out[1:] -= 1.0
    return (out,)


SHAPE_NAMES = (
    "range_pct",
    "body_pct",
    "upper_wick_pct",
    "lower_wick_pct",
    "upper_wick_to_range",
    "lower_wick_to_range",
    "close_location",
)


def price_blocks() -> list[Block]:
    """Blocks of the price group, in column order."""
    return [
        *(Block((f"return_{k}",), "price", k, lambda b, k=k: _simple_return(b, k)) for k in RETURN_LAGS),
        *(Block((f"log_return_{k}",), "price", k, lambda b, k=k: (_log_return(b, k),)) for k in RETURN_LAGS),
        *(Block((f"volatility_{w}",), "price", w, lambda b, w=w: (_volatility(b, w),)) for w in VOLATILITY_WINDOWS),
        *(Block((f"momentum_{w}_risk_adj",), "price", w, lambda b, w=w: _momentum(b, w)) for w in MOMENTUM_WINDOWS),
        *(Block((f"acceleration_{k}",), "price", 2 * k, lambda b, k=k: _acceleration(b, k)) for k in ACCELERATION_LAGS),
        *(Block((f"parkinson_vol_{w}",), "price", w - 1, lambda b, w=w: _parkinson(b, w)) for w in PARKINSON_WINDOWS),
        Block(SHAPE_NAMES, "price", 0, _candle_shape),
        Block(("gap",), "price", 1, _gap),
    ]
