"""Exceptions that carry a message fit to show a user as it is.

Every entry point (CLI, dashboard, API) catches `LydianError` and prints its message
instead of a traceback, so the message must say what is wrong and what exists instead.
"""


class LydianError(Exception):
    """Base class: a problem caused by input or environment, explained in words."""


class DataError(LydianError, ValueError):
    """Candles cannot be loaded or are not valid."""


class UnknownSymbolError(DataError, KeyError):
    """A symbol (or symbol/timeframe pair) that no source holds."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TimeframeError(DataError):
    """A timeframe that is unknown or cannot be built from the stored data."""


class CandleFileError(DataError):
    """An uploaded candle file that cannot be imported; the message names the row or column."""


class SourceError(DataError):
    """A live source (exchange) failed: network, rate limit or malformed reply."""
