"""Texts in, per-bar sentiment features out: the one path the CLI, API and page share."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from core.data.timeframes import TIMEFRAMES, check_timeframe
from core.errors import DataError
from core.features.sentiment import sentiment_features
from core.text import fear_greed, scorers

WEEK_ORIGIN = pd.Timestamp("1970-01-05", tz="UTC")  # weekly bars open on Monday 00:00 UTC


def _utc(moment: str | datetime | pd.Timestamp, what: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(moment)
    except (TypeError, ValueError):
        raise DataError(f"{what} {moment!r} is not a time such as 2022-01-01 or 2022-01-01T12:00") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def bar_opens(timeframe: str, start, end) -> pd.DatetimeIndex:
    """Bar open times of ``timeframe`` from the first bar at or after ``start`` to ``end`` inclusive."""
    check_timeframe(timeframe)
    first, last = _utc(start, "start"), _utc(end, "end")
    if last < first:
        raise DataError(f"end {last} is before start {first}")
    step = pd.Timedelta(minutes=TIMEFRAMES[timeframe])
    origin = WEEK_ORIGIN if timeframe == "1w" else pd.Timestamp(0, tz="UTC")
    first = origin + -(-(first - origin) // step) * step
    bars = pd.date_range(first, last, freq=step)
    if len(bars) > 2_000_000:
        raise DataError(f"{len(bars)} bars is too many; choose a shorter range or a longer timeframe")
    return bars


def features(texts: pd.DataFrame, timeframe: str, start, end, *, latency_minutes: float = 0.0,
             scorer: str = "vader", with_fear_greed: bool = False) -> pd.DataFrame:
    """Per-bar sentiment features (index ``timestamp`` = bar open) from point-in-time ``texts``."""
    if latency_minutes < 0:
        raise DataError("latency must be zero or more minutes")
    bars = bar_opens(timeframe, start, end)
    step, latency = pd.Timedelta(minutes=TIMEFRAMES[timeframe]), pd.Timedelta(minutes=latency_minutes)
    scores = scorers.get(scorer).score(texts["text"].tolist())
    table = sentiment_features(bars, step, texts, scores, latency=latency)
    if with_fear_greed:
        table["fear_greed"] = fear_greed.align(fear_greed.load(), bars + step, latency).to_numpy()
    table.index.name = "timestamp"
    return table
