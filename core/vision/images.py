"""Windows of candles as small black-and-white images, after Jiang, Kelly & Xiu (J. Finance 2023).

"(Re-)Imag(in)ing Price Trends" draws each bar as three pixel columns: the open as a tick on the
left, the high-low range as a vertical bar in the middle, the close as a tick on the right; a
moving-average line runs through the middle columns and volume bars fill the bottom fifth, below a
one-pixel gap. Prices are scaled to the window's own lowest low and highest high (MA included), so
an image carries the shape of the window, not its level. A 20-bar image is 64 x 60 pixels.

Rasterisation is vectorised NumPy over (windows, bars, rows) masks and fancy indexing: no plotting
library, no Python loop over windows or bars.

Causality: the image at bar t is drawn from the ``lookback`` bars ending at t and the moving average
of the ``lookback`` closes ending at each of them, so it reads bars t - 2 * lookback + 2 .. t only.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from core.errors import DataError

PX_PER_BAR = 3  # open tick, high-low bar, close tick
VOLUME_SHARE = 5  # volume bars take 1/VOLUME_SHARE of the height, as in the paper
# the feature columns that pin down each bar's shape relative to the window (see `log_candles_from_features`)
CANDLE_FEATURES = ("log_return_1", "body_pct", "upper_wick_pct", "lower_wick_pct", "relative_volume_20")


def image_shape(lookback: int, height: int) -> tuple[int, int]:
    return height, PX_PER_BAR * lookback


def log_candles_from_features(values: np.ndarray) -> np.ndarray:
    """Rows of `CANDLE_FEATURES` -> (rows, 5): log open, high, low, close (up to one constant) and relative volume.

    The feature table keeps no prices, but its candle-shape columns are exact: log close is the running sum of
    ``log_return_1``; open = close * (1 - body_pct); high = max(open, close) + close * upper_wick_pct; low =
    min(open, close) - close * lower_wick_pct. The unknown constant cancels once a window is scaled to itself.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(CANDLE_FEATURES):
        raise DataError(f"chart images need the columns {', '.join(CANDLE_FEATURES)}")
    log_close = np.cumsum(values[:, 0])
    open_ratio = 1.0 - values[:, 1]  # open / close
    high_ratio = np.maximum(open_ratio, 1.0) + values[:, 2]
    low_ratio = np.maximum(np.minimum(open_ratio, 1.0) - values[:, 3], 1e-9)
    return np.column_stack([
        log_close + np.log(np.maximum(open_ratio, 1e-9)), log_close + np.log(high_ratio),
        log_close + np.log(low_ratio), log_close, values[:, 4],
    ])


def chart_windows(candles: np.ndarray, lookback: int, height: int) -> np.ndarray:
    """(rows, 5) log OHLC + volume -> images (rows - 2 * lookback + 2, height, 3 * lookback), bool.

    Image k ends at row k + 2 * lookback - 2: the first ``lookback - 1`` rows only feed the moving average.
    """
    context = 2 * lookback - 1
    if len(candles) < context:
        return np.zeros((0, *image_shape(lookback, height)), dtype=bool)
    close = np.exp(candles[:, 3] - candles[:, 3].max())  # prices up to a constant factor, never overflowing
    ma = np.log(sliding_window_view(close, lookback).mean(-1)) + candles[:, 3].max()  # row i: MA ending at lookback-1+i
    windows = sliding_window_view(candles[lookback - 1:], lookback, axis=0).transpose(0, 2, 1)  # (n, lookback, 5)
    return render(windows[..., :4], windows[..., 4], sliding_window_view(ma, lookback), height)


def render(ohlc: np.ndarray, volume: np.ndarray, ma: np.ndarray | None, height: int) -> np.ndarray:
    """(n, bars, 4) OHLC (any monotone scale, e.g. log), (n, bars) volume, (n, bars) MA -> (n, height, 3 * bars) bool."""
    n, bars, _ = ohlc.shape
    volume_rows = height // VOLUME_SHARE
    price_rows = height - volume_rows - 1  # one blank row between prices and volume
    levels = ohlc if ma is None else np.concatenate([ohlc, ma[..., None]], axis=-1)
    lo = levels.min(axis=(1, 2))[:, None, None]
    span = np.maximum(levels.max(axis=(1, 2))[:, None, None] - lo, 1e-12)
    # price -> pixel row, 0 at the top; a flat window sits on the bottom row of the price area
    rows = (price_rows - 1) - np.rint((levels - lo) / span * (price_rows - 1)).astype(np.intp)
    image = np.zeros((n, height, PX_PER_BAR * bars), dtype=bool)
    idx, bar = np.arange(n)[:, None], np.arange(bars)[None, :]
    ys = np.arange(price_rows)[None, :, None]
    image[:, :price_rows, 1::PX_PER_BAR] = (ys >= rows[:, None, :, 1]) & (ys <= rows[:, None, :, 2])  # high-low bar
    image[idx, rows[..., 0], PX_PER_BAR * bar] = True  # open tick, left
    image[idx, rows[..., 3], PX_PER_BAR * bar + 2] = True  # close tick, right
    if ma is not None:
        image[idx, rows[..., 4], PX_PER_BAR * bar + 1] = True  # MA point on each middle column
    top = np.max(volume, axis=1, keepdims=True)
    bar_height = np.rint(np.divide(volume, top, out=np.zeros_like(volume, dtype=np.float64), where=top > 0)
                         * volume_rows).astype(np.intp)  # (n, bars), 0 .. volume_rows
    vs = np.arange(volume_rows)[None, :, None]  # 0 = top of the volume area
    image[:, price_rows + 1:, 1::PX_PER_BAR] = vs >= (volume_rows - bar_height)[:, None, :]
    return image
