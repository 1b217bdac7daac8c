"""Regimes page: price coloured by the causal regime, anomaly markers, what each regime is like, where a model's
edge lives (accuracy by regime) and standing aside in anomalous bars after costs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import loaders
import sidebar
from core.backtest.by_regime import regime_board
from core.errors import LydianError
from core.policy import POLICIES
from core.policy.stand_aside import stand_aside_report
from core.regimes import DETECTORS, label_causally, methods, summary

MODELS = ("lightgbm", "xgboost", "catboost", "random_forest", "extra_trees", "persistence", "majority")

selection = sidebar.market()
kinds = {name: DETECTORS[name].kind for name in methods()}
cols = st.columns([1, 1, 1, 1])
method = cols[0].selectbox("Regimes from", [m for m in kinds if kinds[m] == "regime"], key="regimes_method")
count = cols[1].slider("Regimes", 2, 6, 2, key="regimes_count", help="DBSCAN finds its own number")
spotter = cols[2].selectbox("Anomalies from", [m for m in kinds if kinds[m] == "anomaly"], key="regimes_anomaly")
history = cols[3].select_slider("Bars labelled from", [2000, 4000, 8000], 2000, key="regimes_history",
                                help="The detectors fit on the first half of these bars and label the rest causally, "
                                "refitting every 168 bars.")


@st.cache_data(ttl=3600, max_entries=16, show_spinner="Labelling regimes causally…")
def labelled(symbol: str, timeframe: str, method: str, count: int, history: int) -> tuple[pd.DataFrame, dict]:
    result = label_causally(loaders.candles(symbol, timeframe).iloc[-history:], method, n_regimes=count)
    return result.labels, summary(result)


try:
    labels, report = labelled(selection.symbol, selection.timeframe, method, count, history)
    flags, _ = labelled(selection.symbol, selection.timeframe, spotter, 2, history)
except LydianError as exc:
    st.error(str(exc))
    st.stop()

close = loaders.candles(selection.symbol, selection.timeframe)["close"].reindex(labels.index).tail(selection.bars)
shown = labels.loc[close.index]
figure = go.Figure()
for regime, bars in shown.groupby("regime"):
    figure.add_trace(go.Scatter(x=bars.index, y=close.loc[bars.index], mode="markers", marker={"size": 4},
                                name="noise" if regime < 0 else f"regime {regime}"))
odd = flags["regime"].reindex(close.index).eq(1)
figure.add_trace(go.Scatter(x=close.index[odd], y=close[odd], mode="markers", name=f"anomaly ({spotter})",
                            marker={"symbol": "x", "size": 9, "color": "black"}))
figure.update_layout(title=f"{selection.symbol} · {selection.timeframe}: close by {method} regime",
                     height=460, margin={"t": 40, "b": 10})
st.plotly_chart(figure, key="regimes_chart", width="stretch")
st.caption(f"Each bar's regime and anomaly mark were computed from bars up to it only: {report['n_labelled']:,} bars "
           f"labelled from {report['first_labelled'][:16]} over {report['matching']['refits']} fits, regime ids "
           "matched across refits (Hungarian on centroids; regime 0 is the calmest at the first fit).")

cols = st.columns(2)
table = pd.DataFrame(report["regimes"]).set_index("regime")
cols[0].subheader("Each regime")
cols[0].dataframe(table.rename(columns={"volatility": "volatility per bar", "mean_return": "mean log return per bar",
                                        "mean_duration": "mean duration (bars)"}), key="regimes_table",
                  column_config={"share": st.column_config.NumberColumn(format="percent")})
cols[1].subheader("Transition matrix")
cols[1].dataframe(pd.DataFrame(report["transition_matrix"]).T, key="regimes_transitions")
cols[1].caption("Row: regime at a bar; column: regime at the next bar; each row sums to one.")
if report["matching"]["worst_centroid_distance"] is not None:
    st.caption(f"Id matching across refits: mean centroid distance {report['matching']['mean_centroid_distance']:.3f},"
               f" worst {report['matching']['worst_centroid_distance']:.3f} (training standard deviations).")

st.subheader("Where a model's edge lives, and standing aside in anomalies")
cols = st.columns([2, 1, 1])
models = cols[0].multiselect("Models", MODELS, ["lightgbm"], max_selections=3, key="regimes_models")
policy = cols[1].selectbox("Policy", POLICIES, key="regimes_policy",
                           help="The same policy with and without the filter; on a stood-aside bar each is flat or "
                           "holds, never short.")
if cols[2].button("Walk forward", key="regimes_walk", type="primary", disabled=not models):
    candles = loaders.candles(selection.symbol, selection.timeframe).iloc[-history:]
    with st.spinner("Walking the models forward and trading the first with and without the filter…"):
        try:
            board = regime_board(models, candles, detector=method, n_regimes=count, timeframe=selection.timeframe)
            aside = stand_aside_report(candles, models[0], timeframe=selection.timeframe, detector=spotter,
                                       policy=policy)
        except LydianError as exc:
            st.error(f"The walk stopped: {exc}")
            st.stop()
    st.session_state["regimes_walked"] = (selection, board, aside)
walked = st.session_state.get("regimes_walked")
if walked is None or walked[0] != selection:
    st.info("Choose up to three models and press **Walk forward**: each is walked forward over the labelled bars "
            "and its accuracy broken down by regime; the first is traded with and without standing aside.")
    st.stop()
_, board, aside = walked
cols = st.columns(2)
cols[0].dataframe(pd.DataFrame(board["rows"]), hide_index=True, key="regimes_board")
cols[0].caption(f"Out-of-sample accuracy within each {board['detector']} regime with its 95% interval, beside "
                "always-up on the same bars: an edge lives where the interval sits above always-up.")
sides = pd.DataFrame({side: aside[side] for side in ("without", "with")}).T.rename_axis("stand aside")
cols[1].dataframe(sides[["sharpe", "sharpe_ci_low", "sharpe_ci_high", "total_return", "turnover", "flat_bars"]],
                  key="regimes_stand_aside")
cols[1].caption(f"{aside['model']} traded by '{aside['policy']}' after costs; {aside['bars_stood_aside']:,} of "
                f"{aside['n_forecasts']:,} forecasts stood aside in bars {aside['detector']} marked anomalous.")
