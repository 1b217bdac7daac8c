"""Figures of the Forecast page: the signal drawn on the candles, and each member's P(up)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from charts import DOWN, UP, candlestick

LEVELS = (("price_target", "target", "#1e88e5"), ("stop_loss", "stop-loss", DOWN), ("take_profit", "take-profit", UP))


def signal_chart(candles: pd.DataFrame, signal: dict[str, Any] | None, patterns: list[dict], title: str,
                 fan: dict[str, Any] | None = None) -> go.Figure:
    """Candles and volume; target, stop-loss and take-profit from the last bar on; confirmed chart patterns;
    the fan of a model's 80 % and 95 % intervals (`core.service.forecast` with ``intervals``)."""
    fig = candlestick(candles, title)
    if fan and fan.get("intervals"):
        add_fan(fig, candles, fan)
    step = candles.index[-1] - candles.index[-2] if len(candles) > 1 else pd.Timedelta(hours=1)
    ahead = candles.index[-1] + step * max(int(signal["horizon"]) if signal else 1, 3)
    if signal:
        for field, label, color in LEVELS:
            if signal.get(field) is not None:
                fig.add_trace(go.Scatter(x=[candles.index[-1], ahead], y=[signal[field]] * 2, mode="lines+text",
                                         line=dict(color=color, dash="dash"), text=["", label],
                                         textposition="top left", name=label), row=1, col=1)
    for event in patterns:
        times, prices = zip(*event["key_points"]) if event["key_points"] else ((), ())
        color = UP if event["direction"] == "bullish" else DOWN if event["direction"] == "bearish" else "#8e24aa"
        fig.add_trace(go.Scatter(x=list(times), y=list(prices), mode="lines+markers", line=dict(color=color, width=1),
                                 name=event["pattern"], hovertext=event["pattern"].replace("_", " ")), row=1, col=1)
    return fig


def add_fan(fig: go.Figure, candles: pd.DataFrame, forecast: dict[str, Any]) -> None:
    """Widening bands from the last close to the horizon's 80 % and 95 % intervals of the price."""
    step = candles.index[-1] - candles.index[-2] if len(candles) > 1 else pd.Timedelta(hours=1)
    now, close, bands = candles.index[-1], float(candles["close"].iloc[-1]), forecast["intervals"]
    end = now + step * int(forecast["horizon"])
    for level, opacity in ((95, 0.15), (80, 0.3)):
        low, high = close * (1 + bands[f"lo_{level}"]), close * (1 + bands[f"hi_{level}"])
        fig.add_trace(go.Scatter(x=[now, end, end, now], y=[close, high, low, close], fill="toself", mode="lines",
                                 line=dict(width=0), fillcolor=f"rgba(30, 136, 229, {opacity})",
                                 name=f"{forecast['model']} {level}% interval"), row=1, col=1)


def member_bars(signal: dict[str, Any]) -> go.Figure:
    """Each member's P(up), sorted, with its weight in the ensemble in the hover text."""
    members = sorted(signal["contributing_models"], key=lambda c: c["probability"])
    fig = go.Figure(go.Bar(
        x=[c["probability"] for c in members], y=[c["id"] for c in members], orientation="h",
        marker_color=[UP if c["probability"] > 0.5 else DOWN for c in members],
        hovertext=[f"weight {c['weight']:.1%}" for c in members],
    ))
    fig.add_vline(x=0.5, line_dash="dot")
    fig.add_vline(x=signal["probability"], line_color="#1e88e5", annotation_text="ensemble (calibrated)")
    fig.update_layout(height=max(220, 28 * len(members)), margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(title="P(up)", range=[0, 1]))
    return fig


def weight_bars(signal: dict[str, Any]) -> go.Figure:
    """Each member's weight in the ensemble, largest at the top."""
    members = sorted(signal["contributing_models"], key=lambda c: c["weight"])
    fig = go.Figure(go.Bar(x=[c["weight"] for c in members], y=[c["id"] for c in members], orientation="h",
                           marker_color="#5c6bc0"))
    fig.update_layout(height=max(220, 28 * len(members)), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title="weight", tickformat=".0%"))
    return fig


def contribution_bars(signal: dict[str, Any]) -> go.Figure:
    """How far each member pulls the latest forecast from 0.5 (up to the right, down to the left)."""
    members = sorted(signal["contributing_models"], key=lambda c: c["pull"])
    fig = go.Figure(go.Bar(x=[c["pull"] for c in members], y=[c["id"] for c in members], orientation="h",
                           marker_color=[UP if c["pull"] > 0 else DOWN for c in members]))
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(height=max(220, 28 * len(members)), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title="pull on the forecast"))
    return fig


def reliability_chart(before: dict[str, list], after: dict[str, list]) -> go.Figure:
    """Binned mean prediction against how often the market went up; the diagonal is perfect calibration."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#9e9e9e"),
                               name="perfect"))
    for table, name, color in ((before, "before calibration", DOWN), (after, "after calibration", UP)):
        fig.add_trace(go.Scatter(x=table["mean_predicted"], y=table["observed"], mode="lines+markers", name=name,
                                 line=dict(color=color), text=[f"{n} bars" for n in table["count"]]))
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=10, b=10), showlegend=True,
                      xaxis=dict(title="predicted P(up)", range=[0, 1]), yaxis=dict(title="observed up share", range=[0, 1]))
    return fig
