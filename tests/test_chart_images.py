"""Chart images (issue 23): known pixels, exact candles from the features, causality, and a planted signal found.

Rendering speed is measured by benchmarks/patterns.py, not here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import load_candles
from core.errors import DataError
from core.features import build_features
from core.vision.images import CANDLE_FEATURES, chart_windows, log_candles_from_features, render


def _candles(rows: int = 700) -> pd.DataFrame:
    return load_candles("BTC/USDT", "1h", start="2024-03-01")[:rows]


def test_a_known_bar_has_the_expected_pixels() -> None:
    """Two bars, heights 0..10 over an 11-row price area (height 15 = 11 + gap + 3 volume rows)."""
    ohlc = np.array([[[2.0, 10.0, 0.0, 8.0], [8.0, 9.0, 5.0, 5.0]]])  # bar 0 spans the window, bar 1 inside it
    image = render(ohlc, np.array([[4.0, 2.0]]), None, height=15)
    assert image.shape == (1, 15, 6)
    price = image[0, :11].astype(int)
    assert price[:, 1].tolist() == [1] * 11  # bar 0's high-low bar: the whole price area
    assert price[:, 0].tolist() == [0] * 8 + [1, 0, 0]  # open 2 -> row 10 - 2 = 8
    assert price[:, 2].tolist() == [0, 0, 1] + [0] * 8  # close 8 -> row 2
    assert price[:, 4].tolist() == [0] + [1] * 5 + [0] * 5  # 9 .. 5 -> rows 1 .. 5
    assert np.flatnonzero(price[:, 3]).tolist() == [2] and np.flatnonzero(price[:, 5]).tolist() == [5]
    assert not image[0, 11].any()  # the gap row
    volume = image[0, 12:].astype(int)
    assert volume[:, 1].tolist() == [1, 1, 1] and volume[:, 4].tolist() == [0, 1, 1]  # 4 -> 3 rows, 2 -> 1.5 -> 2
    assert not volume[:, [0, 2, 3, 5]].any()


def test_the_moving_average_is_drawn_on_the_middle_columns() -> None:
    ohlc = np.array([[[1.0, 2.0, 0.0, 1.0]] * 3])
    image = render(ohlc, np.ones((1, 3)), np.array([[1.0, 1.0, 2.0]]), height=15)
    assert image[0, 5, 1] and image[0, 5, 4] and image[0, 0, 7]  # MA 1 -> row 5, MA 2 -> row 0


def test_candles_are_recovered_exactly_from_the_feature_table() -> None:
    candles = _candles()
    features = build_features(candles)
    recovered = log_candles_from_features(features[list(CANDLE_FEATURES)].to_numpy())
    real = np.log(candles.loc[features.index, ["open", "high", "low", "close"]].to_numpy())
    offset = real[0, 3] - recovered[0, 3]  # the one unknown constant
    np.testing.assert_allclose(recovered[:, :4] + offset, real, rtol=0, atol=1e-9)


def test_the_image_at_t_ignores_every_bar_after_t() -> None:
    features = build_features(_candles())
    values = features[list(CANDLE_FEATURES)].to_numpy()
    lookback, cut = 20, 250
    before = chart_windows(log_candles_from_features(values), lookback, 64)
    altered = values.copy()
    altered[cut + 1:] = altered[cut + 1:][::-1] * 3.0
    after = chart_windows(log_candles_from_features(altered), lookback, 64)
    last = cut - (2 * lookback - 2)  # image k ends at row k + 2 * lookback - 2
    np.testing.assert_array_equal(before[: last + 1], after[: last + 1])
    assert (before[last + 1:] != after[last + 1:]).any()  # later images do change


def test_a_window_is_scaled_to_itself() -> None:
    """Multiplying every price by a constant leaves the image unchanged: it shows shape, not level."""
    values = build_features(_candles())[list(CANDLE_FEATURES)].to_numpy()
    candles = log_candles_from_features(values)
    shifted = candles.copy()
    shifted[:, :4] += np.log(7.0)
    np.testing.assert_array_equal(chart_windows(candles, 20, 64), chart_windows(shifted, 20, 64))


def test_a_chart_model_without_candle_columns_says_which_it_needs() -> None:
    from core import forecasters

    features = build_features(_candles()).drop(columns=["body_pct"])
    target = pd.DataFrame({"direction": 1.0, "future_return": 0.0}, index=features.index)
    model = forecasters.create("cnn_chart2d", max_epochs=1, lookback=8, height=16)
    with pytest.raises(DataError, match="body_pct"):
        model.fit(features[:150], target[:150], features[150:], target[150:], device="cpu")
