"""Plotly figure builders for the pages: pure functions of frames, no Streamlit, no model logic."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

UP, DOWN = "#26a69a", "#ef5350"


def price_text(value: float) -> str:
    """A price with the decimals its size needs: 58,971.20 / 142.37 / 0.5123."""
    return f"{value:,.2f}" if value >= 1 else f"{value:.4g}"


def candlestick(candles: pd.DataFrame, title: str = "") -> go.Figure:
    """Candles on top, volume below, sharing the time axis."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.03)
    fig.add_trace(
        go.Candlestick(
            x=candles.index,
            open=candles["open"],
            high=candles["high"],
            low=candles["low"],
            close=candles["close"],
            name="price",
            increasing_line_color=UP,
            decreasing_line_color=DOWN,
        ),
        row=1,
        col=1,
    )
    colors = [UP if c >= o else DOWN for o, c in zip(candles["open"], candles["close"], strict=True)]
    fig.add_trace(go.Bar(x=candles.index, y=candles["volume"], marker_color=colors, name="volume"), row=2, col=1)
    fig.update_layout(
        title=title,
        height=620,
        showlegend=False,
        xaxis_rangeslider_visible=False,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
    )
    fig.update_yaxes(title_text="price", row=1, col=1)
    fig.update_yaxes(title_text="volume", row=2, col=1)
    return fig


def gap_timeline(candles: pd.DataFrame, gaps: list[dict]) -> go.Figure:
    """Closing price as context, with every hole in the time grid marked where it happened."""
    fig = go.Figure(go.Scattergl(x=candles.index, y=candles["close"], mode="lines", name="close", line_width=1))
    for gap in gaps:
        fig.add_vrect(x0=gap["start"], x1=gap["end"], fillcolor=DOWN, opacity=0.5, line_width=0)
    if gaps:
        fig.add_trace(
            go.Scatter(
                x=[g["start"] for g in gaps],
                y=[candles["close"].max()] * len(gaps),
                mode="markers",
                marker=dict(color=DOWN, symbol="triangle-down", size=9),
                text=[f"{g['missing_bars']} missing bars from {g['start']}" for g in gaps],
                hoverinfo="text",
                name="gap",
            )
        )
    fig.update_layout(height=300, showlegend=False, margin=dict(l=10, r=10, t=10, b=10))
    return fig
