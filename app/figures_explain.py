"""Figures of the Explain page: importance bars, the waterfall of one forecast, SHAP by lag."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from charts import DOWN, UP


def _layout(fig: go.Figure, height: int, title: str = "") -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30 if title else 10, b=10), title=title,
                      showlegend=False)
    return fig


def importance_bars(scores: dict[str, float], top: int, signed: bool = False) -> go.Figure:
    """The ``top`` largest scores (by size), largest at the top; signed scores are coloured by direction."""
    names = sorted(scores, key=lambda n: abs(scores[n]), reverse=True)[:top][::-1]
    values = [scores[n] for n in names]
    colors = [UP if v > 0 else DOWN for v in values] if signed else "#5c6bc0"
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colors))
    fig.update_xaxes(title_text="effect on P(up)" if signed else "mean |SHAP| (log-odds)")
    return _layout(fig, max(260, 22 * len(names)))


def waterfall(local: dict[str, Any], top: int) -> go.Figure:
    """From the base value, each of the ``top`` features' push, the rest as one bar, to the model's log-odds."""
    features = local["features"]
    names = sorted(features, key=lambda n: abs(features[n]), reverse=True)[:top]
    rest = sum(v for n, v in features.items() if n not in names)
    labels = ["base value", *[f"{n} = {local['values'][n]:.4g}" for n in names], "other features", "forecast"]
    measures = ["absolute", *["relative"] * (len(names) + 1), "total"]
    values = [local["base_value"], *[features[n] for n in names], rest, 0.0]
    fig = go.Figure(go.Waterfall(orientation="h", y=labels[::-1], x=values[::-1], measure=measures[::-1],
                                 increasing=dict(marker_color=UP), decreasing=dict(marker_color=DOWN)))
    fig.update_xaxes(title_text="log-odds of P(up)")
    return _layout(fig, max(320, 24 * len(labels)))


def lag_bars(lags: dict[str, float], title: str = "SHAP summed over features") -> go.Figure:
    """One bar per bar of the window, oldest on the left, the forecast bar (lag 0) on the right."""
    steps = sorted(((int(k.split("_")[1]), v) for k, v in lags.items()), reverse=True)
    fig = go.Figure(go.Bar(x=[-lag for lag, _ in steps], y=[v for _, v in steps],
                           marker_color=[UP if v > 0 else DOWN for _, v in steps]))
    fig.update_xaxes(title_text="bars before the forecast bar (0 = the forecast bar)")
    fig.update_yaxes(title_text=title)
    return _layout(fig, 280)
