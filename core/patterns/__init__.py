"""Candlestick and chart pattern detection, measured against base rates.

``candlestick_events(candles)`` runs the 61 TA-Lib CDL functions; ``zigzag(candles, threshold)``
finds confirmed swing pivots; ``chart_patterns(candles, threshold)`` turns them into head and
shoulders, double tops/bottoms, triangles, wedges, channels and support/resistance events, each
followed to its breakout; ``pattern_stats(candles, events)`` says what price did afterwards, beside
the base rate, and ``with_record`` keeps the events of the patterns that beat it. Every event is
stamped with the bar at whose close it was known, so none looks ahead.
"""

from core.patterns.candlesticks import CANDLESTICK_PATTERNS, NEUTRAL_PATTERNS, candlestick_events
from core.patterns.chart import chart_patterns
from core.patterns.events import CHART_PATTERNS, ChartPattern
from core.patterns.stats import (
    MIN_EVENTS, beats_base, differs_from_base, forward_returns, pattern_stats, signals, stats_records, with_record,
)
from core.patterns.zigzag import Pivot, zigzag

__all__ = [
    "CANDLESTICK_PATTERNS",
    "CHART_PATTERNS",
    "MIN_EVENTS",
    "NEUTRAL_PATTERNS",
    "ChartPattern",
    "Pivot",
    "beats_base",
    "candlestick_events",
    "chart_patterns",
    "differs_from_base",
    "forward_returns",
    "pattern_stats",
    "signals",
    "stats_records",
    "with_record",
    "zigzag",
]
