"""Resampling against hand-derived expectations, for every timeframe, plus a real-data cross-check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import TIMEFRAMES, resample
from core.data.timeframes import timeframe_delta
from core.errors import TimeframeError

# target -> (source timeframe, open time of the first source bar, open time of the first COMPLETE target bar)
# The first source bar sits inside a bucket on purpose, so the leading partial bucket must be dropped.
CASES = {
    "1m": ("1m", "2024-01-01 00:00", "2024-01-01 00:00"),
    "3m": ("1m", "2024-01-01 00:01", "2024-01-01 00:03"),
    "5m": ("1m", "2024-01-01 00:02", "2024-01-01 00:05"),
    "15m": ("5m", "2024-01-01 00:05", "2024-01-01 00:15"),
    "30m": ("1m", "2024-01-01 00:10", "2024-01-01 00:30"),
    "1h": ("1m", "2024-01-01 00:30", "2024-01-01 01:00"),
    "4h": ("1h", "2024-01-01 03:00", "2024-01-01 04:00"),
    "1d": ("1h", "2023-12-31 20:00", "2024-01-01 00:00"),
    # 2024-01-03 is a Wednesday; weekly bars open on Monday 00:00 UTC, so the first complete one is 2024-01-08.
    "1w": ("1h", "2024-01-03 00:00", "2024-01-08 00:00"),
}


def _ramp(first_open: str, source_tf: str, rows: int) -> pd.DataFrame:
    """Bar k: open 100+k, high 102+k, low 99+k, close 100.5+k, volume 1 + k % 3."""
    k = np.arange(rows, dtype="float64")
    index = pd.date_range(first_open, periods=rows, freq=timeframe_delta(source_tf), tz="UTC", name="timestamp")
    return pd.DataFrame(
        {"open": 100 + k, "high": 102 + k, "low": 99 + k, "close": 100.5 + k, "volume": 1 + k % 3}, index=index
    )


@pytest.mark.parametrize("target", list(TIMEFRAMES))
def test_resample_matches_hand_derived_bars(target: str) -> None:
    source_tf, first_open, first_complete = CASES[target]
    n = TIMEFRAMES[target] // TIMEFRAMES[source_tf]  # source bars per target bar
    lead = (pd.Timestamp(first_complete) - pd.Timestamp(first_open)) // timeframe_delta(source_tf)
    trailing = n - 1 if n > 1 else 0  # an unfinished last bucket, which must be dropped
    source = _ramp(first_open, source_tf, lead + 2 * n + trailing)

    out = resample(source, source_tf, target)

    expected_index = pd.DatetimeIndex(
        [pd.Timestamp(first_complete, tz="UTC"), pd.Timestamp(first_complete, tz="UTC") + timeframe_delta(target)],
        name="timestamp",
    )
    pd.testing.assert_index_equal(out.index, expected_index)
    for bucket in range(2):
        j = lead + bucket * n  # first source bar of this bucket
        last = j + n - 1
        volume = sum(1 + k % 3 for k in range(j, j + n))
        assert out.iloc[bucket].to_dict() == {
            "open": 100 + j,
            "high": 102 + last,
            "low": 99 + j,
            "close": 100.5 + last,
            "volume": volume,
        }


def test_resample_literal_example_3m() -> None:
    """Seven 1m bars from 00:01: the 00:00 bucket lacks its first bar, the 00:06 bucket is unfinished."""
    source = pd.DataFrame(
        {
            "open": [10, 11, 12, 13, 14, 15, 16],
            "high": [11, 15, 13, 14, 18, 16, 17],
            "low": [9, 10, 11, 12, 13, 11, 15],
            "close": [11, 12, 13, 14, 15, 16, 17],
            "volume": [1, 2, 3, 4, 5, 6, 7],
        },
        index=pd.date_range("2024-01-01 00:01", periods=7, freq="1min", tz="UTC", name="timestamp"),
        dtype="float64",
    )
    out = resample(source, "1m", "3m")
    assert list(out.index) == [pd.Timestamp("2024-01-01 00:03", tz="UTC")]
    assert out.iloc[0].to_dict() == {"open": 12.0, "high": 18.0, "low": 11.0, "close": 15.0, "volume": 12.0}


def test_interior_hole_keeps_bucket_from_existing_bars() -> None:
    source = _ramp("2024-01-01 00:00", "1m", 9).drop(pd.Timestamp("2024-01-01 00:04", tz="UTC"))
    out = resample(source, "1m", "3m")
    assert len(out) == 3
    assert out.iloc[1]["volume"] == (1 + 3 % 3) + (1 + 5 % 3)  # bars 3 and 5 only


def test_resample_rejects_incompatible_timeframes() -> None:
    with pytest.raises(TimeframeError, match="cannot build 1m bars from 1h"):
        resample(_ramp("2024-01-01", "1h", 5), "1h", "1m")
    with pytest.raises(TimeframeError, match="unknown timeframe '2h'"):
        resample(_ramp("2024-01-01", "1h", 5), "1h", "2h")


def test_real_minute_bars_rebuild_the_stored_hourly_file(bundled_dir) -> None:
    """Binance's own 1h candles equal our 1h built from its 1m candles, hour for hour."""
    minute = pd.read_parquet(bundled_dir / "binance_BTC-USDT_1m.parquet").set_index("timestamp")
    hourly = pd.read_parquet(bundled_dir / "binance_BTC-USDT_1h.parquet").set_index("timestamp")
    built = resample(minute, "1m", "1h")
    assert len(built) > 700
    stored = hourly.loc[built.index]
    pd.testing.assert_frame_equal(built[["open", "high", "low", "close"]], stored[["open", "high", "low", "close"]])
    np.testing.assert_allclose(built["volume"], stored["volume"], rtol=1e-6)
