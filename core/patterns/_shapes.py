"""Shape rules on the last few confirmed pivots: is there a pattern ending at pivot k?

The rules follow Lo, Mamaysky & Wang, "Foundations of Technical Analysis" (J. Finance, 2000),
where a pattern is a condition on five consecutive extrema: e.g. head and shoulders = a high,
a higher high, a high back within 1.5 % of the first, with the two troughs within 1.5 % of each
other. Triangles, wedges and channels fit one line through the highs and one through the lows of
five pivots (the side with three points must be straight within the tolerance) and are named by
the slopes and by whether the lines converge or run parallel. Support and resistance are three or
more same-kind pivots within the tolerance with nothing beyond them in between.

Every rule reads pivots 0..k only, so a shape is known when pivot k is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.patterns.zigzag import Pivot

CONVERGING = 0.6  # the lines' gap at the last pivot is at most 60 % of the gap at the first
PARALLEL = 1.25  # gaps within a factor 1.25 of each other: a channel
LEVEL_TOUCHES = 3  # pivots that make a support/resistance level
LEVEL_LOOKBACK = 6  # same-kind pivots searched back for touches of a level


@dataclass(frozen=True)
class Line:
    """price(bar) = price0 + slope * (bar - bar0); a flat level has slope 0."""

    bar0: float
    price0: float
    slope: float = 0.0

    def __call__(self, bar: np.ndarray | float) -> np.ndarray | float:
        return self.price0 + self.slope * (np.asarray(bar, dtype=np.float64) - self.bar0)


@dataclass(frozen=True)
class Shape:
    """A pattern before its breakout: which pivots, which lines, what a close beyond each line means.

    A close above ``up`` (below ``down``) breaks upwards (downwards). For a bullish pattern the up
    break confirms it and the down break invalidates it; bearish mirrors; neutral (two-sided)
    patterns are confirmed by either. ``None`` means no such line.
    """

    pattern: str
    pivots: tuple[int, ...]
    up: Line | None
    down: Line | None
    draw: dict[str, Line] = field(default_factory=dict)
    apex: float | None = None  # bar where converging lines meet: no breakout is looked for after it


def shapes_at(pivots: list[Pivot], k: int, tol: float) -> list[Shape]:
    """All shapes whose last pivot is pivots[k]."""
    rules = (_head_and_shoulders, _double, _lines, _level)
    return [shape for rule in rules if (shape := rule(pivots, k, tol)) is not None]


def _close(a: float, b: float, tol: float) -> bool:
    """Within ``tol`` of their average, the LMW definition of "roughly equal"."""
    return abs(a - b) <= tol * (a + b) / 2


def _flat(price: float, bar: int) -> Line:
    return Line(float(bar), float(price))


def _through(a: Pivot, b: Pivot) -> Line:
    return Line(float(a.bar), a.price, (b.price - a.price) / max(b.bar - a.bar, 1))


def _head_and_shoulders(pivots: list[Pivot], k: int, tol: float) -> Shape | None:
    if k < 4:
        return None
    e1, e2, e3, e4, e5 = pivots[k - 4 : k + 1]
    top = e5.kind == "high"
    sign = 1.0 if top else -1.0
    head_out = sign * (e3.price - e1.price) > 0 and sign * (e3.price - e5.price) > 0
    if not (head_out and _close(e1.price, e5.price, tol) and _close(e2.price, e4.price, tol)):
        return None
    neckline = _through(e2, e4)
    shoulder = _flat(e5.price, e5.bar)  # back beyond the right shoulder: the pattern failed
    ids = tuple(range(k - 4, k + 1))
    if top:
        return Shape("head_and_shoulders", ids, up=shoulder, down=neckline, draw={"neckline": neckline})
    return Shape("inverse_head_and_shoulders", ids, up=neckline, down=shoulder, draw={"neckline": neckline})


def _double(pivots: list[Pivot], k: int, tol: float) -> Shape | None:
    """Two equal extremes with a swing between, after a move into them (the prior pivot is beyond the middle)."""
    if k < 3:
        return None
    before, first, middle, second = pivots[k - 3 : k + 1]
    top = second.kind == "high"
    sign = 1.0 if top else -1.0
    if not (_close(first.price, second.price, tol) and sign * (middle.price - before.price) > 0):
        return None
    neckline = _flat(middle.price, middle.bar)
    extreme = _flat(max(first.price, second.price) if top else min(first.price, second.price), second.bar)
    ids = (k - 2, k - 1, k)
    if top:
        return Shape("double_top", ids, up=extreme, down=neckline, draw={"neckline": neckline})
    return Shape("double_bottom", ids, up=neckline, down=extreme, draw={"neckline": neckline})


def _fit(points: list[Pivot], tol: float) -> Line | None:
    """Least-squares line through 2-3 pivots; None when a point is off it by more than tol."""
    bars = np.array([p.bar for p in points], dtype=np.float64)
    prices = np.array([p.price for p in points])
    slope, intercept = np.polyfit(bars - bars[0], prices, 1)
    if np.max(np.abs(intercept + slope * (bars - bars[0]) - prices)) > tol * prices.mean():
        return None
    return Line(bars[0], float(intercept), float(slope))


def _lines(pivots: list[Pivot], k: int, tol: float) -> Shape | None:
    """Triangles, wedges and channels on five pivots, named by slope and convergence."""
    if k < 4:
        return None
    window = pivots[k - 4 : k + 1]
    upper = _fit([p for p in window if p.kind == "high"], tol)
    lower = _fit([p for p in window if p.kind == "low"], tol)
    if upper is None or lower is None:
        return None
    b0, b1 = window[0].bar, window[-1].bar
    ref = float(np.mean([p.price for p in window]))
    gap0, gap1 = float(upper(b0) - lower(b0)), float(upper(b1) - lower(b1))
    if gap0 <= 0 or gap1 <= 0:
        return None
    moves = [line.slope * (b1 - b0) / ref for line in (upper, lower)]
    up_trend, low_trend = (0 if abs(m) <= tol else (1 if m > 0 else -1) for m in moves)
    ratio = gap1 / gap0
    name = None
    if ratio <= CONVERGING:
        name = {
            (0, 1): "ascending_triangle",
            (-1, 0): "descending_triangle",
            (-1, 1): "symmetrical_triangle",
            (1, 1): "rising_wedge",
            (-1, -1): "falling_wedge",
        }.get((up_trend, low_trend))
    elif 1 / PARALLEL <= ratio <= PARALLEL:
        name = {(0, 0): "channel_horizontal", (1, 1): "channel_up", (-1, -1): "channel_down"}.get((up_trend, low_trend))
    if name is None:
        return None
    apex = None
    if upper.slope != lower.slope:
        apex = b1 + gap1 / (lower.slope - upper.slope) if lower.slope > upper.slope else None
    lines = {"upper": upper, "lower": lower}
    return Shape(name, tuple(range(k - 4, k + 1)), up=upper, down=lower, draw=lines, apex=apex)


def _level(pivots: list[Pivot], k: int, tol: float) -> Shape | None:
    """Resistance (support): the new pivot plus earlier highs (lows) at the same price, none beyond it between."""
    last = pivots[k]
    sign = 1.0 if last.kind == "high" else -1.0
    touches = [k]
    for j in range(k - 2, max(-1, k - 2 * LEVEL_LOOKBACK - 1), -2):  # same kind alternates every 2
        price = pivots[j].price
        if _close(price, last.price, tol):
            touches.append(j)
        elif sign * (price - last.price) > 0:  # price went through the level before: it is not one
            break
    if len(touches) < LEVEL_TOUCHES:
        return None
    touches.reverse()
    prices = [pivots[j].price for j in touches]
    level = _flat(max(prices) if sign > 0 else min(prices), pivots[touches[0]].bar)
    if sign > 0:
        return Shape("resistance", tuple(touches), up=level, down=None, draw={"level": level})
    return Shape("support", tuple(touches), up=None, down=level, draw={"level": level})
