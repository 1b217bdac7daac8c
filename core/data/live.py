"""Candles from a live exchange through ccxt, cached on disk so that no range is fetched twice.

Exchanges serve a few hundred bars per request and rate-limit callers, so history comes page by
page, and each page goes into a parquet cache (one file per exchange, symbol and timeframe) as
soon as it arrives. The cache holds one contiguous range: a later call fetches only what lies
before or after it, and a fetch cut short by a network error or a kill resumes where it stopped.
Every write is atomic (temp file, fsync, rename), so the file is never half-written and rows
already cached are never lost. ccxt is imported lazily, because listing the cache
(``cached_entries``) must stay cheap.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from core.config import cache_dir
from core.data.symbols import file_token, normalize_symbol
from core.data.timeframes import TIMEFRAMES, check_timeframe, timeframe_ms
from core.data.validate import COLUMNS, empty_candles, validate_candles
from core.errors import DataError, SourceError, TimeframeError, UnknownSymbolError
from core.io import write_atomically

if TYPE_CHECKING:
    from ccxt.base.exchange import Exchange

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BARS = 1_000  # history fetched when no start is given and nothing is cached
TIMEOUT_MS = 10_000  # per HTTP request
RATE_LIMIT_RETRIES = 5  # HTTP 429/418: the exchange asks us to slow down, so waiting works
NETWORK_RETRIES = 2  # timeouts and dropped connections: worth a retry, not a long siege
FALLBACK_PAGE_LIMIT = 500  # bars per request when ccxt does not state the exchange's maximum
_OPTIONS = {"binance": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False}}  # one markets call
_CACHE_FILE = re.compile(r"^(?P<base>[A-Z0-9]+)-(?P<quote>[A-Z0-9]+)_(?P<tf>\w+)\.parquet$")


def backoff_s() -> float:
    """First wait after a refused request (doubled on each retry); ``LYDIAN_CCXT_BACKOFF_S`` sets it."""
    return float(os.environ.get("LYDIAN_CCXT_BACKOFF_S", "1.0"))


def _point_at(urls: Any, base: str) -> Any:
    """``urls`` (a string or nested dict of them) with scheme and host replaced by ``base``."""
    if isinstance(urls, str):
        return re.sub(r"^https?://[^/]+", base, urls)
    if isinstance(urls, dict):
        return {key: _point_at(value, base) for key, value in urls.items()}
    return urls


def make_exchange(exchange_id: str) -> Exchange:
    """A ccxt client with rate limiting on, sent to ``LYDIAN_CCXT_API_URL`` when set (tests, proxies)."""
    import ccxt

    if exchange_id not in ccxt.exchanges:
        like = difflib.get_close_matches(exchange_id, ccxt.exchanges, n=3) or ["binance", "kraken", "coinbase"]
        raise SourceError(f"unknown exchange {exchange_id!r}; ccxt knows e.g. {', '.join(like)}")
    # enableLastJsonResponse tells a reply that is not JSON (ccxt parses it as no rows) from an empty page
    config = {"enableRateLimit": True, "enableLastJsonResponse": True, "timeout": TIMEOUT_MS}
    exchange = getattr(ccxt, exchange_id)({**config, "options": _OPTIONS.get(exchange_id, {})})
    base = os.environ.get("LYDIAN_CCXT_API_URL")
    if base:
        exchange.urls["api"] = _point_at(exchange.urls["api"], base.rstrip("/"))
    return exchange


def cache_path(exchange_id: str, symbol: str, timeframe: str) -> Path:
    """The parquet file caching one (exchange, symbol, timeframe)."""
    return cache_dir("ccxt", exchange_id) / f"{file_token(symbol)}_{timeframe}.parquet"


def _read_cache(path: Path) -> pd.DataFrame:
    if not path.exists():
        return empty_candles()
    try:
        return validate_candles(pd.read_parquet(path), name=str(path))
    except (OSError, ValueError) as exc:
        raise DataError(f"cache file {path} is unreadable ({exc}); delete it to fetch again") from None


def _ms(stamp: pd.Timestamp) -> int:
    return stamp.value // 1_000_000


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rows_to_candles(rows: list) -> pd.DataFrame:
    """ccxt's ``[ms, o, h, l, c, v]`` rows as validated candles, or `DataError` saying what is wrong."""
    bad = next((r for r in rows if not (isinstance(r, list) and len(r) == 6 and all(map(_is_number, r)))), None)
    if bad is not None:
        raise DataError(f"a row is not 6 numbers: {bad!r}")
    data = np.array(rows, dtype="float64").reshape(-1, 6)
    index = pd.to_datetime(data[:, 0].astype("int64"), unit="ms", utc=True)
    return validate_candles(pd.DataFrame(data[:, 1:], index=index, columns=list(COLUMNS)), name="reply")


def _page_limit(exchange: Exchange) -> int:
    """The most bars the exchange serves per request, as ccxt states it."""
    spot = (exchange.features or {}).get("spot") or {}
    return int((spot.get("fetchOHLCV") or {}).get("limit") or FALLBACK_PAGE_LIMIT)


@dataclass
class _Fetch:
    """One load's fetching: the client, the market, and the cache it grows page by page."""

    exchange: Exchange
    symbol: str
    timeframe: str
    path: Path
    cached: pd.DataFrame
    now_ms: int = 0

    @property
    def step(self) -> int:
        return timeframe_ms(self.timeframe)

    def fail(self, problem: str, what: str, reason: str) -> SourceError:
        return SourceError(
            f"{self.exchange.id}: {problem} while {what}: {reason}; "
            f"{len(self.cached)} bars cached so far, run again to resume"
        )

    def call(self, what: str, request: Callable[[], T]) -> T:
        """``request()``, retried with exponential backoff when refused or cut off."""
        import ccxt

        attempt = 0
        while True:
            try:
                return request()
            except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
                error, problem, retries = exc, "rate limited", RATE_LIMIT_RETRIES
            except ccxt.NetworkError as exc:
                error, problem, retries = exc, "network error", NETWORK_RETRIES
            except ccxt.BaseError as exc:
                raise self.fail("bad reply", what, f"{type(exc).__name__}: {exc}") from None
            reason = f"{type(error).__name__}: {error}" + (f" ({error.__cause__})" if error.__cause__ else "")
            if attempt >= retries:
                raise self.fail(problem, what, reason) from None
            delay = backoff_s() * 2**attempt
            log.warning("%s while %s (%s); retry %d in %.2f s", problem, what, reason, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1

    def connect(self) -> None:
        """Check the market exists and read the exchange's clock, which decides what is still forming."""
        exchange = self.exchange
        self.call("loading markets", exchange.load_markets)
        if self.symbol not in exchange.markets:
            like = difflib.get_close_matches(self.symbol, list(exchange.markets), n=5)
            hint = f"; similar: {', '.join(like)}" if like else ""
            raise UnknownSymbolError(f"{exchange.id} has no market {self.symbol}{hint}")
        has_clock = exchange.has.get("fetchTime")
        self.now_ms = self.call("reading the clock", exchange.fetch_time) if has_clock else exchange.milliseconds()

    def page(self, since: int) -> pd.DataFrame:
        """The closed candles opened at or after ``since`` in one request."""
        stamp = pd.Timestamp(since, unit="ms", tz="UTC")
        what = f"fetching {self.symbol} {self.timeframe} from {stamp:%Y-%m-%d %H:%M}"
        exchange, limit = self.exchange, _page_limit(self.exchange)
        rows = self.call(what, lambda: exchange.fetch_ohlcv(self.symbol, self.timeframe, since=since, limit=limit))
        if exchange.last_json_response is None:
            raise self.fail("malformed reply", what, f"not JSON: {str(exchange.last_http_response)[:60]!r}")
        try:
            candles = _rows_to_candles(rows)
        except DataError as exc:
            raise self.fail("malformed reply", what, str(exc)) from None
        opens = candles.index.as_unit("ms").asi8
        return candles[(opens >= since) & (opens + self.step <= self.now_ms)]

    def pages(self, since: int, until: int) -> Iterator[pd.DataFrame]:
        """Pages from ``since`` until one starts after ``until``, the last closed bar, or the data ends."""
        cursor = since
        while cursor <= min(until, self.now_ms - self.step):
            page = self.page(cursor)
            if page.empty:
                return
            yield page
            cursor = _ms(page.index[-1]) + self.step

    def commit(self, candles: pd.DataFrame) -> None:
        """Merge ``candles`` into the cache (cached rows win) and write it."""
        merged = pd.concat([self.cached, candles])
        merged = merged[~merged.index.duplicated(keep="first")].sort_index()
        self.cached = validate_candles(merged, name=str(self.path))
        write_atomically(self.path, self.cached.to_parquet)

    def forward(self, since: int, until: int) -> None:
        """Fetch after the cache, writing each page: the cached range only ever grows at its end."""
        for page in self.pages(since, until):
            self.commit(page)

    def backfill(self, start: int) -> None:
        """Fetch before the cache in windows of one page that end where the cache begins.

        A window is written once complete, so the cache stays one contiguous range whatever
        interrupts the fetch; an interruption costs at most one window.
        """
        window = _page_limit(self.exchange) * self.step
        while start <= _ms(self.cached.index[0]) - self.step:
            first = _ms(self.cached.index[0])
            pages = list(self.pages(max(start, first - window), first - 1))
            if not pages or _ms(pages[0].index[0]) >= first:
                return  # the exchange has nothing earlier
            self.commit(pd.concat(pages))

    def fill(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> None:
        """Fetch what [start, end] needs beyond the cache: before its first bar, then after its last."""
        self.connect()
        end_ms = self.now_ms if end is None else min(_ms(end), self.now_ms)
        if self.cached.empty:
            self.forward(self.now_ms - DEFAULT_BARS * self.step if start is None else _ms(start), end_ms)
            return
        if start is not None:
            self.backfill(_ms(start))
        self.forward(_ms(self.cached.index[-1]) + self.step, end_ms)


def _covered(cached: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None, step: int) -> bool:
    """True when no bar opening in [start, end] can be missing from the cache (no network needed)."""
    if cached.empty or end is None:
        return False
    first, last = _ms(cached.index[0]), _ms(cached.index[-1])
    return (start is None or _ms(start) > first - step) and _ms(end) < last + step


def _check_serves(exchange: Exchange, timeframe: str) -> None:
    if not exchange.has.get("fetchOHLCV"):
        raise SourceError(f"{exchange.id} does not serve candles through ccxt")
    served = [t for t in TIMEFRAMES if t in (exchange.timeframes or {})]
    if timeframe not in served:
        offer = ", ".join(served) or "none of Lydian's timeframes"
        raise TimeframeError(f"{exchange.id} has no {timeframe} candles; it serves {offer}")


def _describe(exchange_id: str, symbol: str, timeframe: str) -> dict[str, str]:
    """Where candles came from, as ``attrs`` of a loaded frame and as a row of ``core.data.available``."""
    return {
        "symbol": symbol,
        "timeframe": timeframe,
        "source": f"ccxt:{exchange_id}",
        "exchange": exchange_id,
        "built_from": timeframe,
    }


def load(
    exchange_id: str, symbol: str, timeframe: str, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    """Closed candles of ``symbol`` on ``exchange_id`` covering [start, end], fetching only what the cache lacks.

    ``start`` None means the cache start, or `DEFAULT_BARS` bars back when nothing is cached; ``end``
    None means now. The whole cached range is returned; the caller slices it.
    """
    check_timeframe(timeframe)
    symbol = normalize_symbol(symbol)
    exchange = make_exchange(exchange_id)
    _check_serves(exchange, timeframe)
    path = cache_path(exchange_id, symbol, timeframe)
    fetch = _Fetch(exchange, symbol, timeframe, path, _read_cache(path))
    if not _covered(fetch.cached, start, end, fetch.step):
        fetch.fill(start, end)
    frame = fetch.cached
    frame.attrs = _describe(exchange_id, symbol, timeframe)
    return frame


def cached_entries() -> list[dict]:
    """One entry per cache file, in the row shape of ``core.data.available``; unreadable files are skipped."""
    entries = []
    for path in sorted(cache_dir("ccxt").glob("*/*.parquet")):
        match = _CACHE_FILE.match(path.name)
        if not match or match["tf"] not in TIMEFRAMES:
            continue
        try:
            index = _read_cache(path).index
        except DataError as exc:
            log.warning("skipping cache file: %s", exc)
            continue
        described = _describe(path.parent.name, f"{match['base']}/{match['quote']}", match["tf"])
        entries.append({**described, "start": index[0], "end": index[-1]})
    return entries
