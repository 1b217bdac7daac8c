"""The ccxt source against a fake Binance on 127.0.0.1: pagination, cache reuse, resume and faults.

The fake serves real BTC/USDT hourly candles, at most 500 per reply, with its clock half an hour
into the last candle, so that candle is still forming and must never be returned or cached.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pytest
from ccxt.base.exchange import Exchange
from tests.fake_exchange import FakeExchange

import core.data
from core.config import PROJECT_ROOT
from core.data import live
from core.errors import SourceError, TimeframeError, UnknownSymbolError

HOUR = pd.Timedelta("1h")
CANDLES = (
    pd.read_parquet(PROJECT_ROOT / "data" / "binance_BTC-USDT_1h.parquet")
    .set_index("timestamp")
    .loc["2024-01-01":"2024-03-31"]
)
CLOSED = CANDLES.iloc[:-1]  # what the exchange has finished
START, END = pd.Timestamp("2024-01-05", tz="UTC"), pd.Timestamp("2024-02-20 23:00", tz="UTC")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeExchange]:
    """The fake exchange, with ccxt pointed at it; LYDIAN_HOME is already a fresh folder (conftest)."""
    server = FakeExchange(CANDLES, "1h", now=CANDLES.index[-1] + HOUR / 2, page_cap=500).start()
    monkeypatch.setenv("LYDIAN_CCXT_API_URL", server.url)
    monkeypatch.setenv("LYDIAN_CCXT_BACKOFF_S", "0.01")
    monkeypatch.setattr(live, "TIMEOUT_MS", 3000)
    yield server
    server.stop()


def load(start: pd.Timestamp | None = START, end: pd.Timestamp | None = END, symbol: str = "BTC/USDT") -> pd.DataFrame:
    return core.data.load_candles(symbol, "1h", start, end, source="ccxt:binance")


def starts(requests: list[dict[str, str]]) -> list[pd.Timestamp]:
    return [pd.Timestamp(int(q["startTime"]), unit="ms", tz="UTC") for q in requests]


def cache_file() -> Path:
    return live.cache_path("binance", "BTC/USDT", "1h")


def test_round_trip_pages_through_the_range(fake: FakeExchange) -> None:
    frame = load()
    pd.testing.assert_frame_equal(frame, CLOSED.loc[START:END])
    assert frame.attrs == {
        "symbol": "BTC/USDT",
        "timeframe": "1h",
        "source": "ccxt:binance",
        "exchange": "binance",
        "built_from": "1h",
    }
    requested = starts(fake.klines_requests())
    assert len(requested) == 3  # 1128 bars at 500 a reply
    assert requested[0] == START and requested[1] == START + 500 * HOUR


def test_latest_candles_leave_out_the_forming_one(fake: FakeExchange) -> None:
    frame = load(start=CANDLES.index[-10], end=None)
    pd.testing.assert_frame_equal(frame, CLOSED.iloc[-9:])
    cached = pd.read_parquet(cache_file())
    assert cached.index[-1] == CLOSED.index[-1]


def test_cache_is_reused_and_only_new_bars_are_fetched(fake: FakeExchange) -> None:
    load()
    cached_end = pd.read_parquet(cache_file()).index[-1]
    before = len(fake.requests)
    pd.testing.assert_frame_equal(load(), CLOSED.loc[START:END])
    assert len(fake.requests) == before  # covered: not even the markets were asked for

    seen = len(fake.klines_requests())
    later = cached_end + 300 * HOUR
    pd.testing.assert_frame_equal(load(end=later), CLOSED.loc[START:later])
    assert starts(fake.klines_requests()[seen:]) == [cached_end + HOUR]

    listed = core.data.available().query("source == 'ccxt:binance'")
    assert listed[["symbol", "timeframe", "exchange", "built_from"]].values.tolist() == [
        ["BTC/USDT", "1h", "binance", "1h"]
    ]
    assert listed["start"].iloc[0] == START and listed["end"].iloc[0] >= later


def test_backfill_fetches_only_bars_before_the_cache(fake: FakeExchange) -> None:
    load()
    seen = len(fake.klines_requests())
    earlier = pd.Timestamp("2024-01-01", tz="UTC")
    pd.testing.assert_frame_equal(load(start=earlier), CLOSED.loc[earlier:END])
    assert all(earlier <= s < START for s in starts(fake.klines_requests()[seen:]))


def test_rate_limit_is_retried(fake: FakeExchange) -> None:
    fake.fail("429", on=2)
    pd.testing.assert_frame_equal(load(), CLOSED.loc[START:END])
    requested = starts(fake.klines_requests())
    assert len(requested) == 4 and requested[1] == requested[2]  # the refused page was asked again


@pytest.mark.parametrize("kind", ["malformed", "garbage", "invalid"])
def test_malformed_reply_fails_and_keeps_the_cache(fake: FakeExchange, kind: str) -> None:
    load()
    saved = cache_file().read_bytes()
    fake.fail(kind, on=len(fake.klines_requests()) + 1)
    with pytest.raises(SourceError, match=r"binance: malformed reply while fetching BTC/USDT 1h"):
        load(end=CLOSED.index[-1])
    assert cache_file().read_bytes() == saved


def test_dropped_connection_keeps_complete_pages_and_resumes(fake: FakeExchange) -> None:
    fake.fail("drop", on=3, times=None)
    with pytest.raises(SourceError, match=r"network error .* 1000 bars cached so far, run again to resume"):
        load()
    assert len(fake.klines_requests()) == 2 + 1 + live.NETWORK_RETRIES
    pd.testing.assert_frame_equal(pd.read_parquet(cache_file()), CLOSED.loc[START:].iloc[:1000])
    assert [p.name for p in cache_file().parent.iterdir()] == [cache_file().name]  # no temp file left

    fake.faults.clear()
    seen = len(fake.klines_requests())
    pd.testing.assert_frame_equal(load(), CLOSED.loc[START:END])
    assert starts(fake.klines_requests()[seen:])[0] == START + 1000 * HOUR


def test_unknown_exchange_symbol_and_timeframe(fake: FakeExchange, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceError, match=r"unknown exchange 'binanse'.*binance"):
        core.data.load_candles("BTC/USDT", "1h", source="ccxt:binanse")
    with pytest.raises(UnknownSymbolError, match="binance has no market DOGE/USDT"):
        load(symbol="DOGE/USDT")
    with pytest.raises(TimeframeError, match="unknown timeframe '2h'"):
        core.data.load_candles("BTC/USDT", "2h", source="ccxt:binance")

    make = live.make_exchange

    def hourly_only(exchange_id: str) -> Exchange:  # an exchange that lacks one of Lydian's timeframes
        exchange = make(exchange_id)
        exchange.timeframes = {"1h": "1h"}
        return exchange

    monkeypatch.setattr(live, "make_exchange", hourly_only)
    with pytest.raises(TimeframeError, match="binance has no 3m candles; it serves 1h"):
        core.data.load_candles("BTC/USDT", "3m", source="ccxt:binance")
    assert fake.klines_requests() == []


def test_listing_the_cache_does_not_import_ccxt() -> None:
    code = "import sys, core.data.live as live; live.cached_entries(); assert 'ccxt' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_interrupted_write_keeps_the_old_cache(fake: FakeExchange, monkeypatch: pytest.MonkeyPatch) -> None:
    load()
    saved = cache_file().read_bytes()

    def killed_midway(frame: pd.DataFrame, handle: BinaryIO, **kwargs: object) -> None:
        handle.write(saved[: len(saved) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        load(end=CLOSED.index[-1])
    assert cache_file().read_bytes() == saved
    assert [p.name for p in cache_file().parent.iterdir()] == [cache_file().name]
