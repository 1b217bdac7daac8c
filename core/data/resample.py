"""Build coarser candles from finer ones: open=first, high=max, low=min, close=last, volume=sum.

Buckets follow `core.data.timeframes.bucket_start_ms` (epoch-aligned; weeks start Monday 00:00
UTC). A bucket is kept only if the source covers both of its ends: the first and last buckets are
dropped when the source starts after the bucket opened or stops before it closed, because their
open or close would be wrong. Holes inside the data are not filled: a bucket with a missing
source bar is still built from the bars that exist (the quality report shows the holes).
"""

from __future__ import annotations

import pandas as pd

from core.data.timeframes import TIMEFRAMES, bucket_start_ms, check_timeframe, divides, timeframe_ms
from core.data.validate import COLUMNS
from core.errors import TimeframeError

_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def resample(candles: pd.DataFrame, source_tf: str, target_tf: str) -> pd.DataFrame:
    """Aggregate ``candles`` stored at ``source_tf`` into complete ``target_tf`` bars."""
    check_timeframe(source_tf)
    check_timeframe(target_tf)
    if source_tf == target_tf:
        return candles
    if not divides(source_tf, target_tf):
        raise TimeframeError(f"cannot build {target_tf} bars from {source_tf} bars")
    if candles.empty:
        return candles.copy()

    open_ms = candles.index.asi8 // 1_000_000
    starts = bucket_start_ms(open_ms, target_tf)
    out = candles.groupby(starts, sort=True).agg(_AGG)[list(COLUMNS)]

    first_open, last_close = open_ms[0], open_ms[-1] + timeframe_ms(source_tf)
    keep = (out.index >= first_open) & (out.index + timeframe_ms(target_tf) <= last_close)
    out = out[keep]
    out.index = pd.to_datetime(out.index, unit="ms", utc=True).rename("timestamp")
    return out.astype("float64")


def finest_first(timeframes: list[str]) -> list[str]:
    """Sort timeframe names from finest to coarsest."""
    return sorted(timeframes, key=TIMEFRAMES.__getitem__)
