"""Candles from every source, in one validated shape.

``load_candles`` is the single entry point: bundled parquet, a live exchange through ccxt (with
an on-disk cache), or a user's file through ``load_candles_file``. Every result is a DataFrame
indexed by UTC candle-open time with float64 ``open high low close volume``, sorted and unique.
"""

from __future__ import annotations

import pandas as pd

from core.data import bundled
from core.data.quality import QualityReport, quality_report
from core.data.resample import resample
from core.data.symbols import normalize_symbol
from core.data.timeframes import TIMEFRAMES, check_timeframe, infer_timeframe
from core.data.upload import load_candles_file
from core.data.validate import COLUMNS, validate_candles
from core.errors import DataError

__all__ = [
    "COLUMNS",
    "TIMEFRAMES",
    "QualityReport",
    "available",
    "infer_timeframe",
    "load_candles",
    "load_candles_file",
    "normalize_symbol",
    "quality_report",
    "resample",
    "validate_candles",
]


def _utc(value: str | pd.Timestamp | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"cannot read {value!r} as a date: {exc}") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def load_candles(
    symbol: str,
    timeframe: str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    source: str = "bundled",
) -> pd.DataFrame:
    """Candles of ``symbol`` at ``timeframe`` whose open time lies in [start, end] (both included).

    ``source`` is ``"bundled"`` or ``"ccxt:<exchange id>"`` (e.g. ``"ccxt:binance"``). Naive dates
    are read as UTC. Raises `DataError` subclasses with a message fit for the user.
    """
    check_timeframe(timeframe)
    first, last = _utc(start), _utc(end)
    if first is not None and last is not None and first > last:
        raise DataError(f"start {first} is after end {last}")
    if source == "bundled":
        frame = bundled.load(symbol, timeframe)
    elif source.startswith("ccxt:") and len(source) > 5:
        from core.data import live  # ccxt is heavy: import only when asked

        frame = live.load(source[5:], symbol, timeframe, first, last)
    else:
        raise DataError(f"unknown source {source!r}; use 'bundled' or 'ccxt:<exchange id>' such as 'ccxt:binance'")
    attrs = frame.attrs
    frame = frame.loc[first:last]
    frame.attrs = attrs
    return frame


def available() -> pd.DataFrame:
    """What ``load_candles`` can serve: one row per (symbol, timeframe, source) with its range."""
    rows = []
    for symbol in bundled.symbols():
        for timeframe in TIMEFRAMES:
            try:
                series = bundled.source_for(symbol, timeframe)
            except DataError:
                continue
            frame = bundled.read_series(series)
            rows.append(
                {
                    "symbol": symbol,
                    "timeframe": timeframe,
                    "source": "bundled",
                    "exchange": series.exchange,
                    "built_from": series.timeframe,
                    "start": frame.index[0],
                    "end": frame.index[-1],
                }
            )
    from core.data import live

    rows.extend(live.cached_entries())
    columns = ["symbol", "timeframe", "source", "exchange", "built_from", "start", "end"]
    return pd.DataFrame(rows, columns=columns)
