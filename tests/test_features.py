"""Feature matrix, targets, scalers and windows: contents, warm-up, known values and API contracts.

Causality has its own file (test_no_lookahead.py). No timings here: see benchmarks/features.py.
"""

from __future__ import annotations

import importlib.util
import json
from glob import glob
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.features import (
    FEATURE_GROUPS,
    INDICATOR_GROUPS,
    MinMaxScaler,
    RobustScaler,
    Scaler,
    ZScoreScaler,
    build_features,
    feature_groups,
    make_windows,
    targets,
)

ROOT = Path(__file__).resolve().parents[1]
SYMBOL_FILES = sorted(glob(str(ROOT / "data" / "*_1h.parquet")))


def _read(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path).set_index("timestamp")


def _benchmark_module():
    """benchmarks/features.py, whose `long_history` builds the 100k-bar frame for both."""
    spec = importlib.util.spec_from_file_location("benchmark_features", ROOT / "benchmarks" / "features.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return _read(ROOT / "data" / "binance_BTC-USDT_1h.parquet")


@pytest.fixture(scope="module")
def btc_features(btc: pd.DataFrame) -> pd.DataFrame:
    return build_features(btc.iloc[:5_000], drop_warmup=False)


def _synthetic(n: int = 400, start: str = "2024-01-01 00:00") -> pd.DataFrame:
    """A smooth, valid hand series: close oscillates around a slow trend."""
    i = np.arange(n, dtype=np.float64)
    close = 100.0 + 0.05 * i + 3.0 * np.sin(i / 7.0)
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) + 0.5 + 0.1 * np.cos(i)
    low = np.minimum(open_, close) - 0.4
    volume = 1_000.0 + 200.0 * np.sin(i / 3.0)
    index = pd.date_range(start, periods=n, freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)


# --- contents -------------------------------------------------------------------------------


def test_at_least_150_indicator_columns_and_every_group_used() -> None:
    groups = feature_groups()
    assert set(groups.values()) == set(FEATURE_GROUPS)
    assert sum(g in INDICATOR_GROUPS for g in groups.values()) >= 150


def test_columns_and_group_map_match_exactly(btc_features: pd.DataFrame) -> None:
    assert list(btc_features.columns) == list(feature_groups())
    assert btc_features.dtypes.eq(np.float64).all()


def test_no_candlestick_patterns_and_names_are_snake_case() -> None:
    for name in feature_groups():
        assert not name.startswith("cdl"), name
        assert name == name.lower() and " " not in name and "." not in name, name


@pytest.mark.parametrize("path", SYMBOL_FILES, ids=lambda p: Path(p).stem)
def test_no_nan_or_inf_after_warmup_on_real_data(path: str) -> None:
    frame = build_features(_read(path))
    bad = ~np.isfinite(frame.to_numpy())
    assert not bad.any(), f"non-finite values in {list(frame.columns[bad.any(axis=0)])}"


def test_bundled_1h_symbols_are_all_tested() -> None:
    assert len(SYMBOL_FILES) >= 10


def test_zero_volume_and_flat_bars_stay_finite() -> None:
    candles = _synthetic(1_200)
    candles.iloc[300:600, candles.columns.get_loc("volume")] = 0.0  # longer than every window
    flat = candles["close"].iloc[799]
    candles.iloc[800:1_100, :4] = flat  # open = high = low = close
    frame = build_features(candles)
    bad = ~np.isfinite(frame.to_numpy())
    assert not bad.any(), f"non-finite values in {list(frame.columns[bad.any(axis=0)])}"


# --- warm-up ----------------------------------------------------------------------------------


def test_warmup_is_reported_and_dropped_consistently(btc: pd.DataFrame) -> None:
    candles = btc.iloc[:3_000]
    kept = build_features(candles, drop_warmup=False)
    dropped = build_features(candles)
    warmup = kept.attrs["warmup_rows"]
    assert dropped.attrs["warmup_rows"] == warmup > 0
    assert len(kept) == len(candles) and kept.index.equals(candles.index)
    pd.testing.assert_frame_equal(dropped, kept.iloc[warmup:], check_freq=False)
    nan = kept.isna().to_numpy()
    leading = nan.cumprod(axis=0).sum(axis=0)  # leading NaN rows per column
    assert leading.max() == warmup  # tight: the last warm-up row still has a NaN
    assert not nan[warmup:].any()


def test_live_window_features_match_full_history(btc: pd.DataFrame) -> None:
    """Live forecasts build features from the last LIVE_BARS candles only; their latest rows must
    be the ones a full history gives, or a live signal would differ from what was evaluated."""
    from core.ensemble.live import LIVE_BARS

    candles = btc.iloc[:6_000]
    full = build_features(candles).iloc[-24:]
    live = build_features(candles.iloc[-LIVE_BARS:]).iloc[-24:]
    assert live.index.equals(full.index) and list(live.columns) == list(full.columns)
    scale = build_features(candles).std().replace(0.0, 1.0)
    assert ((live - full).abs() / scale).to_numpy().max() < 1e-3


def test_last_rows_are_the_full_frames_last_rows(btc: pd.DataFrame) -> None:
    candles = btc.iloc[:1_000]
    full = build_features(candles)
    pd.testing.assert_frame_equal(build_features(candles, last=30), full.iloc[-30:])
    pd.testing.assert_frame_equal(build_features(candles, last=5_000), full)  # more than there is: all of it
    with_warmup = build_features(candles, drop_warmup=False)
    assert build_features(candles, drop_warmup=False, last=len(candles)).equals(with_warmup)
    with pytest.raises(ValueError, match="positive"):
        build_features(candles, last=0)


def test_many_frames_in_worker_processes_match_one_by_one(btc: pd.DataFrame, monkeypatch) -> None:
    from core.features import pool

    monkeypatch.setattr(pool, "MIN_FRAMES", 1)
    naive = btc.iloc[:900].copy()
    naive.index = naive.index.tz_localize(None)  # a naive index is read as UTC, in a worker too
    frames, last = [btc.iloc[:1_000], btc.iloc[500:1_400], naive], [25, 1, 700]
    for built, frame, n in zip(pool.build_features_many(frames, last), frames, last, strict=True):
        expected = build_features(frame, last=n)
        pd.testing.assert_frame_equal(built, expected)
        assert built.attrs == expected.attrs
    with pytest.raises(DataError, match="need at least"):
        list(pool.build_features_many([btc.iloc[:1_000], btc.iloc[:50]], [5, 5]))


def test_too_short_frame_raises(btc: pd.DataFrame) -> None:
    warmup = build_features(btc.iloc[:500]).attrs["warmup_rows"]
    with pytest.raises(DataError, match=f"need at least {warmup + 1} bars.*got {warmup}"):
        build_features(btc.iloc[:warmup])
    assert len(build_features(btc.iloc[: warmup + 1])) == 1


def test_not_a_candle_frame_raises(btc: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="missing column"):
        build_features(btc.drop(columns="volume"))
    with pytest.raises(DataError, match="index must be timestamps"):
        build_features(btc.reset_index(drop=True))


def test_100k_real_bars_build_and_are_finite() -> None:
    candles = _benchmark_module().long_history(100_000)
    assert len(candles) == 100_000 and candles.index.is_unique
    frame = build_features(candles)
    assert len(frame) == 100_000 - frame.attrs["warmup_rows"]
    assert np.isfinite(frame.to_numpy()).all()


# --- known values -----------------------------------------------------------------------------


def test_known_values_on_a_hand_series() -> None:
    candles = _synthetic()
    candles.iloc[300:302, candles.columns.get_loc("close")] = [100.0, 110.0]
    frame = build_features(candles, drop_warmup=False)
    close, high, low, open_ = (candles[c] for c in ("close", "high", "low", "open"))
    rows = slice(frame.attrs["warmup_rows"], None)

    assert frame["return_1"].iloc[301] == pytest.approx(0.1)
    assert frame["log_return_1"].iloc[301] == pytest.approx(np.log(1.1))
    expected = {
        "return_1": close.pct_change(),
        "log_return_5": np.log(close / close.shift(5)),
        "sma_20_vs_close": close.rolling(20).mean() / close - 1,
        "volatility_20": np.log(close).diff().rolling(20).std(),
        "range_pct": (high - low) / close,
        "gap": open_ / close.shift(1) - 1,
        "close_location": (close - low) / (high - low),
        "volume_zscore_20": (candles["volume"] - candles["volume"].rolling(20).mean())
        / candles["volume"].rolling(20).std(),
    }
    for name, series in expected.items():
        np.testing.assert_allclose(frame[name].iloc[rows], series.iloc[rows], rtol=1e-9, err_msg=name)


def test_cycle_sine_is_ta_libs_own(btc: pd.DataFrame) -> None:
    """ht_sine comes from HT_DCPHASE's phase (core.features.indicators): it must be TA-Lib's HT_SINE to the bit."""
    import talib

    candles = btc.iloc[:3_000]
    frame = build_features(candles, drop_warmup=False)
    sine, lead = talib.HT_SINE(candles["close"].to_numpy(dtype=np.float64))
    np.testing.assert_array_equal(frame["ht_sine"].to_numpy(), sine)
    np.testing.assert_array_equal(frame["ht_sine_lead"].to_numpy(), lead)
    np.testing.assert_array_equal(frame["ht_dcphase"].to_numpy(), talib.HT_DCPHASE(candles["close"].to_numpy()))


def test_time_features_for_known_timestamps() -> None:
    frame = build_features(_synthetic(start="2024-01-01 00:00"), drop_warmup=False)
    monday = frame.loc[pd.Timestamp("2024-01-01 00:00", tz="UTC")]
    assert (monday["hour"], monday["weekday"], monday["day_of_month"], monday["month"]) == (0, 0, 1, 1)
    assert (monday["is_weekend"], monday["session_asia"], monday["session_us"]) == (0, 1, 0)
    assert monday["hour_sin"] == pytest.approx(0) and monday["hour_cos"] == pytest.approx(1)
    assert monday["month_sin"] == pytest.approx(0) and monday["month_cos"] == pytest.approx(1)
    saturday_2pm = frame.loc[pd.Timestamp("2024-01-06 14:00", tz="UTC")]
    assert (saturday_2pm["weekday"], saturday_2pm["is_weekend"], saturday_2pm["hour"]) == (5, 1, 14)
    assert (saturday_2pm["session_asia"], saturday_2pm["session_europe"], saturday_2pm["session_us"]) == (0, 1, 1)


# --- targets ----------------------------------------------------------------------------------


def test_targets_on_a_hand_series() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="h", tz="UTC")
    candles = pd.DataFrame({"close": [100.0, 110.0, 99.0, 99.0, 120.0]}, index=index)
    one = targets(candles, 1)
    np.testing.assert_allclose(one["future_return"], [0.1, -0.1, 0.0, 120 / 99 - 1, np.nan])
    np.testing.assert_allclose(one["future_log_return"], np.log([1.1, 0.9, 1.0, 120 / 99, np.nan]))
    np.testing.assert_array_equal(one["direction"], [1.0, 0.0, 0.0, 1.0, np.nan])  # flat counts as down
    two = targets(candles, 2)
    np.testing.assert_allclose(two["future_return"], [-0.01, 99 / 110 - 1, 120 / 99 - 1, np.nan, np.nan])
    assert two.index.equals(index) and list(two.columns) == ["future_return", "future_log_return", "direction"]
    assert targets(candles, 9).isna().all().all()


@pytest.mark.parametrize("horizon", [0, -1, 1.5, True, "3"])
def test_targets_reject_bad_horizon(horizon) -> None:
    candles = pd.DataFrame({"close": [1.0, 2.0]})
    with pytest.raises(ValueError, match="horizon must be a positive"):
        targets(candles, horizon)


# --- scalers ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def split(btc_features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = btc_features.iloc[btc_features.attrs["warmup_rows"] :]
    return rows.iloc[:3_000], rows.iloc[3_000:]


def test_zscore_fits_on_train_rows_only(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    scaler = ZScoreScaler().fit(train)
    scaled = scaler.transform(train)
    varying = train.std(ddof=0).to_numpy() > 0
    np.testing.assert_allclose(scaled.mean().to_numpy(), 0.0, atol=1e-9)
    np.testing.assert_allclose(scaled.std(ddof=0).to_numpy()[varying], 1.0, rtol=1e-9)
    # the statistics are the train rows' own; transforming other rows neither uses nor changes them
    np.testing.assert_allclose(scaler.center_, train.mean().to_numpy(), rtol=1e-12, atol=1e-15)
    center, spread = scaler.center_.copy(), scaler.scale_.copy()
    everything = scaler.transform(pd.concat([train, test * 1_000]))
    pd.testing.assert_frame_equal(everything.iloc[: len(train)], scaled)
    np.testing.assert_array_equal(scaler.center_, center)
    np.testing.assert_array_equal(scaler.scale_, spread)
    assert not np.allclose(ZScoreScaler().fit(pd.concat([train, test])).center_, scaler.center_)


def test_minmax_and_robust_on_train_rows(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, _ = split
    scaled = MinMaxScaler().fit_transform(train).to_numpy()
    varying = np.ptp(train.to_numpy(), axis=0) > 0
    np.testing.assert_allclose(scaled.min(axis=0)[varying], 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.max(axis=0)[varying], 1.0, rtol=1e-12)
    wide = MinMaxScaler(feature_range=(-1.0, 1.0)).fit_transform(train).to_numpy()
    np.testing.assert_allclose(wide.min(axis=0)[varying], -1.0, rtol=1e-12)
    robust = RobustScaler().fit_transform(train)
    np.testing.assert_allclose(robust.median().to_numpy(), 0.0, atol=1e-12)


@pytest.mark.parametrize("kind", [ZScoreScaler, MinMaxScaler, RobustScaler])
def test_scalers_handle_constant_columns_and_arrays(kind: type[Scaler]) -> None:
    values = np.column_stack([np.arange(10.0), np.full(10, 7.0), np.zeros(10)])
    scaled = kind().fit_transform(values)
    assert isinstance(scaled, np.ndarray) and np.isfinite(scaled).all()
    assert np.ptp(scaled[:, 1]) == 0 and np.ptp(scaled[:, 2]) == 0
    np.testing.assert_allclose(kind().fit(values).inverse_transform(scaled), values, atol=1e-12)


@pytest.mark.parametrize("kind", [ZScoreScaler, MinMaxScaler, RobustScaler])
def test_scaler_round_trips_through_json(kind: type[Scaler], split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    scaler = kind().fit(train)
    state = json.loads(json.dumps(scaler.to_dict()))
    for loaded in (kind.from_dict(state), Scaler.from_dict(state)):
        assert type(loaded) is kind and loaded.columns_ == list(train.columns)
        pd.testing.assert_frame_equal(loaded.transform(test), scaler.transform(test))
    other = MinMaxScaler if kind is not MinMaxScaler else ZScoreScaler
    with pytest.raises(DataError, match="cannot load"):
        other.from_dict(state)


def test_scaler_refuses_other_columns_and_accepts_reordered(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = split
    scaler = ZScoreScaler().fit(train)
    with pytest.raises(DataError, match="fitted on other columns.*missing \\['return_1'\\]"):
        scaler.transform(test.drop(columns="return_1"))
    with pytest.raises(DataError, match="unexpected \\['extra'\\]"):
        scaler.transform(test.assign(extra=1.0))
    with pytest.raises(DataError, match="fitted on .* columns, got 2"):
        scaler.transform(np.zeros((3, 2)))
    reordered = scaler.transform(test[test.columns[::-1]])
    pd.testing.assert_frame_equal(reordered, scaler.transform(test))
    with pytest.raises(RuntimeError, match="not fitted"):
        ZScoreScaler().transform(test)


# --- windows ----------------------------------------------------------------------------------


def test_make_windows_is_an_aligned_view(btc_features: pd.DataFrame) -> None:
    features = btc_features.iloc[btc_features.attrs["warmup_rows"] :]
    lookback = 24
    windows = make_windows(features, lookback)
    rows, columns = features.shape
    assert windows.shape == (rows - lookback + 1, lookback, columns)
    values = features.to_numpy()
    assert np.shares_memory(windows, values)
    assert not windows.flags.writeable
    for k in (0, 1, 500, len(windows) - 1):
        np.testing.assert_array_equal(windows[k, -1], values[k + lookback - 1])  # window k ends at row k+L-1
        np.testing.assert_array_equal(windows[k, 0], values[k])
    array = np.arange(12.0).reshape(6, 2)
    whole = make_windows(array, 6)
    assert whole.shape == (1, 6, 2) and np.shares_memory(whole, array)
    np.testing.assert_array_equal(make_windows(array, 1)[:, 0], array)


@pytest.mark.parametrize("lookback", [0, -3, 7, 2.0, True])
def test_make_windows_rejects_bad_lookback(lookback) -> None:
    with pytest.raises(ValueError, match="lookback must be"):
        make_windows(np.zeros((6, 2)), lookback)


def test_make_windows_rejects_1d() -> None:
    with pytest.raises(ValueError, match="2-D"):
        make_windows(np.zeros(6), 2)
