"""Zigzag pivots and chart patterns: planted shapes found in the right place, a random walk kept at a
measured rate, and proof that nothing known at time t changes when later bars change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.patterns import CHART_PATTERNS, chart_patterns, pattern_stats, zigzag
from tests.synthetic import ar1_candles

DATA = Path(__file__).resolve().parents[1] / "data"


def planted(waypoints: list[float], bars: int = 12, wick: float = 0.001) -> pd.DataFrame:
    """Hourly candles whose closes run in straight lines between waypoints, ``bars`` bars per leg."""
    close = [float(waypoints[0])]
    for a, b in zip(waypoints[:-1], waypoints[1:]):
        close += list(np.linspace(a, b, bars + 1)[1:])
    close = np.array(close)
    open_ = np.r_[close[0], close[:-1]]
    index = pd.date_range("2024-01-01", periods=len(close), freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * (1 + wick),
                         "low": np.minimum(open_, close) * (1 - wick), "close": close, "volume": 1.0}, index=index)


HEAD_AND_SHOULDERS = [90, 110, 102, 118, 102, 110, 90, 95]  # shoulders 110, head 118, neckline 102
DOUBLE_BOTTOM = [120, 100, 110, 100.5, 125, 120]
SYMMETRICAL = [110, 130, 100, 125, 104, 120, 112, 130, 127]  # highs 130 > 125 > 120, lows 100 < 104 < 112
ASCENDING = [103, 110, 95, 110, 100, 110, 105, 120, 117]  # flat top at 110, rising lows


def mirrored(waypoints: list[float]) -> list[float]:
    return [200.0 - p for p in waypoints]


def _bar(candles: pd.DataFrame, when: pd.Timestamp | None) -> int | None:
    return None if when is None else int(candles.index.get_loc(when))


def _only(events: list, pattern: str):
    found = [e for e in events if e.pattern == pattern]
    assert len(found) == 1, [(e.pattern, e.detected_at) for e in events]
    return found[0]


def _first_close_beyond(candles: pd.DataFrame, start: int, level: float, above: bool) -> int:
    close = candles["close"].to_numpy()
    hits = np.flatnonzero(close[start:] > level if above else close[start:] < level)
    return start + int(hits[0])


def test_zigzag_pivots_are_the_turns_and_known_when_price_reversed_by_the_threshold() -> None:
    candles = planted(HEAD_AND_SHOULDERS)
    pivots = zigzag(candles, 0.03)
    assert pivots["bar"].tolist() == [0, 12, 24, 36, 48, 60, 72]  # the last swing up (to 95) is not confirmed
    assert pivots["kind"].tolist() == ["low", "high"] * 3 + ["low"]
    close = candles["close"].to_numpy()
    for row in pivots.itertuples():
        after = close[row.bar :]
        reversed_ = after <= row.price * 0.97 if row.kind == "high" else after >= row.price * 1.03
        assert row.confirmed_bar == row.bar + int(np.argmax(reversed_))
        assert row.confirmed_at == candles.index[row.confirmed_bar]
    wicks = np.where(pivots["kind"] == "high", 1.001, 0.999)  # a high pivot is the high, a low the low
    assert np.allclose(pivots["price"], np.array([90, 110, 102, 118, 102, 110, 90]) * wicks)


@pytest.mark.parametrize("threshold", [0, -0.1, 1, 3.0, "3%"])
def test_zigzag_refuses_a_threshold_that_is_not_a_fraction(threshold) -> None:
    with pytest.raises(DataError, match="fraction of price"):
        zigzag(planted(DOUBLE_BOTTOM), threshold)


@pytest.mark.parametrize(("waypoints", "pattern", "direction"), [
    (HEAD_AND_SHOULDERS, "head_and_shoulders", "bearish"),
    (mirrored(HEAD_AND_SHOULDERS), "inverse_head_and_shoulders", "bullish"),
])
def test_planted_head_and_shoulders_is_found_on_its_five_pivots(waypoints, pattern, direction) -> None:
    candles = planted(waypoints)
    event = _only(chart_patterns(candles, threshold=0.03), pattern)
    assert [_bar(candles, t) for t, _ in event.key_points] == [12, 24, 36, 48, 60]
    pivots = zigzag(candles, 0.03).set_index("bar")
    assert _bar(candles, event.detected_at) == pivots.loc[60, "confirmed_bar"]  # known when the right shoulder was
    neckline = pivots.loc[24, "price"]  # both troughs are equal, so the neckline is flat
    assert event.level == pytest.approx(neckline)
    expected = _first_close_beyond(candles, _bar(candles, event.detected_at), neckline, above=direction == "bullish")
    assert event.confirmed and event.status == "confirmed" and _bar(candles, event.confirmed_at) == expected
    assert event.direction == direction and event.start == candles.index[12] and event.end == event.confirmed_at


@pytest.mark.parametrize(("waypoints", "pattern", "direction"), [
    (DOUBLE_BOTTOM, "double_bottom", "bullish"),
    (mirrored(DOUBLE_BOTTOM), "double_top", "bearish"),
])
def test_planted_double_bottom_and_top(waypoints, pattern, direction) -> None:
    candles = planted(waypoints)
    event = _only(chart_patterns(candles, threshold=0.03), pattern)
    assert [_bar(candles, t) for t, _ in event.key_points] == [12, 24, 36]
    middle = event.key_points[1][1]
    assert event.level == pytest.approx(middle)
    expected = _first_close_beyond(candles, _bar(candles, event.detected_at), middle, above=direction == "bullish")
    assert _bar(candles, event.confirmed_at) == expected and event.direction == direction


@pytest.mark.parametrize(("waypoints", "pattern", "direction"), [
    (SYMMETRICAL, "symmetrical_triangle", "bullish"),
    (SYMMETRICAL[:-3] + [90, 95], "symmetrical_triangle", "bearish"),  # same triangle, broken downwards
    (ASCENDING, "ascending_triangle", "bullish"),
    (mirrored(ASCENDING), "descending_triangle", "bearish"),
])
def test_planted_triangles_are_found_and_confirmed_by_the_breakout_close(waypoints, pattern, direction) -> None:
    candles = planted(waypoints)
    events = chart_patterns(candles, threshold=0.03)
    event = _only(events, pattern)  # seen again on the next pivot, but reported once
    assert [_bar(candles, t) for t, _ in event.key_points] == [12, 24, 36, 48, 60]
    assert event.confirmed and event.direction == direction
    line = event.lines["upper" if direction == "bullish" else "lower"]
    (t0, p0), (t1, p1) = line
    slope = (p1 - p0) / (_bar(candles, t1) - _bar(candles, t0))
    close = candles["close"].to_numpy()
    confirmed = _bar(candles, event.confirmed_at)
    on_line = p0 + slope * (np.arange(len(close)) - _bar(candles, t0))
    beyond = close > on_line if direction == "bullish" else close < on_line
    detected = _bar(candles, event.detected_at)
    assert beyond[confirmed] and not beyond[detected:confirmed].any()  # the first close beyond, from detection on
    assert event.level == pytest.approx(on_line[confirmed])
    assert not any(e.pattern.endswith(("wedge", "triangle")) and e.pattern != pattern for e in events)


def test_events_serialise_and_never_use_bars_after_their_own_times() -> None:
    candles = ar1_candles(6000, 0.0, seed=3)
    events = chart_patterns(candles)
    assert {e.pattern for e in events} == set(CHART_PATTERNS)  # a long random walk shows every shape
    for event in events:
        d = json.loads(json.dumps(event.to_dict()))
        assert d["pattern"] == event.pattern and len(d["key_points"]) == len(event.key_points)
        assert all(t <= event.detected_at for t, _ in event.key_points)
        assert event.start == event.key_points[0][0] and event.start <= event.detected_at <= event.end
        assert (event.status == "confirmed") == event.confirmed == (event.confirmed_at is not None)
        assert event.end == (event.resolved_at or event.detected_at)
        assert all(segment[1][0] == event.end for segment in event.lines.values())


# Random walk, 20,000 hourly bars, sigma 1 %, threshold 3 %: shapes a trader would name appear by
# chance. Measured on seeds 0-4 and 11 (2026-11): per confirmed pivot, double tops/bottoms 9.0-10.5 %,
# support/resistance 6.0-7.6 %, each triangle/wedge/channel 1.7-4.9 %, (inverse) head and shoulders
# 1.6-2.7 %; 0.61-0.68 events per pivot in all, about the rate on real BTC/USDT 1h (0.56), which is
# the point of measuring them. The bounds leave 20-30 % headroom, so a looser rule fails the test.
# What matters more: confirmed patterns on a random walk show no edge over the base rate (24-bar hit
# rate within 4.1 points of it on those seeds; the bound is 5).
RANDOM_WALK_RATE_BOUNDS = {"double_top": 0.13, "double_bottom": 0.13, "support": 0.09, "resistance": 0.09,
                           "head_and_shoulders": 0.035, "inverse_head_and_shoulders": 0.035}
OTHER_SHAPE_BOUND = 0.065
ALL_EVENTS_PER_PIVOT_BOUND = 0.8


def test_random_walk_false_positive_rate_is_bounded_and_shows_no_edge() -> None:
    candles = ar1_candles(20_000, 0.0, seed=11)
    n_pivots = len(zigzag(candles, 0.03))
    events = chart_patterns(candles, threshold=0.03)
    counts = pd.Series([e.pattern for e in events]).value_counts()
    rates = counts / n_pivots
    print(f"\nrandom walk: {n_pivots} pivots, {len(events)} events ({len(events) / n_pivots:.2f} per pivot)\n"
          + rates.round(4).to_string())
    for pattern, rate in rates.items():
        assert rate <= RANDOM_WALK_RATE_BOUNDS.get(pattern, OTHER_SHAPE_BOUND), (pattern, rate)
    assert len(events) / n_pivots <= ALL_EVENTS_PER_PIVOT_BOUND
    stats = pattern_stats(candles, events, horizons=(24,), min_events=1)
    hit_rate = stats["hits"].sum() / stats["n"].sum()
    base = np.average(stats["base_hit_rate"], weights=stats["n"])
    assert stats["n"].sum() > 400 and abs(hit_rate - base) < 0.05, (hit_rate, base)


def _fixed(event) -> tuple:
    """What an event detected by t must show identically whatever comes after t."""
    return event.pattern, event.start, event.detected_at, tuple(event.key_points)


def _assert_known_by_t_is_unchanged(full: list, partial: list, t: pd.Timestamp) -> None:
    before = [e for e in full if e.detected_at <= t]
    partial = [e for e in partial if e.detected_at <= t]
    assert [_fixed(e) for e in before] == [_fixed(e) for e in partial]
    for whole, seen in zip(before, partial):
        if whole.resolved_at is not None and whole.resolved_at <= t:
            assert whole == seen  # resolved by t: every field, status and level included
        else:
            assert seen.status == "open" or seen.resolved_at > t


def _continued_by_a_random_walk(candles: pd.DataFrame, t: int, seed: int) -> pd.DataFrame:
    out = candles.copy()
    tail = ar1_candles(len(candles) - t - 1, 0.0, seed=seed, sigma=0.02)
    scale = candles["close"].iloc[t] / tail["open"].iloc[0]
    out.iloc[t + 1 :, :4] = tail[["open", "high", "low", "close"]].to_numpy() * scale
    return out


@pytest.mark.parametrize("source", ["random_walk", "btc_1h"])
def test_detection_at_t_does_not_change_when_later_bars_change(source: str) -> None:
    if source == "random_walk":
        candles = ar1_candles(6000, 0.0, seed=5)
    else:
        candles = pd.read_parquet(DATA / "binance_BTC-USDT_1h.parquet").set_index("timestamp").iloc[-6000:]
    full = chart_patterns(candles)
    assert len(full) > 40
    opened_across_a_cut = 0
    for cut in (700, 2100, 3333, 4800, 5990):
        t = candles.index[cut]
        _assert_known_by_t_is_unchanged(full, chart_patterns(candles.iloc[: cut + 1]), t)
        _assert_known_by_t_is_unchanged(full, chart_patterns(_continued_by_a_random_walk(candles, cut, cut)), t)
        opened_across_a_cut += sum(e.detected_at <= t and (e.resolved_at is None or e.resolved_at > t) for e in full)
    assert opened_across_a_cut > 0  # the "still open at t" branch was exercised
