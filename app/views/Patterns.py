"""Patterns page: chart and candlestick patterns on the recent bars, and what followed them in this series."""

from __future__ import annotations

import streamlit as st

import bridges
import figures_patterns as figures
import loaders
import sidebar
from core.errors import LydianError
from core.patterns import differs_from_base, with_record
from core.patterns.report import HORIZONS

LEARN_BARS = 8_760  # a year of hourly bars: what the learned detectors train and are scored on

selection = sidebar.market()

cols = st.columns([2, 1, 1, 1])
threshold = cols[0].slider(
    "Zigzag threshold (% reversal that confirms a swing)", 1.0, 15.0, 3.0, step=0.5, key="patterns_threshold",
    help="A swing high becomes a pivot once a later bar closes this far below it (and vice versa). "
    "Smaller values find more, shorter patterns.",
) / 100
neutral = cols[1].checkbox("Neutral candlesticks (doji, spinning top…)", False, key="patterns_neutral")
show_candles = cols[2].checkbox("Candlestick markers", True, key="patterns_candles")
every = cols[3].toggle("All events", False, key="patterns_every", disabled=not show_candles,
                       help="Mark every candlestick event. Off: only the patterns whose claim came true more often "
                       "than after any bar, by more than chance (95 % interval above the base rate) at one of the "
                       "horizons measured below.")

try:
    candles = loaders.candles(selection.symbol, selection.timeframe)
    events = bridges.candle_events(selection.symbol, selection.timeframe)
    patterns = bridges.chart_events(selection.symbol, selection.timeframe, threshold)
    table = bridges.pattern_table(selection.symbol, selection.timeframe, threshold)
except LydianError as exc:
    st.error(str(exc))
    st.stop()

recent = candles.tail(selection.bars)
first, last = recent.index[0], recent.index[-1]
drawn = figures.in_window(patterns, first, last)
shown = events[(events["timestamp"] >= first) & (events["timestamp"] <= last)] if show_candles else events.iloc[:0]
if not neutral:
    shown = shown[shown["direction"] != "neutral"]
if not every:
    shown = with_record(shown, table)
names = sorted(shown["pattern"].unique())
st.session_state["patterns_marked"] = [p for p in st.session_state.get("patterns_marked", []) if p in names]
marked = st.multiselect("Mark only these candlestick patterns (none chosen: all)", names, key="patterns_marked",
                        disabled=not show_candles)
if marked:
    shown = shown[shown["pattern"].isin(marked)]
st.plotly_chart(
    figures.pattern_chart(recent, drawn, shown, f"{selection.symbol} · {selection.timeframe}"),
    key="patterns_chart", width="stretch",
)
st.caption(
    f"{len(drawn)} chart pattern(s) and {len(shown):,} candlestick event(s) on the last {len(recent)} bars. "
    "Key points are joined by a solid line, drawn lines are dashed, the breakout level is dotted from the bar "
    "the pattern became known to its confirmation (star). Markers sit on the bar at whose close a candlestick "
    "pattern was known; hover for the names. "
    + ("Every candlestick event is marked." if every else "Only patterns with a record are marked: their claimed "
       "direction came true more often than after any bar (95 % interval above the base rate) "
       f"{', '.join(map(str, HORIZONS[:-1]))} or {HORIZONS[-1]} bars later; switch on **All events** for "
       "every one.")
)
if drawn:
    with st.expander(f"The {len(drawn)} chart pattern(s) on the chart"):
        st.dataframe(figures.patterns_frame(drawn), hide_index=True, key="patterns_events")

st.subheader("What followed each pattern")
cols = st.columns(3)
kind = cols[0].radio("Patterns", ["candlestick", "chart"], horizontal=True, key="patterns_kind")
horizon = cols[1].selectbox("Bars after the event", HORIZONS, key="patterns_horizon")
enough = cols[2].checkbox("Only patterns with enough events", True, key="patterns_enough")
rows = table[(table["kind"] == kind) & (table["horizon"] == horizon)]
if enough:
    rows = rows.dropna(subset=["hit_rate"])
rows = rows.sort_values("n", ascending=False)
if rows.empty:
    st.info(f"No {kind} pattern on {selection.symbol} {selection.timeframe} has enough events for a hit rate; "
            "untick the box to see the counts, or lower the zigzag threshold for more chart patterns.")
else:
    st.dataframe(
        figures.stats_frame(rows), hide_index=True, key="patterns_stats", width="stretch",
        column_config={c: st.column_config.NumberColumn(format="percent") for c in ("hit rate", "base rate", "difference")}
        | {c: st.column_config.NumberColumn(format="%.3f") for c in ("mean return (%)", "base mean return (%)")},
    )
outside, rated = int(differs_from_base(table).sum()), int(table["hit_rate"].notna().sum())
st.caption(
    f"Measured on this series only: {selection.symbol} {selection.timeframe}, {len(candles):,} bars from "
    f"{candles.index[0]:%Y-%m-%d} to {candles.index[-1]:%Y-%m-%d}. The hit rate is the share of events after "
    f"which price moved the claimed way over the next {horizon} bar(s), counted from the close of the bar at "
    "which the event was known (a chart pattern at its confirmation); the base rate is the same share over every "
    f"bar. Many comparisons are made here: {rated} rows over all patterns and horizons have a hit rate, and "
    f"{outside} of them have a 95 % interval that excludes the base rate, where chance alone would give about "
    f"{round(rated * 0.05)}. A single row that beats the base rate is weak evidence; neutral patterns claim "
    "nothing (their hit rate is the share of up moves)."
)

st.subheader("Learned detectors beside the rules")
st.caption(
    "A YOLO-style detector (span and class of each chart pattern) and a U-Net (support and resistance zones bar by "
    f"bar) are trained on the rules' patterns of the first 60 % of the last {LEARN_BARS:,} bars only (1 % zigzag), "
    "then scored on the rest against what the rules find there. Training takes a few minutes."
)
if st.button("Train and score the learned detectors", key="patterns_learn"):
    from core import service

    with st.spinner("Training on the early bars, scoring on the later ones…"):
        try:
            st.session_state["patterns_learned"] = service.learned_patterns(candles.tail(LEARN_BARS))
        except LydianError as exc:
            st.error(str(exc))
learned = st.session_state.get("patterns_learned")
if learned:
    det, fwd = learned["detector"], learned["forward_returns"]
    st.dataframe([
        {"": "detector", "precision": det["precision"], "recall": det["recall"], "found": det["n_found"]},
        {"": "random spans, same lengths", "precision": det["chance"]["precision"], "recall": det["chance"]["recall"],
         "found": det["n_found"]},
    ], hide_index=True, key="patterns_learned_detector")
    st.dataframe([{"zone": zone, **scores} for zone, scores in learned["unet"].items()], hide_index=True,
                 key="patterns_learned_unet")
    st.dataframe([{"after": name, **values} for name, values in fwd.items() if name != "horizon"], hide_index=True,
                 key="patterns_learned_returns")
    st.caption(
        f"Scored from {learned['test_start'][:10]} ({learned['bars'] - learned['train_bars']:,} bars) against "
        f"{det['n_rules']} rule patterns; a detection matches a rule pattern of the same class whose span overlaps "
        f"it by IoU ≥ {learned['config']['iou']} (mean IoU of the matches {det['mean_iou']:.2f}). Forward returns "
        f"{fwd['horizon']} bars after each detection are signed by the pattern's claim (neutral ones left out), "
        "beside the rules' own and any bar's."
    )
