"""Chart patterns from confirmed swing pivots, each followed until price confirms or refutes it.

The walk is in the order traders see things: when pivot k is confirmed (at its bar's close) the
rules in ``_shapes`` look at pivots 0..k; a shape found then is followed bar by bar from that same
bar until a close beyond its breakout line (confirmed), beyond its invalidation line (failed), its
deadline (expired) or the end of the data (open). So a pattern detected at t is identical whatever
comes after t, except the status of one still open at t; tests/test_chart_patterns.py checks that.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.errors import DataError
from core.patterns._shapes import Shape, shapes_at
from core.patterns.events import CHART_PATTERNS, ChartPattern
from core.patterns.zigzag import Pivot, check_threshold, find_pivots

MAX_WAIT = 1.0  # the breakout must come within this many pattern lengths (first to last pivot) of detection


def chart_patterns(
    candles: pd.DataFrame, threshold: float = 0.03, tolerance: float | None = None, max_wait: float = MAX_WAIT
) -> list[ChartPattern]:
    """Chart pattern events in order of detection.

    ``threshold`` is the zigzag reversal (fraction of price, 0.03 = 3 %) that confirms a pivot;
    ``tolerance`` is how close prices must be to count as equal or a line as flat (fraction of
    price, default ``threshold / 2``: 1.5 % at the default, the figure Lo, Mamaysky & Wang use).
    """
    check_threshold(threshold)
    tol = threshold / 2 if tolerance is None else tolerance
    if not 0 < tol < 1:
        raise DataError(f"tolerance must be a fraction of price between 0 and 1, got {tol!r}")
    for column in ("high", "low", "close"):
        if column not in candles.columns:
            raise DataError(f"candles lack column {column!r}")
    high, low, close = (candles[c].to_numpy(dtype=np.float64) for c in ("high", "low", "close"))
    pivots = find_pivots(high, low, close, threshold)
    events: list[ChartPattern] = []
    followed: list[tuple[str, set[int], int | None]] = []  # (pattern, pivot ids, resolved bar) for de-duplication
    for k, pivot in enumerate(pivots):
        now = pivot.confirmed_bar
        for shape in shapes_at(pivots, k, tol):
            if _still_followed(shape, now, followed):
                continue
            event, resolved = _follow(shape, pivots, now, close, candles.index, max_wait)
            if event is not None:
                events.append(event)
                followed.append((shape.pattern, set(shape.pivots), resolved))
    return events


def _still_followed(shape: Shape, now: int, followed: list[tuple[str, set[int], int | None]]) -> bool:
    """The same formation seen again (same pattern, a shared pivot) while the first sighting is unresolved."""
    ids = set(shape.pivots)
    return any(
        name == shape.pattern and ids & seen and (resolved is None or resolved >= now)
        for name, seen, resolved in followed[-50:]  # reaches back further than any shape spans
    )


def _follow(
    shape: Shape, pivots: list[Pivot], now: int, close: np.ndarray, index: pd.DatetimeIndex, max_wait: float
) -> tuple[ChartPattern | None, int | None]:
    """Scan closes from the detection bar to the deadline for the first break of either line."""
    first, last = pivots[shape.pivots[0]], pivots[shape.pivots[-1]]
    deadline = now + max(1, math.ceil(max_wait * (last.bar - first.bar)))
    if shape.apex is not None:
        if shape.apex <= now:  # converging lines already met when the shape became known
            return None, None
        deadline = min(deadline, int(shape.apex))
    stop = min(deadline, len(close) - 1)
    bars = np.arange(now, stop + 1)
    window = close[now : stop + 1]
    above = np.flatnonzero(window > shape.up(bars)) if shape.up is not None else np.array([], dtype=np.int64)
    below = np.flatnonzero(window < shape.down(bars)) if shape.down is not None else np.array([], dtype=np.int64)
    t_up = int(above[0]) if len(above) else None
    t_down = int(below[0]) if len(below) else None
    claim = CHART_PATTERNS[shape.pattern]
    side = None
    if t_up is not None and (t_down is None or t_up < t_down):
        side = "bullish"
    elif t_down is not None:
        side = "bearish"
    if side is not None:
        at = now + (t_up if side == "bullish" else t_down)
        confirmed = claim in ("neutral", side)
        status, resolved = ("confirmed" if confirmed else "failed"), at
    elif deadline <= len(close) - 1:
        status, resolved, confirmed = "expired", deadline, False
    else:
        status, resolved, confirmed = "open", None, False
    direction = side if confirmed and claim == "neutral" else claim
    level_line = shape.down if direction == "bearish" else shape.up  # two-sided and unbroken: the upper line
    level_bar = resolved if confirmed else now
    end_bar = resolved if resolved is not None else now
    start_bar = first.bar
    points = [(index[pivots[i].bar], pivots[i].price) for i in shape.pivots]
    event = ChartPattern(
        pattern=shape.pattern,
        direction=direction,
        start=index[start_bar],
        end=index[end_bar],
        detected_at=index[now],
        key_points=points,
        level=float(level_line(level_bar)),
        confirmed=confirmed,
        confirmed_at=index[resolved] if confirmed else None,
        status=status,
        resolved_at=index[resolved] if resolved is not None else None,
        lines={
            name: ((index[start_bar], float(line(start_bar))), (index[end_bar], float(line(end_bar))))
            for name, line in shape.draw.items()
        },
    )
    return event, resolved
