"""How trustworthy a candle series is: coverage of its time grid, holes, duplicates, outliers.

The Data page and ``lydian data info`` show this before anything is modelled, because holes and
bad prints silently bias features and backtests. Everything is vectorised (100k rows in well
under a second) and the function accepts raw frames that may still hold duplicate or unsorted
timestamps, so it can describe a file before it is cleaned.

Outliers are bars whose log return is extreme *relative to the volatility around them*: the
robust z-score ``(r - median) / (1.4826 * MAD)`` with median and MAD taken over a centred rolling
window. A global scale would flag every bar of each volatile month (crypto volatility clusters);
a local one flags isolated jumps such as bad ticks or crashes. Returns across a hole are divided
by the square root of the bars they span, so a gap alone does not make an outlier.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core.data.timeframes import infer_timeframe, timeframe_delta

Z_THRESHOLD = 10.0
"""Default |robust z| above which a bar is an outlier. On Binance BTC/USDT 1h (2017-2024,
61.6k bars) it flags about 0.25% of bars, all on days of real market shocks; 8 flags ~0.4%."""
WINDOW = 720
"""Default rolling window (bars) for the local median/MAD: 30 days of 1h bars."""
MIN_RETURNS = 20
"""Fewer returns than this give no outliers: the scale would be meaningless."""
_MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


@dataclass(frozen=True)
class QualityReport:
    """Facts about one candle series; ``to_dict()`` gives the JSON form (timestamps as ISO text).

    ``rows`` counts rows as given (duplicates included, ``duplicates`` says how many are extra);
    ``expected_rows`` and ``coverage`` use distinct timestamps, so coverage stays within 0..1.
    ``gaps`` holds one dict per hole in the time grid: ``start``/``end`` are the open times of the
    first and last missing bar, ``missing_bars`` how many bars are missing. Without a timeframe
    (none given and none inferable) the grid is unknown: ``expected_rows`` equals the number of
    distinct timestamps, ``coverage`` is 1.0 and ``gaps`` is empty. ``outliers`` holds dicts of
    ``timestamp``, ``log_return`` and ``robust_z``.
    """

    rows: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    timeframe: str | None
    expected_rows: int
    coverage: float
    gaps: list[dict] = field(default_factory=list)
    missing_bars: int = 0
    duplicates: int = 0
    outliers: list[dict] = field(default_factory=list)
    zero_volume_rows: int = 0

    def to_dict(self) -> dict:
        """Plain, JSON-serialisable dict: timestamps become ISO 8601 strings."""
        out = asdict(self)
        out["start"] = _iso(self.start)
        out["end"] = _iso(self.end)
        out["gaps"] = [{**g, "start": _iso(g["start"]), "end": _iso(g["end"])} for g in self.gaps]
        out["outliers"] = [{**o, "timestamp": _iso(o["timestamp"])} for o in self.outliers]
        return out


def _iso(stamp: pd.Timestamp | None) -> str | None:
    return None if stamp is None else stamp.isoformat()


def quality_report(
    candles: pd.DataFrame,
    timeframe: str | None = None,
    *,
    z_threshold: float = Z_THRESHOLD,
    window: int = WINDOW,
) -> QualityReport:
    """Describe ``candles`` (indexed by UTC open time; may be unsorted or hold duplicates).

    ``timeframe`` defaults to the one inferred from the most common spacing. ``z_threshold`` and
    ``window`` tune outlier detection (see the module docstring).
    """
    index = candles.index if isinstance(candles.index, pd.DatetimeIndex) else pd.DatetimeIndex(candles.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    duplicated = index.duplicated()
    frame = candles.set_axis(index)[~duplicated].sort_index()
    unique = frame.index
    timeframe = timeframe or infer_timeframe(unique)
    zero_volume = int((candles["volume"] == 0).sum()) if "volume" in candles.columns else 0
    if not len(unique):
        return QualityReport(len(candles), None, None, timeframe, 0, 0.0, duplicates=int(duplicated.sum()),
                             zero_volume_rows=zero_volume)

    gaps: list[dict] = []
    expected, bars_apart = len(unique), np.ones(len(unique) - 1, dtype="int64")
    if timeframe is not None:
        step = timeframe_delta(timeframe).value
        expected = int((unique[-1].value - unique[0].value) // step) + 1
        bars_apart = np.maximum(np.diff(unique.asi8) // step, 1)
        for i in np.flatnonzero(bars_apart > 1):
            missing = int(bars_apart[i] - 1)
            first = unique[i] + pd.Timedelta(step, unit="ns")
            gaps.append({"start": first, "end": first + pd.Timedelta(step * (missing - 1), unit="ns"),
                         "missing_bars": missing})
    return QualityReport(
        rows=len(candles),
        start=unique[0],
        end=unique[-1],
        timeframe=timeframe,
        expected_rows=expected,
        coverage=min(1.0, len(unique) / expected),
        gaps=gaps,
        missing_bars=sum(g["missing_bars"] for g in gaps),
        duplicates=int(duplicated.sum()),
        outliers=_outliers(frame, bars_apart, z_threshold, window) if "close" in frame.columns else [],
        zero_volume_rows=zero_volume,
    )


def _outliers(frame: pd.DataFrame, bars_apart: np.ndarray, z_threshold: float, window: int) -> list[dict]:
    """Bars whose (gap-normalised) log return has |robust z| > ``z_threshold`` in a rolling window."""
    close = frame["close"].to_numpy(dtype="float64")
    if len(close) <= MIN_RETURNS:
        return []
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.diff(np.log(close))
    scaled = pd.Series(returns / np.sqrt(bars_apart))
    rolling = dict(window=min(window, len(scaled)), center=True, min_periods=1)
    median = scaled.rolling(**rolling).median()
    mad = (scaled - median).abs().rolling(**rolling).median()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ((scaled - median) / (_MAD_TO_SIGMA * mad)).to_numpy()
    z[~np.isfinite(z)] = np.nan  # a flat stretch (MAD 0) or bad price cannot be judged
    hits = np.flatnonzero(np.abs(np.nan_to_num(z)) > z_threshold)
    stamps = frame.index[1:]
    return [
        {"timestamp": stamps[i], "log_return": float(returns[i]), "robust_z": round(float(z[i]), 2)}
        for i in hits
    ]
