"""Candles shipped with the project: parquet files named ``<exchange>_<BASE>-<QUOTE>_<tf>.parquet``.

Any timeframe is served from the stored series of that symbol that can build it: the native
file when one exists, else the series with the longest history among those whose bars divide
the target (ties go to the finer one), resampled. Reads and resamples are memoised per file
version (path + mtime), so repeated loads cost a copy, not a parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from core.config import data_dir
from core.data.resample import finest_first, resample
from core.data.symbols import normalize_symbol
from core.data.timeframes import TIMEFRAMES, check_timeframe, divides
from core.data.validate import validate_candles
from core.errors import TimeframeError, UnknownSymbolError

_FILE = re.compile(r"^(?P<exchange>[a-z0-9\-]+)_(?P<base>[A-Z0-9]+)-(?P<quote>[A-Z0-9]+)_(?P<tf>\w+)\.parquet$")


@dataclass(frozen=True)
class StoredSeries:
    """One bundled parquet file."""

    exchange: str
    symbol: str
    timeframe: str
    path: Path


def catalog(root: Path | None = None) -> list[StoredSeries]:
    """Every bundled file whose name follows the convention and whose timeframe Lydian knows."""
    root = root or data_dir()
    found = []
    for path in sorted(root.glob("*.parquet")):
        match = _FILE.match(path.name)
        if match and match["tf"] in TIMEFRAMES:
            symbol = f"{match['base']}/{match['quote']}"
            found.append(StoredSeries(match["exchange"], symbol, match["tf"], path))
    return found


def symbols() -> list[str]:
    """Bundled symbols, sorted."""
    return sorted({s.symbol for s in catalog()})


def _stored_for(symbol: str) -> list[StoredSeries]:
    symbol = normalize_symbol(symbol)
    series = [s for s in catalog() if s.symbol == symbol]
    if not series:
        raise UnknownSymbolError(
            f"no bundled data for {symbol}; bundled symbols: {', '.join(symbols()) or 'none'}"
        )
    return series


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    if "timestamp" in frame.columns:
        frame = frame.set_index("timestamp")
    return validate_candles(frame, name=path.name)


def read_series(series: StoredSeries) -> pd.DataFrame:
    """The validated candles of one file (shared, do not mutate)."""
    return _read(series.path, series.path.stat().st_mtime_ns)


def span(series: StoredSeries) -> pd.Timedelta:
    frame = read_series(series)
    return frame.index[-1] - frame.index[0] if len(frame) else pd.Timedelta(0)


def source_for(symbol: str, timeframe: str) -> StoredSeries:
    """The stored series that serves ``symbol`` at ``timeframe`` (see module docstring)."""
    check_timeframe(timeframe)
    stored = _stored_for(symbol)
    native = [s for s in stored if s.timeframe == timeframe]
    if native:
        return native[0]
    usable = [s for s in stored if divides(s.timeframe, timeframe)]
    if not usable:
        have = finest_first(sorted({s.timeframe for s in stored}))
        buildable = [tf for tf in TIMEFRAMES if any(divides(h, tf) for h in have)]
        raise TimeframeError(
            f"{timeframe} bars for {normalize_symbol(symbol)} cannot be built: the finest stored data is "
            f"{have[0]} (stored: {', '.join(have)}); available timeframes: {', '.join(buildable)}"
        )
    return max(usable, key=lambda s: (span(s), -TIMEFRAMES[s.timeframe]))


@lru_cache(maxsize=64)
def _resampled(series: StoredSeries, mtime_ns: int, timeframe: str) -> pd.DataFrame:
    return resample(read_series(series), series.timeframe, timeframe)


def load(symbol: str, timeframe: str) -> pd.DataFrame:
    """All bundled candles of ``symbol`` at ``timeframe`` (a fresh copy the caller may change)."""
    series = source_for(symbol, timeframe)
    frame = _resampled(series, series.path.stat().st_mtime_ns, timeframe)
    out = frame.copy()
    out.attrs = {"symbol": series.symbol, "timeframe": timeframe, "source": "bundled",
                 "exchange": series.exchange, "built_from": series.timeframe}
    return out
