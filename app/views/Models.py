"""Models page: the card of each trained model for the sidebar market and its forecasts on the recent bars."""

from __future__ import annotations

import streamlit as st

import bridges
import figures_eval as figures
import sidebar
from core import forecasters
from core.errors import LydianError
from core.models import registry
from core.models.nets import NETS

selection = sidebar.market()
unavailable = [s for s in forecasters.registry().values() if s.unavailable_reason]
if unavailable:
    st.caption("Not offered: " + "; ".join(f"**{s.model_id}**, {s.unavailable_reason}" for s in unavailable) + ".")

stored = bridges.versions(selection.symbol, selection.timeframe)
if stored.empty:
    st.info(
        f"No trained model for {selection.symbol} {selection.timeframe} yet. Train one on the **Train** page, or "
        f"from the shell: `lydian train --symbol {selection.symbol} --timeframe {selection.timeframe} "
        "--models lightgbm --horizon 1`."
    )
    st.stop()

horizons = sorted(int(h) for h in stored["horizon"].unique())
cols = st.columns([1, 3])
horizon = cols[0].selectbox("Horizon (bars ahead)", horizons, index=horizons.index(1) if 1 in horizons else 0,
                            key="models_horizon")
known = forecasters.trainable_ids()  # a stored id that is no longer registered cannot be loaded: leave it out
trained = sorted((m for m in stored.loc[stored["horizon"] == horizon, "model_id"].unique() if m in known),
                 key=known.index)
st.session_state["models_chosen"] = [m for m in st.session_state.get("models_chosen", trained[:3]) if m in trained]
chosen = cols[1].multiselect("Models", trained, key="models_chosen")
k = bridges.key(selection.symbol, selection.timeframe, horizon)
st.caption("Validation accuracy is measured on the 20 % of bars after each model's training window, which also "
           "decided when training stopped: it is **not** an out-of-sample score. Honest figures come from the "
           "walk-forward on the Compare page, beside naive baselines.")

metas = {}
for model_id in chosen:
    spec = registry.spec(model_id)
    numbers = sorted((int(v) for v in stored.loc[(stored["model_id"] == model_id) & (stored["horizon"] == horizon),
                                                 "version"]), reverse=True)
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].subheader(model_id)
        head[0].caption(f"{spec.family} · {spec.description}")
        try:
            default = bridges.default_version(k, model_id)
            version = head[1].selectbox("Version", numbers, index=numbers.index(default),
                                        key=f"models_version_{model_id}",
                                        format_func=lambda v, d=default: f"v{v} (default)" if v == d else f"v{v}")
            info = metas[model_id] = bridges.meta(k, model_id, version)
        except LydianError as exc:
            st.error(str(exc))
            continue
        valid, data = info.get("valid_metrics", {}), info["data"]
        cells = st.columns(5)
        size = "Tree nodes" if spec.family == "boosting" else "Parameters"
        cells[0].metric(size, f"{info['n_parameters']:,}")
        cells[1].metric("Fit time", f"{info['fit_seconds']:.1f} s")
        cells[2].metric("Validation accuracy", f"{valid.get('accuracy', float('nan')):.1%}")
        cells[3].metric("Validation log loss", f"{valid.get('log_loss', float('nan')):.4f}")
        cells[4].metric("Validation bars", f"{valid.get('n', 0):,}")
        st.caption(
            f"Version {info['version']}, trained {info['created'][:16].replace('T', ' ')} UTC on {data['rows']:,} "
            f"{data['source']} bars: training {data['train'][0][:16]} → {data['train'][1][:16]}, validation "
            f"{data['valid'][0][:16]} → {data['valid'][1][:16]}; bars from {data['test_from'][:16]} on are unseen."
        )

if not metas:
    st.stop()
st.subheader(f"P(up) on the last {selection.bars} bars against what happened")
try:
    forecasts = {m: bridges.recent_forecasts(selection.symbol, selection.timeframe, horizon, m, i["version"],
                                             i["meta_checksum"], selection.bars) for m, i in metas.items()}
except LydianError as exc:
    st.error(str(exc))
    st.stop()
unseen = {m: i["data"]["test_from"] for m, i in metas.items()}
st.plotly_chart(figures.probability_chart(forecasts, horizon, unseen), key="models_forecasts", width="stretch")
st.caption(f"Each line is the model's P(up) over the next {horizon} bar(s) made at the close of that bar; the bars "
           "below are the move that followed. Left of a dashed line the model saw these bars while training.")

attentive = [m for m in metas if m in NETS and NETS[m].attention]
if attentive:
    st.subheader("Attention over the look-back window (latest bar)")
for model_id in attentive:
    info = metas[model_id]
    try:
        weights = bridges.attention(selection.symbol, selection.timeframe, horizon, model_id, info["version"],
                                    info["meta_checksum"])
    except LydianError as exc:
        st.error(str(exc))
        continue
    st.plotly_chart(figures.attention_chart(weights["weights"], f"{model_id} · window ending {weights['time'][:16]}"),
                    key=f"models_attention_{model_id}", width="stretch")
    st.caption(f"{weights['description']} Attention shows where the net looks, not why it decides.")
