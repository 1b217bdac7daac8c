"""A fake Binance spot API on 127.0.0.1, so the ccxt source can be tested offline and with faults.

It serves the three endpoints ccxt needs for candles (``/api/v3/time``, ``/api/v3/exchangeInfo``,
``/api/v3/klines``) from a candle frame it is given, the way Binance does: klines from
``startTime`` (or the latest ones), at most ``page_cap`` per reply, the still-forming candle
included. Tests schedule faults on the n-th klines request (HTTP 429, broken JSON, a row with a
word for a price, a candle whose high is below its low, a dropped connection) and read back every
request it saw.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from core.data.timeframes import timeframe_ms

FAULTS = ("429", "malformed", "garbage", "invalid", "drop")


@dataclass
class Fault:
    """``kind`` answered to klines requests number ``on`` .. ``on + times - 1`` (all later ones if times is None)."""

    kind: str
    on: int
    times: int | None = 1

    def hits(self, n: int) -> bool:
        return n >= self.on and (self.times is None or n < self.on + self.times)


def _symbol_info(market_id: str, base: str, quote: str) -> dict:
    return {
        "symbol": market_id,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"],
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "permissions": ["SPOT"],
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.00", "stepSize": "0.00001"},
        ],
    }


class FakeExchange:
    """Serves ``candles`` (canonical frame, one timeframe) as BTCUSDT klines; server time is ``now``."""

    def __init__(self, candles: pd.DataFrame, timeframe: str, now: pd.Timestamp, page_cap: int = 500) -> None:
        self.candles = candles
        self.timeframe = timeframe
        self.now_ms = now.value // 1_000_000
        self.page_cap = page_cap
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeExchange:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def fail(self, kind: str, on: int, times: int | None = 1) -> None:
        """Answer klines request number ``on`` (1-based, counted from the start) with a fault."""
        assert kind in FAULTS, kind
        self.faults.append(Fault(kind, on, times))

    def klines_requests(self) -> list[dict[str, str]]:
        """Query parameters of every klines request so far, in order."""
        return [query for path, query in self.requests if path == "/api/v3/klines"]

    def record(self, path: str, query: dict[str, str]) -> int:
        """Log a request; return its number among klines requests (0 for other paths)."""
        with self._lock:
            self.requests.append((path, query))
            return len(self.klines_requests()) if path == "/api/v3/klines" else 0

    def fault_for(self, n: int) -> str | None:
        return next((f.kind for f in self.faults if f.hits(n)), None)

    def exchange_info(self) -> dict:
        symbols = [_symbol_info("BTCUSDT", "BTC", "USDT"), _symbol_info("ETHUSDT", "ETH", "USDT")]
        return {"timezone": "UTC", "serverTime": self.now_ms, "rateLimits": [], "symbols": symbols}

    def klines(self, query: dict[str, str]) -> tuple[int, list | dict]:
        """Binance's reply to a klines query: the candles opened in [startTime, endTime] up to now."""
        if query.get("symbol") != "BTCUSDT":
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        if query.get("interval") != self.timeframe:
            return 400, {"code": -1120, "msg": "Invalid interval."}
        opens = self.candles.index.asi8 // 1_000_000
        keep = (opens <= self.now_ms) & (opens <= int(query.get("endTime", self.now_ms)))
        limit = min(int(query.get("limit", 500)), self.page_cap)
        if "startTime" in query:
            rows = self.candles[keep & (opens >= int(query["startTime"]))].iloc[:limit]
        else:
            rows = self.candles[keep].iloc[-limit:]
        return 200, [_kline(stamp, row, self.timeframe) for stamp, row in rows.iterrows()]


def _kline(stamp: pd.Timestamp, row: pd.Series, timeframe: str) -> list:
    open_ms = stamp.value // 1_000_000
    close_ms = open_ms + timeframe_ms(timeframe) - 1
    o, h, l, c, v = (repr(float(row[k])) for k in ("open", "high", "low", "close", "volume"))
    return [open_ms, o, h, l, c, v, close_ms, "0", 0, "0", "0", "0"]


def _handler_for(fake: FakeExchange) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            n = fake.record(parts.path, query)
            fault = fake.fault_for(n) if n else None
            if fault == "drop":
                self.close_connection = True  # no status line at all: the client sees a dropped connection
            elif fault == "429":
                self._reply(429, {"code": -1003, "msg": "Too many requests."})
            elif fault == "malformed":
                self._send(200, b'[[1704067200000, "42283.58", "42554.5')
            elif fault in ("garbage", "invalid"):
                start = int(query.get("startTime", fake.now_ms))
                prices = ["abc", "2", "1", "1.5"] if fault == "garbage" else ["2", "1", "3", "1.5"]
                self._reply(200, [[start, *prices, "7", start + 1, "0", 0, "0", "0", "0"]])
            elif parts.path == "/api/v3/time":
                self._reply(200, {"serverTime": fake.now_ms})
            elif parts.path == "/api/v3/exchangeInfo":
                self._reply(200, fake.exchange_info())
            elif parts.path == "/api/v3/klines":
                self._reply(*fake.klines(query))
            else:
                self._reply(404, {"code": -1, "msg": f"no route {parts.path}"})

        def _reply(self, status: int, payload: object) -> None:
            self._send(status, json.dumps(payload).encode())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

    return Handler
