"""Explain page: why a trained model forecasts what it does (SHAP, a LIME second opinion, attention)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

import bridges
import figures_explain as figures
import loaders
import sidebar
from core import forecasters
from core.errors import LydianError
from core.explain import feature_space
from core.models import registry

selection = sidebar.market()

with st.expander("Feature space: a t-SNE map of the bars, coloured by what followed"):
    if st.button(f"Map {feature_space.ROWS} bars (t-SNE, about 15 s)", key="explain_tsne"):
        candles = loaders.candles(selection.symbol, selection.timeframe)
        st.session_state["explain_tsne_map"] = (selection, feature_space.feature_map(candles))
    mapped = st.session_state.get("explain_tsne_map")
    if mapped and mapped[0] == selection:
        st.plotly_chart(px.scatter(mapped[1], x="x", y="y", color="outcome", opacity=0.6, height=420),
                        key="explain_tsne_chart", width="stretch")
        st.caption("Each dot is a bar placed by t-SNE from its ~250 causal features (after PCA to 30 dimensions), "
                   "coloured by the direction of the next bar. Mixed colours mean the features alone do not separate "
                   "up from down: why 50-55 % accuracy is normal.")

stored = bridges.versions(selection.symbol, selection.timeframe)
known = forecasters.trainable_ids()
stored = stored[stored["model_id"].isin(known)]
if stored.empty:
    st.info(f"No trained model for {selection.symbol} {selection.timeframe} to explain yet. Train one on the **Train** "
            "page (the boosters take seconds), then come back.")
    st.stop()

cols = st.columns([1, 2, 1])
horizons = sorted(int(h) for h in stored["horizon"].unique())
horizon = cols[0].selectbox("Horizon (bars ahead)", horizons, key="explain_horizon")
trained = sorted(stored.loc[stored["horizon"] == horizon, "model_id"].unique(), key=known.index)
model_id = cols[1].selectbox("Model", trained, key="explain_model")
top = cols[2].slider("Features shown", 5, 30, 15, key="explain_top")
k = bridges.key(selection.symbol, selection.timeframe, horizon)

try:
    info = bridges.meta(k, model_id)
    ident = (selection.symbol, selection.timeframe, horizon, model_id, info["version"], info["meta_checksum"])
    local = bridges.explanation(*ident, "shap")
    overall = bridges.explanation(*ident, "global")
except LydianError as exc:
    st.error(str(exc))
    st.stop()

st.caption(f"{model_id} v{info['version']} · SHAP by the {local['method']} explainer, in log-odds of P(up) "
           f"(positive pushes towards up). Global importance: mean |SHAP| over {overall['rows']} bars of the model's "
           f"untouched test window ({overall['start'][:10]} to {overall['end'][:10]}).")
left, right = st.columns(2)
left.subheader("What drives it overall")
by = left.radio("By", ["feature", "feature group"], horizontal=True, key="explain_by")
scores = overall["features"] if by == "feature" else overall["groups"]
left.plotly_chart(figures.importance_bars(scores, top), key="explain_global", width="stretch")
right.subheader(f"The latest forecast: P(up) {local['p_up']:.3f}")
right.plotly_chart(figures.waterfall(local, top), key="explain_local", width="stretch")
right.caption(f"Base value {local['base_value']:+.3f} + the bars = the model's log-odds {local['model_output']:+.3f} "
              f"(additivity gap {local['additivity_gap']:.1e}) for the bar of {local['time'][:16]} UTC.")
if local.get("lags"):
    st.subheader("How far back it looks")
    st.plotly_chart(figures.lag_bars(local["lags"]), key="explain_lags", width="stretch")

st.subheader("A second opinion: LIME")
if st.button("Fit a local linear surrogate (LIME's method, a few seconds)", key="explain_lime"):
    try:
        lime = bridges.explanation(*ident, "lime")
    except LydianError as exc:
        st.error(str(exc))
    else:
        st.plotly_chart(figures.importance_bars(lime["weights"], top, signed=True), key="explain_lime_chart",
                        width="stretch")
        st.caption(f"Change in P(up) per inter-quartile move of each feature around this forecast; the surrogate "
                   f"explains {lime['r2']:.0%} of the model's variation nearby (weighted R²).")
if registry.spec(model_id).sequence:
    try:
        weights = bridges.attention(*ident)["weights"]
    except LydianError as exc:
        st.caption(f"No attention weights: {exc}")
    else:
        st.subheader("Attention over the window")
        st.plotly_chart(figures.lag_bars(weights, title="attention weight"), key="explain_attention", width="stretch")
        st.caption("Attention shows where the net looks in the window, not why it decides.")
