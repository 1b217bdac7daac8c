"""The observed series a statistical model filters, rebuilt from the causal feature table.

The contract hands a model feature rows, not candles. Every row carries its bar's close-to-close
log return (``log_return_1``), so the return series up to a row is the model's own stored history
(the bars it was fitted on) followed by the rows it is asked about. Rows a caller leaves out between
the two (the purge gap of an h-bar horizon) are rebuilt from the multi-bar returns of the next row:
exactly for the last two bars, as an even split of the known sum further back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import DataError

RETURN = "log_return_1"
SPANS = (1, 2, 3, 5, 10, 20, 50)  # the log_return_<k> features: the last k bars' summed log return
DAY = pd.Timedelta(days=1)


def past_returns(row: pd.Series) -> np.ndarray:
    """The last 50 one-bar log returns ending at ``row`` (newest first), from its multi-bar return features."""
    out = np.empty(SPANS[-1])
    previous_span, previous_sum = 0, 0.0
    for span in SPANS:
        total = float(row[f"log_return_{span}"])
        out[previous_span:span] = (total - previous_sum) / (span - previous_span)
        previous_span, previous_sum = span, total
    return out


def bar_length(index: pd.Index) -> pd.Timedelta:
    """The usual spacing of the bars (the median, so that a missing candle does not change it)."""
    if len(index) < 2:
        raise DataError("a statistical model needs at least two bars to tell their spacing")
    return pd.Timedelta(np.median(np.diff(index.asi8)), unit="ns")


def daily_season(bar: pd.Timedelta) -> int:
    """Bars per day for intraday bars, 7 for daily bars, none (1) for longer bars."""
    if bar < DAY:
        return max(1, round(DAY / bar))
    return 7 if bar == DAY else 1


def columns_of(features: pd.DataFrame, names: tuple[str, ...]) -> np.ndarray:
    """The named columns as a float64 (rows x names) array, with a clear error when one is missing."""
    missing = [name for name in names if name not in features.columns]
    if missing:
        raise DataError(f"statistical models read {', '.join(missing)} from the feature table; it is missing")
    values = features[list(names)].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise DataError("features contain NaN or inf (drop the warm-up rows first)")
    return values


def join(history: np.ndarray, stamps: np.ndarray, features: pd.DataFrame, names: tuple[str, ...],
         bar: pd.Timedelta) -> tuple[np.ndarray, int]:
    """The observed series up to the last row of ``features`` and where its first row sits in it.

    ``history`` (rows x names, bar times ``stamps`` in ns) is what the model was fitted on; only its
    bars before the first row are used, so a row never sees a later bar.
    """
    own = columns_of(features, names)
    first = features.index[0]
    keep = int(np.searchsorted(stamps, first.value, side="left"))
    if keep == 0:
        return own, 0
    missing = int(round((first.value - stamps[keep - 1]) / bar.value)) - 1
    filler = np.empty((0, len(names)))
    if 0 < missing < SPANS[-1]:
        filler = np.repeat(own[:1], missing, axis=0)  # other columns: the next row's values
        filler[:, 0] = past_returns(features.iloc[0])[1 : missing + 1][::-1]
    series = np.concatenate([history[:keep], filler, own])
    return series, keep + len(filler)
