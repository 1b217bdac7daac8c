"""Ensemble page: how the trained models are combined, with weights the user may set, and its calibration."""

from __future__ import annotations

import dataclasses

import streamlit as st

import figures_signal as figures
import forecast
import loaders
import sidebar
from core.ensemble import CALIBRATIONS, METHOD_DESCRIPTIONS, METHODS
from core.errors import LydianError
from core.models.store import Key

selection = sidebar.market()

cols = st.columns(3)
horizon = cols[0].selectbox("Horizon (bars)", forecast.HORIZONS, key="ensemble_horizon")
key = Key(selection.symbol, selection.timeframe, int(horizon))
stored = forecast.stored_market_config(key)
method = cols[1].selectbox("Method", METHODS, index=METHODS.index(stored.method), key="ensemble_page_method",
                           help="; ".join(f"{m}: {text}" for m, text in METHOD_DESCRIPTIONS.items()))
calibration = cols[2].selectbox("Calibration", CALIBRATIONS, index=CALIBRATIONS.index(stored.calibration),
                                key="ensemble_calibration")
config = forecast.ensemble_config(key, method, calibration, stored.min_confidence)
version = forecast.trained_version(key, config)
if version is None:
    st.info(f"No trained ensemble of {', '.join(config.members)} for {selection.symbol} {selection.timeframe} at "
            f"horizon {horizon}: the Forecast page trains it with one click, the Train page any other.")
    st.stop()

if st.toggle("Set the weights by hand", key="ensemble_manual"):
    st.caption("Relative weights; they are normalised to sum to 1. A weight of 0 leaves the model out.")
    inputs = st.columns(min(len(config.members), 6))
    user_weights = {m: float(inputs[i % len(inputs)].number_input(m, 0.0, 10.0, 1.0, 0.1, key=f"weight_{m}"))
                    for i, m in enumerate(config.members)}
    if sum(user_weights.values()) <= 0:
        st.error("At least one weight must be above zero.")
        st.stop()
    config = dataclasses.replace(config, user_weights=user_weights)

try:
    frame = loaders.candles(selection.symbol, selection.timeframe)
    view = forecast.ensemble_view(frame, key, version, str(frame.index[-1]), config.digest(), config)
except LydianError as exc:
    st.error(str(exc))
    st.stop()

signal = view["signal"]
top = st.columns(4)
top[0].metric("Ensemble P(up)", f"{signal['probability']:.3f}", f"raw {signal['raw_probability']:.3f}", delta_color="off")
top[1].metric("Signal", signal["action"])
top[2].metric("Calibration error before", f"{view['ece_before']:.3f}")
top[3].metric("Calibration error after", f"{view['ece_after']:.3f}")
left, right = st.columns(2)
left.subheader("Weights")
left.caption(f"{config.method}: " + ("set by hand" if config.user_weights else METHOD_DESCRIPTIONS[config.method]))
left.plotly_chart(figures.weight_bars(signal), key="ensemble_weights", width="stretch")
right.subheader("Pull on the latest forecast")
right.plotly_chart(figures.contribution_bars(signal), key="ensemble_contributions", width="stretch")
st.subheader("Reliability")
st.plotly_chart(figures.reliability_chart(view["reliability_before"], view["reliability_after"]),
                key="ensemble_reliability", width="stretch")
st.caption("Weights and calibration are fitted on held-out bars at the end of the validation window that the members "
           "never trained or early-stopped on. The calibration errors and the reliability diagram check the procedure on "
           f"data it was not fitted on: fitted on the first two thirds of those bars, measured on the last {view['check_rows']:,}. "
           "Close to the diagonal means P(up) means what it says.")
