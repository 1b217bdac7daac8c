"""Pieces shared by the feature families: the candle arrays, the `Block` record, safe arithmetic.

Every family module (indicators, price, volume, calendar) describes its columns as `Block`s:
names, group, look-back and a function of `Bars`. The engine runs the blocks and never needs
to know what a family computes, and the look-back is declared next to the code that causes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pandas._libs.window import aggregations as _kernels

from core.data.validate import COLUMNS as CANDLE_COLUMNS
from core.errors import DataError

INDICATOR_GROUPS: tuple[str, ...] = (
    "overlap",
    "momentum",
    "volume_ta",
    "volatility",
    "cycle",
    "price_transform",
    "statistic",
)
FEATURE_GROUPS: tuple[str, ...] = (*INDICATOR_GROUPS, "price", "volume", "time")

Stat = Literal["mean", "std", "sum"]  # pandas Rolling methods used by the families


class Bars:
    """One candle frame as contiguous float64 arrays, plus intermediates computed once per build.

    Several families need the same log closes or rolling volume sums; `series` and `rolling`
    memoise them by name so a build computes each once.
    """

    def __init__(self, candles: pd.DataFrame) -> None:
        if not isinstance(candles, pd.DataFrame):
            raise DataError(f"candles must be a DataFrame, got {type(candles).__name__}")
        missing = [c for c in CANDLE_COLUMNS if c not in candles.columns]
        if missing:
            raise DataError(f"candles: missing column(s) {', '.join(missing)}")
        index = candles.index
        if not isinstance(index, pd.DatetimeIndex):
            raise DataError(f"candles: index must be timestamps, got {type(index).__name__}")
        if not index.is_monotonic_increasing:
            raise DataError("candles: timestamps are not in ascending order")
        self.index = index
        self.utc_index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
        self._series: dict[str, np.ndarray] = {
            c: np.ascontiguousarray(candles[c].to_numpy(dtype=np.float64)) for c in CANDLE_COLUMNS
        }
        self._rolling: dict[tuple[str, int, Stat], np.ndarray] = {}
        self.open, self.high, self.low, self.close, self.volume = (self._series[c] for c in CANDLE_COLUMNS)

    def __len__(self) -> int:
        return len(self.close)

    def series(self, name: str, make: Callable[[Bars], np.ndarray] | None = None) -> np.ndarray:
        """A candle column or a derived array; ``make`` computes it the first time it is asked for."""
        if name not in self._series:
            if make is None:
                raise KeyError(f"no series {name!r} and no way to make it")
            self._series[name] = np.ascontiguousarray(make(self), dtype=np.float64)
        return self._series[name]

    def rolling(
        self, name: str, window: int, stat: Stat, make: Callable[[Bars], np.ndarray] | None = None
    ) -> np.ndarray:
        """Trailing-window ``stat`` of a series; NaN until ``window`` values are present.

        pandas' rolling kernels are used for their compensated sums: a window of identical
        values (a run of zero volume) gives exactly 0 spread, which cumulative-sum tricks do not.
        They are called directly, with the bounds ``Series.rolling(window)`` would pass them and
        the same numbers out: the Series and Rolling wrappers cost 90 us a call, five times the
        sum itself on a live window of 1,000 bars (pandas is pinned, so the private module is too).
        """
        key = (name, window, stat)
        if key not in self._rolling:
            values = self.series(name, make)
            end = np.arange(1, len(values) + 1, dtype=np.int64)
            start = np.maximum(end - window, 0)
            if stat == "std":  # Welford's variance, negatives from rounding clipped to 0 as pandas does
                out = np.sqrt(np.maximum(_kernels.roll_var(values, start, end, window, 1), 0.0))
            else:
                out = getattr(_kernels, f"roll_{stat}")(values, start, end, window)
            self._rolling[key] = out
        return self._rolling[key]


@dataclass(frozen=True)
class Block:
    """Columns computed together: ``compute`` returns one array per name, all of the bars' length.

    ``lookback`` is the number of leading rows that are undefined (NaN) in every one of them.
    """

    names: tuple[str, ...]
    group: str
    lookback: int
    compute: Callable[[Bars], Sequence[np.ndarray]]

    def __post_init__(self) -> None:
        if self.group not in FEATURE_GROUPS:
            raise ValueError(f"unknown feature group {self.group!r} for {self.names}")


def safe_div(num: np.ndarray, den: np.ndarray, fill: float) -> np.ndarray:
    """``num / den`` with ``fill`` where ``den`` is exactly 0 (a run of zero volume, a flat bar).

    ``fill`` is the value that means "nothing unusual" for the feature at hand. NaN inputs
    (warm-up) stay NaN because NaN != 0 selects the division.
    """
    out = np.full(np.shape(num), fill, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def lag_diff(x: np.ndarray, k: int) -> np.ndarray:
    """``x[t] - x[t-k]``, NaN for the first ``k`` rows."""
    out = np.empty_like(x)
    out[:k] = np.nan
    np.subtract(x[k:], x[:-k], out=out[k:])
    return out


def lag_ratio(x: np.ndarray, k: int) -> np.ndarray:
    """``x[t] / x[t-k]``, NaN for the first ``k`` rows (``x`` is a positive price)."""
    out = np.empty_like(x)
    out[:k] = np.nan
    np.divide(x[k:], x[:-k], out=out[k:])
    return out


def log_close(bars: Bars) -> np.ndarray:
    """Natural log of close, shared by log returns and regression-on-log features."""
    return np.log(bars.close)
