"""Figures of the Strategy page: equity after costs with its bootstrap band, drawdown, trades, the threshold's effect."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def equity_chart(table: pd.DataFrame, low: np.ndarray, high: np.ndarray) -> go.Figure:
    """Growth of 1 after costs, the 95 % block-bootstrap band around it, and the market beside it."""
    equity = np.cumprod(1 + table["net_return"].to_numpy())
    market = np.cumprod(1 + table["asset_return"].to_numpy())
    x = table.index
    fig = go.Figure([
        go.Scatter(x=x, y=high, line={"width": 0}, showlegend=False, hoverinfo="skip"),
        go.Scatter(x=x, y=low, fill="tonexty", line={"width": 0}, fillcolor="rgba(99,110,250,0.2)",
                   name="95 % bootstrap band"),
        go.Scatter(x=x, y=equity, name="policy after costs", line={"color": "#636efa"}),
        go.Scatter(x=x, y=market, name="market (buy and hold)", line={"color": "#aaaaaa", "dash": "dot"}),
    ])
    return fig.update_layout(height=360, margin={"t": 30, "b": 10}, yaxis_title="growth of 1", yaxis_type="log")


def drawdown_chart(table: pd.DataFrame) -> go.Figure:
    equity = np.cumprod(1 + table["net_return"].to_numpy())
    drawdown = equity / np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:] - 1
    fig = go.Figure(go.Scatter(x=table.index, y=drawdown, fill="tozeroy", line={"color": "#ef553b"}, name="drawdown"))
    return fig.update_layout(height=220, margin={"t": 10, "b": 10}, yaxis_tickformat=".0%")


def trades_chart(candles: pd.DataFrame, table: pd.DataFrame) -> go.Figure:
    """Candles with a marker where the position changes: filled at the next bar's open."""
    shown = candles.loc[table.index[0] : table.index[-1]]
    change = table["position"].diff().fillna(table["position"])
    fills = table.index[change != 0]
    at = candles.index.get_indexer(fills) + 1
    ok = at < len(candles)
    fig = go.Figure(go.Candlestick(x=shown.index, open=shown["open"], high=shown["high"], low=shown["low"],
                                   close=shown["close"], name="candles"))
    for side, colour, symbol in ((1, "#00cc96", "triangle-up"), (-1, "#ef553b", "triangle-down")):
        mask = ok & (np.sign(change[change != 0].to_numpy()) == side)
        fig.add_trace(go.Scatter(x=candles.index[at[mask]], y=candles["open"].to_numpy()[at[mask]], mode="markers",
                                 marker={"symbol": symbol, "color": colour, "size": 9},
                                 name="buy" if side > 0 else "sell"))
    return fig.update_layout(height=420, margin={"t": 10, "b": 10}, xaxis_rangeslider_visible=False)


def configs_chart(configs: list[dict[str, Any]]) -> go.Figure:
    """Each configuration's own Sharpe after costs and its turnover: what a stricter threshold trades off."""
    labels = [" ".join(f"{k}={v}" for k, v in c.items() if k not in ("sharpe", "turnover")) or "-" for c in configs]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=labels, y=[c["sharpe"] for c in configs], name="Sharpe after costs"), secondary_y=False)
    fig.add_trace(go.Scatter(x=labels, y=[c["turnover"] for c in configs], name="turnover", mode="lines+markers"),
                  secondary_y=True)
    fig.update_yaxes(title_text="Sharpe", secondary_y=False).update_yaxes(title_text="turnover", secondary_y=True)
    return fig.update_layout(height=320, margin={"t": 10, "b": 10})
