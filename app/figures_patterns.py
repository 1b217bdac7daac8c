"""Figures and tables for the Patterns page: pure functions of candles and detected events, no Streamlit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

import charts

if TYPE_CHECKING:
    from core.patterns.events import ChartPattern

COLORS = {"bullish": charts.UP, "bearish": charts.DOWN, "neutral": "#5c6bc0"}
MAX_DRAWN = 40  # chart patterns drawn at most (the most recent), so the candles stay readable


def in_window(patterns: list[ChartPattern], first: pd.Timestamp, last: pd.Timestamp) -> list[ChartPattern]:
    """Patterns whose span (first key point to resolution, or detection while open) overlaps the window."""
    return [p for p in patterns if p.start <= last and p.end >= first][-MAX_DRAWN:]


def pattern_chart(candles: pd.DataFrame, patterns: list[ChartPattern], events: pd.DataFrame, title: str) -> go.Figure:
    """Candles with chart patterns (key points joined, drawn lines, breakout level) and candlestick markers."""
    fig = charts.candlestick(candles, title)
    for pattern in patterns:
        color = COLORS.get(pattern.direction, COLORS["neutral"])
        group, label = f"{pattern.pattern}-{pattern.start}", f"{pattern.pattern} ({pattern.status})"
        times, prices = zip(*pattern.key_points, strict=True)
        fig.add_trace(go.Scatter(x=list(times), y=list(prices), mode="lines+markers", name=label, legendgroup=group,
                                 line=dict(color=color, width=2), marker=dict(size=6)), row=1, col=1)
        for line_name, ((t0, p0), (t1, p1)) in pattern.lines.items():
            fig.add_trace(go.Scatter(x=[t0, t1], y=[p0, p1], mode="lines", name=f"{pattern.pattern} {line_name}",
                                     legendgroup=group, showlegend=False, line=dict(color=color, dash="dash", width=1)),
                          row=1, col=1)
        until = pattern.confirmed_at or pattern.end
        fig.add_trace(go.Scatter(
            x=[pattern.detected_at, until], y=[pattern.level, pattern.level], mode="lines+markers",
            name=f"{pattern.pattern} breakout level", legendgroup=group, showlegend=False,
            line=dict(color=color, dash="dot", width=2), marker=dict(symbol=["line-ns", "star"], size=[8, 12]),
            hovertext=f"{label}: breakout level {charts.price_text(pattern.level)}", hoverinfo="text",
        ), row=1, col=1)
    for direction, (column, symbol, shift) in {"bullish": ("low", "triangle-up", 0.995),
                                               "bearish": ("high", "triangle-down", 1.005),
                                               "neutral": ("high", "circle", 1.01)}.items():
        part = events[events["direction"] == direction]
        if part.empty:
            continue
        names = part.groupby("timestamp")["pattern"].agg(", ".join)
        fig.add_trace(go.Scatter(
            x=names.index, y=candles.loc[names.index, column] * shift, mode="markers",
            name=f"{direction} candlestick", marker=dict(symbol=symbol, size=8, color=COLORS[direction]),
            hovertext=[f"{direction}: {text}" for text in names], hoverinfo="x+text",
        ), row=1, col=1)
    fig.update_traces(showlegend=False, selector=dict(type="candlestick"))
    fig.update_traces(showlegend=False, selector=dict(type="bar"))
    fig.update_xaxes(range=[candles.index[0], candles.index[-1]])
    fig.update_layout(showlegend=True, height=680, legend=dict(orientation="h", y=-0.08))
    return fig


def patterns_frame(patterns: list[ChartPattern]) -> pd.DataFrame:
    """The chart patterns drawn, one row each, newest first."""
    rows = [{"pattern": p.pattern, "direction": p.direction, "status": p.status, "first key point": p.start,
             "known at": p.detected_at, "confirmed at": p.confirmed_at, "breakout level": p.level}
            for p in patterns]
    return pd.DataFrame(rows).iloc[::-1].reset_index(drop=True) if rows else pd.DataFrame()


def stats_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The statistics table in reading order: events, hit rate with interval, base rate, difference."""
    frame = table.copy()
    frame["95% interval"] = [
        f"{low:.1%} – {high:.1%}" if pd.notna(low) else "–"
        for low, high in zip(frame["hit_rate_ci_low"], frame["hit_rate_ci_high"], strict=True)
    ]
    frame["mean_return"] *= 100
    frame["base_mean_return"] *= 100
    columns = {"pattern": "pattern", "kind": "kind", "direction": "claims", "horizon": "after bars", "n": "events",
               "hit_rate": "hit rate", "95% interval": "95% interval", "base_hit_rate": "base rate",
               "hit_rate_diff": "difference", "mean_return": "mean return (%)",
               "base_mean_return": "base mean return (%)", "note": "note"}
    return frame[list(columns)].rename(columns=columns)

