"""`quality_report`: exact gaps and coverage, duplicates, outliers, zero volume, JSON form."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data import QualityReport, quality_report

DATA = Path(__file__).resolve().parents[1] / "data"
HOUR = pd.Timedelta(hours=1)


def _calm(n: int = 500, seed: int = 0, freq: str = "1h") -> pd.DataFrame:
    """A quiet random walk (0.5% per bar) with consistent OHLCV."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.005, n)))
    index = pd.date_range("2024-01-01", periods=n, freq=freq, tz="UTC", name="timestamp")
    open_ = np.r_[100.0, close[:-1]]
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.001,
            "low": np.minimum(open_, close) * 0.999,
            "close": close,
            "volume": rng.uniform(1, 10, n),
        },
        index=index,
    )


def test_known_gaps_are_reported_exactly() -> None:
    full = _calm(100)
    holey = full.drop(full.index[[10, 11, 12, 40]])
    report = quality_report(holey)
    t = full.index
    assert report.timeframe == "1h"
    assert report.rows == 96
    assert report.expected_rows == 100
    assert report.coverage == pytest.approx(0.96)
    assert report.gaps == [
        {"start": t[10], "end": t[12], "missing_bars": 3},
        {"start": t[40], "end": t[40], "missing_bars": 1},
    ]
    assert report.missing_bars == 4
    assert (report.start, report.end) == (t[0], t[99])


def test_a_complete_grid_has_full_coverage_and_no_gaps() -> None:
    report = quality_report(_calm(100))
    assert (report.coverage, report.expected_rows, report.gaps, report.missing_bars) == (1.0, 100, [], 0)


def test_given_timeframe_overrides_the_inferred_one() -> None:
    report = quality_report(_calm(100), "30m")  # hourly bars on a 30m grid: every other bar missing
    assert report.timeframe == "30m"
    assert report.expected_rows == 199
    assert report.missing_bars == 99 and len(report.gaps) == 99
    assert report.coverage == pytest.approx(100 / 199)


def test_duplicates_are_counted_on_a_raw_unsorted_frame() -> None:
    frame = _calm(100)
    raw = pd.concat([frame, frame.iloc[[5, 5, 70]]]).sample(frac=1.0, random_state=1)
    report = quality_report(raw)
    assert report.duplicates == 3
    assert report.rows == 103
    assert report.expected_rows == 100 and report.coverage == 1.0 and report.gaps == []
    assert report.start == frame.index[0] and report.end == frame.index[-1]


def test_planted_spike_is_the_only_outlier() -> None:
    frame = _calm(500)
    assert quality_report(frame).outliers == []  # a calm series flags nothing
    spiked = frame.copy()
    spiked.iloc[250, spiked.columns.get_loc("close")] *= 1.30
    outliers = quality_report(spiked).outliers
    assert [o["timestamp"] for o in outliers] == [frame.index[250], frame.index[251]]  # up, then back down
    up, down = outliers
    calm_step = math.log(frame["close"].iloc[250] / frame["close"].iloc[249])
    assert up["log_return"] == pytest.approx(math.log(1.3) + calm_step)
    assert up["robust_z"] > 30 and down["robust_z"] < -30
    assert set(up) == {"timestamp", "log_return", "robust_z"}


def test_outlier_threshold_is_a_parameter() -> None:
    spiked = _calm(500)
    spiked.iloc[250, spiked.columns.get_loc("close")] *= 1.03  # ~4 sigma: not an outlier at 10, one at 3
    assert quality_report(spiked).outliers == []
    assert frozenset(o["timestamp"] for o in quality_report(spiked, z_threshold=3).outliers) >= {spiked.index[250]}


def test_zero_volume_rows_are_counted() -> None:
    frame = _calm(100)
    frame.iloc[[3, 4, 90], frame.columns.get_loc("volume")] = 0.0
    assert quality_report(frame).zero_volume_rows == 3


def test_empty_and_single_row_do_not_crash() -> None:
    empty = _calm(10).iloc[:0]
    report = quality_report(empty)
    assert (report.rows, report.start, report.end, report.timeframe) == (0, None, None, None)
    assert (report.expected_rows, report.coverage, report.gaps, report.outliers) == (0, 0.0, [], [])
    json.dumps(report.to_dict())

    one = quality_report(_calm(10).iloc[:1])
    assert (one.rows, one.expected_rows, one.coverage, one.timeframe) == (1, 1, 1.0, None)
    assert one.start == one.end == pd.Timestamp("2024-01-01", tz="UTC")
    assert quality_report(_calm(10).iloc[:1], "1h").expected_rows == 1


def test_irregular_spacing_has_no_grid() -> None:
    frame = _calm(50).set_axis(pd.date_range("2024-01-01", periods=50, freq="7min", tz="UTC"))
    report = quality_report(frame)
    assert report.timeframe is None
    assert (report.expected_rows, report.coverage, report.gaps) == (50, 1.0, [])


def test_to_dict_round_trips_through_json() -> None:
    frame = _calm(300)
    frame.iloc[100, frame.columns.get_loc("close")] *= 1.3
    holey = frame.drop(frame.index[[20, 21]])
    report = quality_report(holey)
    assert isinstance(report, QualityReport)
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["start"] == "2024-01-01T00:00:00+00:00"
    assert data["gaps"] == [
        {"start": "2024-01-01T20:00:00+00:00", "end": "2024-01-01T21:00:00+00:00", "missing_bars": 2}
    ]
    assert data["outliers"][0]["timestamp"] == frame.index[100].isoformat()
    assert set(data) == {
        "rows", "start", "end", "timeframe", "expected_rows", "coverage", "gaps", "missing_bars",
        "duplicates", "outliers", "zero_volume_rows",
    }


def test_report_is_frozen() -> None:
    report = quality_report(_calm(10))
    with pytest.raises(AttributeError):
        report.rows = 3  # type: ignore[misc]


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return pd.read_parquet(DATA / "binance_BTC-USDT_1h.parquet").set_index("timestamp")


def test_real_btc_gaps_match_the_known_holes(btc: pd.DataFrame) -> None:
    report = quality_report(btc, "1h")
    assert len(report.gaps) == 28
    assert report.missing_bars == 128
    assert report.expected_rows == len(btc) + 128
    assert report.coverage == pytest.approx(len(btc) / (len(btc) + 128))
    largest = max(report.gaps, key=lambda g: g["missing_bars"])
    assert largest == {
        "start": pd.Timestamp("2018-02-08 01:00", tz="UTC"),
        "end": pd.Timestamp("2018-02-09 09:00", tz="UTC"),
        "missing_bars": 33,
    }
    assert report.duplicates == 0


def test_real_btc_outliers_are_a_small_fraction(btc: pd.DataFrame) -> None:
    report = quality_report(btc)
    assert 0 < len(report.outliers) < 0.005 * len(btc)  # a handful of shock bars, not every busy day
    per_day = pd.Series([o["timestamp"].floor("D") for o in report.outliers]).value_counts()
    assert per_day.max() <= 6
    assert pd.Timestamp("2020-03-12", tz="UTC") in per_day.index  # the COVID crash is among them


def test_fast_on_100k_rows() -> None:
    frame = _calm(100_000, freq="1min")
    frame = frame.drop(frame.index[::97])
    started = time.perf_counter()
    report = quality_report(frame)
    assert time.perf_counter() - started < 3.0
    assert report.missing_bars == len(range(0, 100_000, 97)) - 1  # the very first bar is not a gap
