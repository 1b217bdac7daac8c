"""What happened after each pattern, against what happened after any bar of the same series.

A pattern claims a direction; the claim is only worth something if price went that way more often
than it does anyway. For every (pattern, direction) and horizon h this measures the h-bar forward
return from the close of the bar at which the event was known (a candlestick's own bar, a chart
pattern's confirmation bar), so nothing is used before it could have been seen, and puts beside it
the unconditional base rate over every bar of the same candles. Hit rates carry a 95 % Wilson
interval; below ``min_events`` the row says "too few events" and shows only n, because a hit rate
of 5/7 is no evidence. Neutral patterns claim nothing: their hit rate is the share of up moves.
A flat move (return exactly 0) is a miss for either claim, in the base rate as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DataError
from core.patterns.events import CHART_PATTERNS, ChartPattern
from core.stats import wilson_interval

MIN_EVENTS = 30  # at n = 30 the 95 % interval around 50 % is still +-17 points wide
STATS_COLUMNS = [
    "kind", "pattern", "direction", "horizon", "n", "hits", "hit_rate", "hit_rate_ci_low", "hit_rate_ci_high",
    "mean_return", "base_hit_rate", "base_mean_return", "hit_rate_diff", "mean_return_diff", "note",
]


def signals(events: pd.DataFrame | Sequence[ChartPattern]) -> pd.DataFrame:
    """Events as (timestamp known, pattern, direction): candlestick rows as they are, chart patterns
    only once confirmed, at ``confirmed_at``."""
    if isinstance(events, pd.DataFrame):
        missing = {"timestamp", "pattern", "direction"} - set(events.columns)
        if missing:
            raise DataError(f"events lack column(s) {', '.join(sorted(missing))}")
        return events[["timestamp", "pattern", "direction"]].reset_index(drop=True)
    rows = [(e.confirmed_at, e.pattern, e.direction) for e in events if e.confirmed]
    return pd.DataFrame(rows, columns=["timestamp", "pattern", "direction"])


def forward_returns(close: np.ndarray, horizon: int) -> np.ndarray:
    """close[t + h] / close[t] - 1, NaN where t + h is past the last bar."""
    out = np.full(len(close), np.nan)
    if horizon < len(close):
        out[: len(close) - horizon] = close[horizon:] / close[:-horizon] - 1.0
    return out


def pattern_stats(
    candles: pd.DataFrame,
    events: pd.DataFrame | Sequence[ChartPattern],
    horizons: Sequence[int] = (1, 4, 24),
    min_events: int = MIN_EVENTS,
) -> pd.DataFrame:
    """One row per (pattern, direction, horizon): n, hit rate with CI, mean return, base rate, differences."""
    if any(int(h) < 1 for h in horizons):
        raise DataError(f"horizons must be whole numbers of bars >= 1, got {list(horizons)}")
    table = signals(events)
    position = candles.index.get_indexer(pd.DatetimeIndex(table["timestamp"]))
    if (position < 0).any():
        raise DataError(f"{int((position < 0).sum())} event time(s) are not bars of these candles")
    close = candles["close"].to_numpy(dtype=np.float64)
    rows: list[dict[str, Any]] = []
    for h in horizons:
        forward = forward_returns(close, int(h))
        known = forward[~np.isnan(forward)]
        up, down, base_mean = (np.mean(known > 0), np.mean(known < 0), np.mean(known)) if len(known) else (math.nan,) * 3
        base = {"bullish": float(up), "bearish": float(down), "neutral": float(up)}
        for (pattern, direction), where in table.groupby(["pattern", "direction"], sort=True).indices.items():
            r = forward[position[where]]
            r = r[~np.isnan(r)]
            rows.append(_row(pattern, direction, int(h), r, base[direction], float(base_mean), min_events))
    if not rows:
        return pd.DataFrame(columns=STATS_COLUMNS)
    return pd.DataFrame(rows, columns=STATS_COLUMNS).sort_values(["kind", "pattern", "direction", "horizon"],
                                                                 ignore_index=True)


def _row(pattern: str, direction: str, horizon: int, r: np.ndarray, base_hit: float, base_mean: float,
         min_events: int) -> dict[str, Any]:
    n = len(r)
    hits = int(np.sum(r < 0)) if direction == "bearish" else int(np.sum(r > 0))
    row = {
        "kind": "chart" if pattern in CHART_PATTERNS else "candlestick",
        "pattern": pattern, "direction": direction, "horizon": horizon, "n": n, "hits": hits,
        "base_hit_rate": base_hit, "base_mean_return": base_mean, "note": "",
    }
    if n < min_events:
        nan = math.nan
        return row | {"hit_rate": nan, "hit_rate_ci_low": nan, "hit_rate_ci_high": nan, "mean_return": nan,
                      "hit_rate_diff": nan, "mean_return_diff": nan, "note": f"too few events (n={n} < {min_events})"}
    low, high = wilson_interval(hits, n)
    mean = float(np.mean(r))
    return row | {"hit_rate": hits / n, "hit_rate_ci_low": low, "hit_rate_ci_high": high, "mean_return": mean,
                  "hit_rate_diff": hits / n - base_hit, "mean_return_diff": mean - base_mean}


def differs_from_base(table: pd.DataFrame) -> pd.Series:
    """Rows whose 95 % hit-rate interval excludes the base rate (rows with too few events never do)."""
    return (table["hit_rate_ci_low"] > table["base_hit_rate"]) | (table["hit_rate_ci_high"] < table["base_hit_rate"])


def beats_base(table: pd.DataFrame) -> pd.Series:
    """Rows whose claim came true more often than after any bar: the interval lies above the base rate.

    A pattern whose claim fails more often than the base rate also differs from it, but a marker
    pointing its claimed way would then say the opposite of its record; neutral patterns claim
    nothing, so for them either side counts.
    """
    return (table["hit_rate_ci_low"] > table["base_hit_rate"]) | (
        differs_from_base(table) & (table["direction"] == "neutral"))


def with_record(events: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The ``events`` of patterns that `beats_base` at one of the horizons in ``table``: the markers worth a look."""
    proven = pd.MultiIndex.from_frame(table.loc[beats_base(table), ["pattern", "direction"]])
    return events[pd.MultiIndex.from_frame(events[["pattern", "direction"]]).isin(proven)]


def stats_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts with NaN turned into None, so the JSON is valid."""
    records = table.to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()} for row in records]
