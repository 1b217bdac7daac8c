"""The nine timeframes Lydian works in, and the arithmetic of candle buckets.

Candles are labelled by their **open** time in UTC. Fixed-length bars (1m .. 1d) are aligned to
the Unix epoch; weekly bars are anchored on Monday 00:00 UTC (the epoch fell on a Thursday,
hence the 4-day offset).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import TimeframeError

MINUTE_MS = 60_000

TIMEFRAMES: dict[str, int] = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "4h": 240,
    "1d": 1_440,
    "1w": 10_080,
}
"""Timeframe name -> length in minutes, finest first."""

_WEEK_ANCHOR_MS = 4 * 1_440 * MINUTE_MS  # 1970-01-05 is the first Monday after the epoch


def check_timeframe(timeframe: str) -> str:
    """Return ``timeframe`` if Lydian knows it, else raise a message listing the valid ones."""
    if timeframe not in TIMEFRAMES:
        raise TimeframeError(
            f"unknown timeframe {timeframe!r}; use one of {', '.join(TIMEFRAMES)}"
        )
    return timeframe


def timeframe_ms(timeframe: str) -> int:
    """Length of one bar in milliseconds."""
    return TIMEFRAMES[check_timeframe(timeframe)] * MINUTE_MS


def timeframe_delta(timeframe: str) -> pd.Timedelta:
    """Length of one bar as a Timedelta."""
    return pd.Timedelta(milliseconds=timeframe_ms(timeframe))


def divides(finer: str, coarser: str) -> bool:
    """True when bars of ``coarser`` are whole numbers of ``finer`` bars on the same grid."""
    return TIMEFRAMES[coarser] % TIMEFRAMES[finer] == 0


def bucket_start_ms(open_ms: np.ndarray, timeframe: str) -> np.ndarray:
    """Open time (epoch ms) of the ``timeframe`` bar that contains each timestamp."""
    step = timeframe_ms(timeframe)
    offset = _WEEK_ANCHOR_MS if timeframe == "1w" else 0
    return (open_ms - offset) // step * step + offset


def infer_timeframe(index: pd.DatetimeIndex) -> str | None:
    """The known timeframe equal to the most common spacing of ``index``, if any."""
    if len(index) < 2:
        return None
    steps = np.diff(index.asi8) // 1_000_000  # ns -> ms
    values, counts = np.unique(steps[steps > 0], return_counts=True)
    if not len(values):
        return None
    modal = int(values[np.argmax(counts)])
    for name, minutes in TIMEFRAMES.items():
        if minutes * MINUTE_MS == modal:
            return name
    return None


def time_horizon(horizon: int, timeframe: str) -> str:
    """``horizon`` bars of ``timeframe`` in wall-clock words: 4 x 1h -> "4h", 24 x 1h -> "1d"."""
    minutes = horizon * TIMEFRAMES[timeframe]
    for unit, size in (("w", 10_080), ("d", 1_440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
