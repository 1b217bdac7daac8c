"""What the API can serve: which symbols and timeframes exist, and their recent candles, memoised.

``core.data.available`` walks every bundled file; its answer changes only when files change, so it
is kept for a minute. Candles are kept for a few seconds per (symbol, timeframe): a burst of
requests shares one load, and a forecast is still keyed by the last candle's time, so a new bar
is seen within ``CANDLE_TTL`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from core.api.errors import ApiError
from core.data import available, load_candles, normalize_symbol
from core.errors import UnknownSymbolError

AVAILABLE_TTL = 60.0
CANDLE_TTL = 5.0


class Miss(Exception):
    """Raised by a ``peek`` lookup that would have to compute (read files, load, predict)."""


class Memo:
    """A tiny time-limited memo; ``get`` computes outside the lock so one slow key blocks no other."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._values: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any], peek: bool = False) -> Any:
        """The value, computed when missing or stale; with ``peek``, `Miss` instead of computing."""
        clock = time.monotonic()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and clock - hit[0] < self.ttl:
            return hit[1]
        if peek:
            raise Miss(key)
        value = compute()
        with self._lock:
            self._values[key] = (clock, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class Markets:
    """Checks symbols and timeframes against the data that exists, and serves their candles."""

    def __init__(self) -> None:
        self._available = Memo(AVAILABLE_TTL)
        self._candles = Memo(CANDLE_TTL)

    def pairs(self, peek: bool = False) -> dict[str, list[str]]:
        """symbol -> timeframes with bundled candles."""
        def compute() -> dict[str, list[str]]:
            table = available()
            table = table[table["source"] == "bundled"]
            return {s: list(group["timeframe"]) for s, group in table.groupby("symbol", sort=True)}

        return self._available.get("pairs", compute, peek)

    def check(self, text: str, timeframe: str, peek: bool = False) -> str:
        """The canonical symbol; 404 with what exists when the symbol or its timeframe does not."""
        try:
            symbol = normalize_symbol(text)
        except UnknownSymbolError as exc:
            raise ApiError(404, "unknown_symbol", str(exc)) from None
        pairs = self.pairs(peek)
        if symbol not in pairs:
            raise ApiError(404, "unknown_symbol", f"no data for {symbol}; available: {', '.join(pairs) or 'none'}")
        if timeframe not in pairs[symbol]:
            raise ApiError(404, "unknown_timeframe",
                           f"{symbol} has no {timeframe} candles; available: {', '.join(pairs[symbol])}")
        return symbol

    def symbols(self, timeframe: str) -> list[str]:
        return [s for s, timeframes in self.pairs().items() if timeframe in timeframes]

    def candles(self, symbol: str, timeframe: str, peek: bool = False) -> pd.DataFrame:
        """All bundled candles of a checked market (shared between requests: do not mutate)."""
        return self._candles.get((symbol, timeframe), lambda: load_candles(symbol, timeframe), peek)

    def clear(self) -> None:
        self._available.clear()
        self._candles.clear()
