"""Sliding windows over a feature matrix for sequence models, as a view (no copy).

A copy of 100k rows x 250 features x 64 bars would be 13 GB; the view costs nothing and a
model reads it batch by batch.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view


def make_windows(features: pd.DataFrame | np.ndarray, lookback: int) -> np.ndarray:
    """Read-only array of shape (rows - lookback + 1, lookback, n_features).

    Alignment: window k holds rows k .. k+lookback-1, so it ends at (and belongs to) row
    k + lookback - 1; pair it with the target of that row. The result shares memory with
    ``features`` (with the frame's values when it holds one float dtype, as `build_features`
    output does); it is read-only so that writing through it cannot corrupt the features.
    """
    values = features.to_numpy() if isinstance(features, pd.DataFrame) else np.asarray(features)
    if values.ndim != 2:
        raise ValueError(f"features must be 2-D (rows x features), got {values.ndim}-D")
    rows = values.shape[0]
    if isinstance(lookback, bool) or not isinstance(lookback, numbers.Integral) or not 1 <= lookback <= rows:
        raise ValueError(f"lookback must be a whole number from 1 to {rows} (the number of rows), got {lookback!r}")
    # sliding_window_view puts the window axis last: (samples, features, lookback)
    return sliding_window_view(values, int(lookback), axis=0).transpose(0, 2, 1)
