"""Regimes page: price coloured by the causal regime, anomaly markers, and what each regime is like."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import loaders
import sidebar
from core.errors import LydianError
from core.regimes import DETECTORS, label_causally, methods, summary

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
