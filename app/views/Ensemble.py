"""Ensemble page: how the trained models are combined, with weights the user may set, and its calibration."""

from __future__ import annotations

import streamlit as st

import figures_signal as figures
import forecast
import loaders
import sidebar
from core.ensemble import CALIBRATIONS, METHODS, EnsembleConfig
from core.errors import LydianError
from core.models.store import Key

selection = sidebar.market()

cols = st.columns(3)
horizon = cols[0].selectbox("Horizon (bars)", forecast.HORIZONS, key="ensemble_horizon")
method = cols[1].selectbox("Method", METHODS, index=METHODS.index(EnsembleConfig.method), key="ensemble_page_method",
                           help="weighted: by out-of-sample log-loss skill; stacking: a logistic meta-learner on "
                           "held-out forecasts; votes: equal weights; bagging: skill weights averaged over bootstrap "
                           "resamples; bma: Bayesian model averaging (concentrates on the best member); boosting: members "
                           "re-weighted by their recent errors (Hedge)")
calibration = cols[2].selectbox("Calibration", CALIBRATIONS, index=CALIBRATIONS.index(EnsembleConfig.calibration),
                                key="ensemble_calibration")
key = Key(selection.symbol, selection.timeframe, int(horizon))
versions = forecast.member_versions(key)
if not versions:
    st.info(f"No trained model for {selection.symbol} {selection.timeframe} at horizon {horizon}: the Forecast page "
            "trains the fast ones with one click, the Train page any other.")
    st.stop()

user_weights: tuple = ()
if st.toggle("Set the weights by hand", key="ensemble_manual"):
    st.caption("Relative weights; they are normalised to sum to 1. A weight of 0 leaves the model out.")
    inputs = st.columns(min(len(versions), 6))
    user_weights = tuple((m, float(inputs[i % len(inputs)].number_input(m, 0.0, 10.0, 1.0, 0.1, key=f"weight_{m}")))
                         for i, (m, _) in enumerate(versions))
    if sum(w for _, w in user_weights) <= 0:
        st.error("At least one weight must be above zero.")
        st.stop()

try:
    frame = loaders.candles(selection.symbol, selection.timeframe)
    view = forecast.ensemble_view(frame, key, versions, str(frame.index[-1]), method, calibration, user_weights)
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
left.plotly_chart(figures.weight_bars(signal), key="ensemble_weights", width="stretch")
right.subheader("Pull on the latest forecast")
right.plotly_chart(figures.contribution_bars(signal), key="ensemble_contributions", width="stretch")
st.subheader("Reliability")
st.plotly_chart(figures.reliability_chart(view["reliability_before"], view["reliability_after"]),
                key="ensemble_reliability", width="stretch")
st.caption(f"Weights and calibration are fitted on the first two thirds of {view['fit_rows']:,} bars right after the "
           "members' training data (forecasts they never trained on); the calibration errors and the reliability "
           "diagram are measured on the last third. Close to the diagonal means P(up) means what it says.")
