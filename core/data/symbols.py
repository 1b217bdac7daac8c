"""Symbol spelling: users type 'BTC', 'btcusdt', 'BTC-USDT' or 'BTC/USDT'; Lydian means 'BTC/USDT'."""

from __future__ import annotations

import re

from core.errors import UnknownSymbolError

DEFAULT_QUOTE = "USDT"
_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD", "USD", "EUR", "BTC", "ETH")
_SEPARATORS = re.compile(r"[/\-_: ]")
_VALID = re.compile(r"^[A-Z0-9]{1,15}/[A-Z0-9]{2,10}$")


def normalize_symbol(symbol: str) -> str:
    """Return the canonical 'BASE/QUOTE' form; a bare base gets the default quote (USDT)."""
    if not isinstance(symbol, str) or not symbol.strip():
        raise UnknownSymbolError("symbol is empty; write it like BTC/USDT or BTC")
    text = symbol.strip().upper()
    parts = [p for p in _SEPARATORS.split(text) if p]
    if len(parts) == 2:
        candidate = f"{parts[0]}/{parts[1]}"
    elif len(parts) == 1:
        word = parts[0]
        quote = next((q for q in _QUOTES if word.endswith(q) and len(word) > len(q)), None)
        candidate = f"{word[: -len(quote)]}/{quote}" if quote else f"{word}/{DEFAULT_QUOTE}"
    else:
        candidate = text
    if not _VALID.match(candidate):
        raise UnknownSymbolError(f"{symbol!r} is not a symbol; write it like BTC/USDT or BTC")
    return candidate


def file_token(symbol: str) -> str:
    """'BTC/USDT' -> 'BTC-USDT', the spelling used in file names."""
    return normalize_symbol(symbol).replace("/", "-")
