"""Agents page: RL agents walked forward after costs, every seed's equity as a band, actions on the candles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import loaders
import sidebar
from core.agents import AGENTS, WalkConfig, available, walk_forward
from core.errors import LydianError
from core.policy import Execution

selection = sidebar.market()
st.caption(
    "Each agent is trained on a window, frozen, and acts on the next block; its decision at a bar's close fills at "
    "the next bar's open and pays the fee on every change, exactly like the Strategy page's policies. Every seed is "
    "shown: the band is the spread across seeds, and the deflated Sharpe counts agents x seeds as trials."
)
cols = st.columns(5)
chosen = cols[0].multiselect("Agents", available(), default=["ppo", "dqn"], key="agents_ids")
seeds = int(cols[1].number_input("Seeds", 1, 10, 3, key="agents_seeds"))
steps = int(cols[2].number_input("Steps per fold", 256, 200_000, 5000, step=1000, key="agents_steps"))
fee = cols[3].number_input("Fee per side (%)", 0.0, 1.0, 0.1, step=0.05, key="agents_fee") / 100
bars = int(cols[4].number_input("Most recent bars", 600, 40_000, 3000, step=500, key="agents_bars",
                                help="The first 60 % train the first fold; test blocks of 20 % follow."))
with st.expander("Methods not available, and why"):
    st.dataframe(pd.DataFrame([s.describe() for s in AGENTS.values() if not s.available])[["id", "family", "reason"]],
                 key="agents_missing", hide_index=True)

if st.button("Run", key="agents_run", type="primary", disabled=not chosen):
    candles = loaders.candles(selection.symbol, selection.timeframe).iloc[-bars:]
    config = WalkConfig(int(len(candles) * 0.6), max(1, int(len(candles) * 0.2)), steps, seeds, 16)
    with st.spinner("Training and walking the agents forward…"):
        try:
            result = walk_forward(candles, chosen, config, Execution(fee=fee), selection.timeframe, curves=True)
        except LydianError as exc:
            st.error(f"The backtest stopped: {exc}")
            st.stop()
    st.session_state["agents_result"] = (selection, result, candles)

stored = st.session_state.get("agents_result")
if stored is None or stored[0] != selection:
    st.info("Choose agents and press **Run**. Two agents x 3 seeds x 5,000 steps take a minute or two.")
    st.stop()
_, result, candles = stored
keys = ["seeds", "sharpe_mean", "sharpe_std", "deflated_sharpe", "total_return_mean", "total_return_std",
        "turnover_mean"]
table = pd.DataFrame([{k: r.get(k) for k in ["id", *keys]} for r in result["agents"] + result["baselines"]])
st.dataframe(table.set_index("id"), key="agents_table")
st.caption(f"{result['bars']} out-of-sample bars, {result['trials']} trials, PBO {result['pbo']:.2f}. "
           "A row below buy-and-hold is shown as it is.")
index = pd.to_datetime(result["timestamps"])
equity = go.Figure()
for row in result["agents"]:
    curves = np.array(row["equity"])
    x = index[: curves.shape[1]]
    equity.add_scatter(x=x, y=curves.max(axis=0), line={"width": 0}, showlegend=False, name=f"{row['id']} max")
    equity.add_scatter(x=x, y=curves.min(axis=0), line={"width": 0}, fill="tonexty", name=f"{row['id']} seeds")
    equity.add_scatter(x=x, y=curves.mean(axis=0), name=f"{row['id']} mean")
equity.update_layout(title="Equity after costs (band: all seeds)", height=380)
st.plotly_chart(equity, key="agents_equity")
agent = st.selectbox("Actions of", [r["id"] for r in result["agents"]], key="agents_actions")
row = next(r for r in result["agents"] if r["id"] == agent)
position = np.array(row["positions"][0])
close = candles["close"].reindex(index).to_numpy()[: len(position)]
actions = go.Figure()
actions.add_scatter(x=index[: len(position)], y=close, name="close", line={"color": "gray"})
for value, colour, label in ((1.0, "green", "long"), (-1.0, "red", "short")):
    mask = np.isclose(position, value)
    actions.add_scatter(x=index[: len(position)][mask], y=close[mask], mode="markers", name=label,
                        marker={"color": colour, "size": 4})
actions.update_layout(title=f"{agent}, seed 0: position decided at each close", height=380)
st.plotly_chart(actions, key="agents_positions")
