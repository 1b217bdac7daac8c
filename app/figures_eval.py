"""Figures and tables for the Models and Compare pages: pure functions of frames, no Streamlit, no model logic."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from charts import DOWN, UP
from core.stats import wilson_interval

BASELINE_COLOR, BAND_COLOR = "#9e9e9e", "rgba(158,158,158,0.25)"


def _margins(fig: go.Figure, height: int, title: str = "") -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig


def probability_chart(forecasts: dict[str, pd.DataFrame], horizon: int, unseen_from: dict[str, str]) -> go.Figure:
    """P(up) of each model on top; below, the realised ``horizon``-bar return that followed each bar."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.04)
    for name, frame in forecasts.items():
        fig.add_trace(go.Scatter(x=frame.index, y=frame["p_up"], mode="lines", name=f"{name} P(up)"), row=1, col=1)
    fig.add_hline(y=0.5, line_dash="dot", line_color=BASELINE_COLOR, row=1, col=1)
    realised = next(iter(forecasts.values()))["future_return"]
    fig.add_trace(go.Bar(x=realised.index, y=realised, name=f"realised {horizon}-bar return",
                         marker_color=[UP if r > 0 else DOWN for r in realised.fillna(0)]), row=2, col=1)
    first = next(iter(forecasts.values())).index[0]
    for name, when in unseen_from.items():
        stamp = pd.Timestamp(when)
        if stamp > first:
            fig.add_vline(x=stamp, line_dash="dash", line_color=BASELINE_COLOR)
            fig.add_annotation(x=stamp, y=1, yref="paper", text=f"{name}: unseen from here", showarrow=False,
                               xanchor="left", font_size=11)
    fig.update_yaxes(title_text="P(up)", row=1, col=1)
    fig.update_yaxes(title_text="return", tickformat=".1%", row=2, col=1)
    fig.update_layout(legend=dict(orientation="h", y=1.08))
    return _margins(fig, 520)


def attention_chart(weights: dict[str, float], title: str) -> go.Figure:
    """Weight per bar of the look-back window, oldest on the left, the forecast bar (lag 0) on the right."""
    lags = [int(name.split("_")[1]) for name in weights]
    fig = go.Figure(go.Bar(x=[-lag for lag in lags], y=list(weights.values()), marker_color="#5c6bc0"))
    fig.add_hline(y=1 / len(weights), line_dash="dot", line_color=BASELINE_COLOR,
                  annotation_text="uniform", annotation_position="top left")
    fig.update_xaxes(title_text="bars before the forecast bar (0 = the forecast bar)")
    fig.update_yaxes(title_text="weight")
    return _margins(fig, 300, title)


def leaderboard_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The columns a reader needs, in reading order; baselines are named as such in ``kind``."""
    def ci(row: dict[str, Any]) -> str:
        low, high = row.get("accuracy_ci_low"), row.get("accuracy_ci_high")
        return f"{low:.1%} – {high:.1%}" if low is not None and high is not None else "–"

    return pd.DataFrame([{
        "model": row["model"],
        "kind": "model" if row["kind"] == "model" else "baseline (naive)",
        "accuracy": row.get("accuracy"),
        "95% interval": ci(row),
        "edge vs best baseline": row.get("edge"),
        "p-value": row.get("p_value"),
        "verdict": row.get("verdict"),
        "Sharpe after fees": row.get("sharpe"),
        "max drawdown": row.get("max_drawdown"),
        "forecasts": row.get("n"),
        "log loss": row.get("log_loss"),
        "AUC": row.get("auc"),
        **return_forecast_columns(row),
    } for row in rows])


def return_forecast_columns(row: dict[str, Any]) -> dict[str, Any]:
    """Scores of the return forecast (empty for baselines): versus the random walk, and measured interval coverage."""
    return {
        "RMSE": row.get("rmse"), "MAE": row.get("mae"), "MASE vs random walk": row.get("mase"),
        "DM p vs random walk": row.get("dm_rw_p_value"),
        "conformal 90% coverage": row.get("conformal_90_coverage"),
        "conformal 90% width": row.get("conformal_90_width"),
        "own 80% coverage": row.get("own_80_coverage"), "own 95% coverage": row.get("own_95_coverage"),
    }


def accuracy_chart(rows: list[dict[str, Any]], band: dict[str, Any]) -> go.Figure:
    """Accuracy with its 95 % interval per row; the shaded band is what coin flips score on the same bars."""
    rows = [r for r in rows if r.get("accuracy") is not None]
    names = [r["model"] for r in rows]
    fig = go.Figure()
    if band.get("accuracy_ci_low") is not None:
        fig.add_hrect(y0=band["accuracy_ci_low"], y1=band["accuracy_ci_high"], fillcolor=BAND_COLOR, line_width=0,
                      annotation_text="coin flip, 95 % band", annotation_position="top left")
    for kind, color in (("model", "#1e88e5"), ("baseline", BASELINE_COLOR)):
        part = [r for r in rows if r["kind"] == kind]
        if not part:
            continue
        fig.add_trace(go.Scatter(
            x=[r["model"] for r in part], y=[r["accuracy"] for r in part], mode="markers", name=kind,
            marker=dict(size=11, color=color, symbol="circle" if kind == "model" else "diamond"),
            error_y=dict(type="data", symmetric=False,
                         array=[(r["accuracy_ci_high"] or r["accuracy"]) - r["accuracy"] for r in part],
                         arrayminus=[r["accuracy"] - (r["accuracy_ci_low"] or r["accuracy"]) for r in part]),
        ))
    fig.add_hline(y=0.5, line_dash="dot", line_color=BASELINE_COLOR)
    fig.update_xaxes(categoryorder="array", categoryarray=names)
    fig.update_yaxes(title_text="direction accuracy", tickformat=".0%")
    return _margins(fig, 380)


def equity_chart(curves: dict[str, pd.Series], strategy: str) -> go.Figure:
    """Growth of 1 unit after fees; buy-and-hold drawn grey as the market itself."""
    fig = go.Figure()
    for name, curve in curves.items():
        market = name == "buy_and_hold"
        fig.add_trace(go.Scatter(x=curve.index, y=curve, mode="lines", name="buy and hold" if market else name,
                                 line=dict(color=BASELINE_COLOR, dash="dash") if market else None))
    fig.add_hline(y=1.0, line_dash="dot", line_color=BASELINE_COLOR)
    fig.update_yaxes(title_text=f"equity ({strategy.replace('_', '/')}, after fees)")
    return _margins(fig, 380)


def reliability(predictions: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Equal-count bins of P(up): mean prediction, observed up frequency and count per bin.

    Quantile bins, because most models forecast within a few points of 0.5: equal-width bins
    would put nearly every forecast in one or two of them.
    """
    p, y = predictions["p_up"].to_numpy(np.float64), predictions["realised_direction"].to_numpy(np.float64)
    keep = np.isfinite(p) & np.isfinite(y)
    frame = pd.DataFrame({"p": p[keep], "y": y[keep]})
    if frame.empty:
        return pd.DataFrame(columns=["mean_predicted", "observed", "count"])
    q = min(bins, frame["p"].nunique())
    frame["bin"] = pd.qcut(frame["p"], q=q, duplicates="drop") if q > 1 else 0
    table = frame.groupby("bin", observed=True).agg(mean_predicted=("p", "mean"), observed=("y", "mean"),
                                                     count=("y", "size"))
    return table.reset_index(drop=True)


def reliability_chart(predictions: dict[str, pd.DataFrame], bins: int = 10) -> go.Figure:
    """Binned predicted P(up) against how often price went up (95 % interval); calibrated sits on the diagonal."""
    fig = go.Figure()
    xs: list[float] = []
    for name, frame in predictions.items():
        table = reliability(frame, bins)
        if table.empty:
            continue
        observed, count = table["observed"].to_numpy(), table["count"].to_numpy()
        ci = np.array([wilson_interval(round(o * c), int(c)) for o, c in zip(observed, count, strict=True)])
        xs += [table["mean_predicted"].min(), table["mean_predicted"].max()]
        fig.add_trace(go.Scatter(
            x=table["mean_predicted"], y=observed, mode="lines+markers", name=name,
            text=[f"{int(c)} forecasts" for c in count],
            error_y=dict(type="data", symmetric=False, thickness=1, array=ci[:, 1] - observed,
                         arrayminus=observed - ci[:, 0]),
        ))
    low = max(0.0, math.floor((min(xs, default=0.45) - 0.01) * 100) / 100)
    high = min(1.0, math.ceil((max(xs, default=0.55) + 0.01) * 100) / 100)
    fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="perfect calibration",
                             line=dict(color=BASELINE_COLOR, dash="dot")))
    fig.update_xaxes(title_text="predicted P(up) (bin mean)", range=[low, high], tickformat=".0%")
    fig.update_yaxes(title_text="observed share of up moves (95 % interval)", tickformat=".0%")
    return _margins(fig, 420)
