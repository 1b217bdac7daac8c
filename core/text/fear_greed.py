"""The Crypto Fear & Greed index (alternative.me), aligned to when a bar could know it.

A day's value is stamped 00:00 of that day but describes that day's market; we treat it as known
only once the day has closed, i.e. available from 00:00 of the next day (the conservative reading).
"""

from __future__ import annotations

import pandas as pd

from core.text.corpus import corpus_path

KNOWN_AFTER = pd.Timedelta(days=1)


def load() -> pd.Series:
    """Index values by the time they become known (day + 1 day), float, UTC."""
    frame = pd.read_parquet(corpus_path("fear_greed"), columns=["timestamp", "value"])
    known = pd.to_datetime(frame["timestamp"], utc=True) + KNOWN_AFTER
    return pd.Series(frame["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(known), name="fear_greed")


def align(values: pd.Series, bar_close: pd.DatetimeIndex, latency: pd.Timedelta = pd.Timedelta(0)) -> pd.Series:
    """The latest value known strictly before each bar's close minus latency (NaN before the first)."""
    values = values.sort_index()
    cut = bar_close - latency
    position = values.index.searchsorted(cut, side="left") - 1
    out = values.to_numpy()[position.clip(0)]
    out = pd.Series(out, index=bar_close, name="fear_greed").astype(float)
    out[position < 0] = float("nan")
    return out
