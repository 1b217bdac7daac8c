"""One report of a series' patterns: the recent events of both kinds and what followed each pattern.

`lydian patterns --json` and the API's ``/patterns`` return the same document, so a script and a
bot read the same numbers the terminal prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.patterns.candlesticks import candlestick_events
from core.patterns.chart import chart_patterns
from core.patterns.events import ChartPattern
from core.patterns.stats import MIN_EVENTS, pattern_stats, stats_records

HORIZONS = (1, 4, 24)  # bars after an event at which its claimed direction is checked


@dataclass(frozen=True)
class PatternReport:
    candles: pd.DataFrame
    threshold: float
    candlestick: pd.DataFrame  # every candlestick event
    charts: list[ChartPattern]  # every chart pattern
    stats: pd.DataFrame  # per pattern and horizon: hit rate with its interval beside the base rate
    events: list[dict[str, Any]]  # the most recent events of both kinds, oldest first

    def to_dict(self) -> dict[str, Any]:
        candles = self.candles
        return {
            "symbol": candles.attrs.get("symbol"), "timeframe": candles.attrs.get("timeframe"),
            "bars": len(candles), "start": candles.index[0].isoformat(), "end": candles.index[-1].isoformat(),
            "threshold": self.threshold, "horizons": list(HORIZONS), "events": self.events,
            "stats": stats_records(self.stats),
        }


def pattern_report(candles: pd.DataFrame, *, last: int = 20, threshold: float = 0.03,
                   min_events: int = MIN_EVENTS) -> PatternReport:
    """Detect both kinds of pattern over ``candles`` and measure each against the base rate."""
    candle_events = candlestick_events(candles)
    charts = chart_patterns(candles, threshold=threshold)
    stats = pd.concat([pattern_stats(candles, events, HORIZONS, min_events) for events in (candle_events, charts)],
                      ignore_index=True)
    return PatternReport(candles, threshold, candle_events, charts, stats, recent_events(candle_events, charts, last))


def recent_events(candle_events: pd.DataFrame, charts: list[ChartPattern], last: int) -> list[dict[str, Any]]:
    """The ``last`` most recent events of both kinds; a chart pattern counts from its detection."""
    rows = [
        {"time": e.timestamp.isoformat(), "kind": "candlestick", "pattern": e.pattern, "direction": e.direction,
         "strength": float(e.strength), "detail": f"strength {e.strength:g}"}
        for e in candle_events.tail(last).itertuples()
    ]
    for event in charts[-last:]:
        d = event.to_dict()
        when = f"confirmed {d['confirmed_at'][:16]}" if event.confirmed else d["status"]
        rows.append({"time": d["detected_at"], **d, "detail": f"{when}, level {event.level:.6g}"})
    return sorted(rows, key=lambda r: r["time"])[-last:]
