"""The one definition of a valid candle frame, used by every source (bundled, exchange, upload).

A valid frame has a UTC ``DatetimeIndex`` named ``timestamp`` (candle open time), strictly
increasing, and float64 columns ``open high low close volume`` with finite values, positive
prices, non-negative volume and ``low <= open, close <= high``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.errors import DataError

COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICES: tuple[str, ...] = ("open", "high", "low", "close")
MAX_LISTED = 3  # problems quoted in one message; the rest are counted


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def candle_problems(frame: pd.DataFrame, label: Callable[[int], str]) -> list[str]:
    """Every rule a numeric OHLCV frame breaks, each as '<where>: <what>'.

    ``label(i)`` names the i-th row for the user (a file row number or a timestamp).
    Checks run in order of how basic they are, so the first message is the root cause.
    """
    values = {c: frame[c].to_numpy(dtype="float64") for c in COLUMNS}
    checks: list[tuple[str, np.ndarray, Callable[[int], str]]] = []
    for c in COLUMNS:
        v = values[c]
        checks.append((c, ~np.isfinite(v), lambda i, c=c: f"{c} is missing or not finite"))
    for c in PRICES:
        v = values[c]
        checks.append(
            (c, np.isfinite(v) & (v <= 0), lambda i, c=c: f"{c} must be positive, got {values[c][i]:g}")
        )
    vol = values["volume"]
    checks.append(("volume", vol < 0, lambda i: f"volume must not be negative, got {vol[i]:g}"))
    high, low = values["high"], values["low"]
    checks.append(
        ("high", high < low, lambda i: f"high {high[i]:g} is below low {low[i]:g}")
    )
    for c in ("open", "close"):
        v = values[c]
        outside = (high >= low) & ((v < low) | (v > high))
        checks.append(
            (c, outside, lambda i, c=c: f"{c} {values[c][i]:g} is outside [low {low[i]:g}, high {high[i]:g}]")
        )

    problems: list[str] = []
    for _column, mask, describe in checks:
        rows = _rows(mask)
        if not len(rows):
            continue
        shown = "; ".join(f"{label(i)}: {describe(i)}" for i in rows[:MAX_LISTED])
        more = f" (and {len(rows) - MAX_LISTED} more rows)" if len(rows) > MAX_LISTED else ""
        problems.append(shown + more)
    return problems


def validate_candles(frame: pd.DataFrame, name: str = "candles") -> pd.DataFrame:
    """Return ``frame`` in canonical form or raise `DataError` naming the first broken rule.

    Sorting and exact-duplicate removal are not done here: a source that needs them
    (uploads) does them explicitly and tells the user.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {', '.join(missing)}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{name}: index must be timestamps, got {type(frame.index).__name__}")
    out = frame.loc[:, list(COLUMNS)].astype("float64")
    index = frame.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    out.index = index.rename("timestamp")
    if not out.index.is_monotonic_increasing:
        raise DataError(f"{name}: timestamps are not in ascending order")
    if out.index.has_duplicates:
        first = out.index[out.index.duplicated()][0]
        raise DataError(f"{name}: duplicate timestamp {first}")
    problems = candle_problems(out, lambda i: str(out.index[i]))
    if problems:
        raise DataError(f"{name}: " + problems[0])
    return out


def empty_candles() -> pd.DataFrame:
    """A canonical frame with no rows, for sources that have nothing in a requested range."""
    index = pd.DatetimeIndex([], tz="UTC", name="timestamp")
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS}, index=index)
