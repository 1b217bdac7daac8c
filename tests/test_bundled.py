"""Loading bundled candles: canonical shape, symbol spellings, timeframe choice and clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from core.data import TIMEFRAMES, available, load_candles
from core.errors import DataError, TimeframeError, UnknownSymbolError


def test_load_returns_canonical_frame() -> None:
    frame = load_candles("BTC/USDT", "1h")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == "float64" for dtype in frame.dtypes)
    assert isinstance(frame.index, pd.DatetimeIndex) and str(frame.index.tz) == "UTC"
    assert frame.index.name == "timestamp"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert frame.index[0] == pd.Timestamp("2017-08-17 04:00", tz="UTC")
    assert len(frame) == 61_596
    assert frame.attrs["source"] == "bundled" and frame.attrs["built_from"] == "1h"


@pytest.mark.parametrize("spelling", ["BTC", "btc", "BTC-USDT", "btc_usdt", "BTCUSDT", " BTC/USDT "])
def test_symbol_spellings_mean_the_same_series(spelling: str) -> None:
    assert load_candles(spelling, "1d").equals(load_candles("BTC/USDT", "1d"))


def test_start_and_end_are_inclusive_and_read_as_utc() -> None:
    frame = load_candles("ETH/USDT", "1h", start="2024-03-01", end="2024-03-01 05:00")
    assert list(frame.index.hour) == [0, 1, 2, 3, 4, 5]
    assert frame.index[0] == pd.Timestamp("2024-03-01", tz="UTC")


def test_callers_get_a_private_copy() -> None:
    frame = load_candles("BTC/USDT", "4h")
    frame["close"] = 0.0
    assert load_candles("BTC/USDT", "4h")["close"].gt(0).all()


@pytest.mark.parametrize(
    ("symbol", "timeframe", "built_from"),
    [
        ("BTC/USDT", "1m", "1m"),
        ("BTC/USDT", "15m", "1m"),  # only the 1m series divides 15m
        ("BTC/USDT", "4h", "1h"),  # 1h covers 7 years, 1m one month: the longer history wins
        ("SOL/USDT", "15m", "5m"),
        ("SOL/USDT", "1d", "1h"),
    ],
)
def test_each_timeframe_is_built_from_the_best_stored_series(symbol: str, timeframe: str, built_from: str) -> None:
    frame = load_candles(symbol, timeframe)
    assert frame.attrs["built_from"] == built_from
    assert len(frame) > 0
    steps = frame.index.to_series().diff().dropna()
    assert steps.min() == pd.Timedelta(minutes=TIMEFRAMES[timeframe])


def test_weekly_bars_open_on_monday_midnight() -> None:
    weekly = load_candles("BTC/USDT", "1w")
    assert set(weekly.index.dayofweek) == {0}
    assert set(weekly.index.hour) == {0}
    daily = load_candles("BTC/USDT", "1d")
    week = weekly.index[10]
    days = daily.loc[week : week + pd.Timedelta(days=6, hours=23)]
    assert weekly.loc[week, "high"] == days["high"].max()


def test_all_nine_timeframes_load_for_btc() -> None:
    for timeframe in TIMEFRAMES:
        assert len(load_candles("BTC/USDT", timeframe)) > 10, timeframe


def test_unknown_symbol_names_what_exists() -> None:
    with pytest.raises(UnknownSymbolError, match=r"no bundled data for FOO/USDT; bundled symbols: .*BTC/USDT"):
        load_candles("FOO", "1h")


def test_timeframe_finer_than_stored_data_names_what_exists() -> None:
    with pytest.raises(TimeframeError, match=r"5m bars for BNB/USDT cannot be built: the finest stored data is 1h"):
        load_candles("BNB/USDT", "5m")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeframe": "2h"}, "unknown timeframe '2h'"),
        ({"source": "yahoo"}, "unknown source 'yahoo'"),
        ({"start": "2024-02-01", "end": "2024-01-01"}, "is after end"),
        ({"start": "not a date"}, "cannot read 'not a date' as a date"),
        ({"symbol": "$$$"}, "is not a symbol"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict, message: str) -> None:
    call = {"symbol": "BTC/USDT", "timeframe": "1h", **kwargs}
    with pytest.raises(DataError, match=message):
        load_candles(**call)


def test_available_lists_every_buildable_series() -> None:
    table = available()
    btc = table[(table["symbol"] == "BTC/USDT") & (table["source"] == "bundled")]
    assert list(btc["timeframe"]) == list(TIMEFRAMES)
    eth_1h = table[(table["symbol"] == "ETH/USDT") & (table["timeframe"] == "1h")].iloc[0]
    assert eth_1h["start"] == pd.Timestamp("2018-01-01", tz="UTC")
    bnb = table[table["symbol"] == "BNB/USDT"]
    assert "5m" not in set(bnb["timeframe"])  # only hourly data is stored for BNB
    assert len(table["symbol"].unique()) >= 10
