"""The chart-pattern event: what was seen, when it was known, and whether price confirmed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

Point = tuple[pd.Timestamp, float]

# Chart pattern -> the direction it claims; "neutral" ones take the side that the breakout picks.
CHART_PATTERNS: dict[str, str] = {
    "head_and_shoulders": "bearish",
    "inverse_head_and_shoulders": "bullish",
    "double_top": "bearish",
    "double_bottom": "bullish",
    "ascending_triangle": "bullish",
    "descending_triangle": "bearish",
    "symmetrical_triangle": "neutral",
    "rising_wedge": "bearish",
    "falling_wedge": "bullish",
    "channel_up": "neutral",
    "channel_down": "neutral",
    "channel_horizontal": "neutral",
    "resistance": "bullish",  # a level of clustered highs; the claim is the break above it
    "support": "bearish",  # a level of clustered lows; the claim is the break below it
}

STATUSES = ("open", "confirmed", "failed", "expired")


@dataclass(frozen=True)
class ChartPattern:
    """A chart pattern found from confirmed zigzag pivots.

    ``detected_at`` is the bar at whose close the shape became known (the confirmation of its last
    pivot); nothing after it shaped the pattern. ``confirmed_at`` is the first bar from then on
    that closed beyond the breakout line, the earliest time a trader could act on it; a pattern
    whose invalidation level was closed beyond first is "failed", one that waited too long is
    "expired", and one still waiting at the last bar is "open". ``level`` is the breakout line's
    value at ``confirmed_at`` (at ``detected_at`` while unconfirmed; the upper line for two-sided
    patterns). ``lines`` are drawable segments, e.g. the neckline, from the first key point to ``end``.
    """

    pattern: str
    direction: str  # "bullish", "bearish", or "neutral" for a two-sided pattern not yet broken
    start: pd.Timestamp  # first key point
    end: pd.Timestamp  # resolved_at, else detected_at
    detected_at: pd.Timestamp
    key_points: list[Point]
    level: float
    confirmed: bool
    confirmed_at: pd.Timestamp | None
    status: str
    resolved_at: pd.Timestamp | None  # when it confirmed, failed or expired; None while open
    lines: dict[str, tuple[Point, Point]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: ISO timestamps, [time, price] pairs."""

        def iso(t: pd.Timestamp | None) -> str | None:
            return None if t is None else t.isoformat()

        def points(ps) -> list[list[Any]]:
            return [[iso(t), float(p)] for t, p in ps]

        return {
            "kind": "chart",
            "pattern": self.pattern,
            "direction": self.direction,
            "start": iso(self.start),
            "end": iso(self.end),
            "detected_at": iso(self.detected_at),
            "key_points": points(self.key_points),
            "level": float(self.level),
            "confirmed": self.confirmed,
            "confirmed_at": iso(self.confirmed_at),
            "status": self.status,
            "resolved_at": iso(self.resolved_at),
            "lines": {name: points(segment) for name, segment in self.lines.items()},
        }
