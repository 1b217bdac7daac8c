"""Forecast page, the dashboard's front page: the ensemble signal beside its honest walk-forward record.

The candles with the target, stop-loss, take-profit and confirmed chart patterns drawn on them;
every member's P(up). On a fresh clone the fast models are trained on the default market's recent
bars on first visit, with a progress bar.
"""

from __future__ import annotations

import streamlit as st

import charts
from chart_frame import chart
import forecast
import loaders
import sidebar
from progress_bars import ProgressBars
from core.ensemble import CALIBRATIONS, METHOD_DESCRIPTIONS, METHODS
from core.ensemble.signal import VOLATILITIES, VOLATILITY_NAMES
from core.errors import LydianError
from core.models.store import Key

selection = sidebar.market()
try:
    frame = loaders.candles(selection.symbol, selection.timeframe)
except LydianError as exc:
    st.error(str(exc))
    st.stop()

shown = frame.tail(selection.bars)
last, first = shown["close"].iloc[-1], shown["close"].iloc[0]
market = st.columns(4)
market[0].metric("Last close", charts.price_text(last), f"{last / first - 1:+.2%} over {len(shown)} bars")
market[1].metric("High (window)", charts.price_text(shown["high"].max()))
market[2].metric("Low (window)", charts.price_text(shown["low"].min()))
market[3].metric(f"Last candle, {shown.index[-1]:%d %b %Y}", f"{shown.index[-1]:%H:%M} UTC")

controls = st.columns([1, 1, 1, 1, 2])
horizon = controls[0].selectbox("Horizon (bars)", forecast.HORIZONS, key="horizon")
key = Key(selection.symbol, selection.timeframe, int(horizon))
stored = forecast.stored_market_config(key)
method = controls[1].selectbox("Ensemble", METHODS, index=METHODS.index(stored.method), key="ensemble_method")
calibration = controls[2].selectbox("Calibration", CALIBRATIONS, index=CALIBRATIONS.index(stored.calibration),
                                    key="calibration")
volatility = controls[3].selectbox(
    "Stops from", VOLATILITIES, index=VOLATILITIES.index(forecast.stored_volatility(key)), key="volatility",
    format_func=VOLATILITY_NAMES.get,
    help="The unit of the stop-loss and take-profit distances and of the risk score's volatility: ATR(14), or "
         "GARCH(1,1)'s forecast of the next bar's volatility from returns up to the last candle.")
min_confidence = controls[4].slider("HOLD below confidence", 0.0, 0.5, stored.min_confidence, 0.02,
                                    key="min_confidence")
config = forecast.ensemble_config(key, method, calibration, min_confidence)

version = forecast.trained_version(key, config)
default_market = (sidebar.DEFAULT_SYMBOL, sidebar.DEFAULT_TIMEFRAME, forecast.HORIZONS[0])
first_visit = (selection.symbol, selection.timeframe, horizon) == default_market and forecast.first_visit_training()
members = ", ".join(config.members)
if version is None and (first_visit and not st.session_state.get("first_training_done")
                        or st.button(f"Train the ensemble of {members} (about a minute)", key="train_fast")):
    bars = ProgressBars(1, f"Training the ensemble of {members} on the recent bars")
    try:
        forecast.train_fast(frame, key, config, bars)
    except LydianError as exc:
        st.error(str(exc))
        st.stop()
    st.session_state["first_training_done"] = True
    bars.done(f"Trained the ensemble of {members}")
    version = forecast.trained_version(key, config)

signal = None
if version is not None:
    try:
        signal = forecast.signal(frame, key, version, str(frame.index[-1]), config.digest(), config, volatility)
    except LydianError as exc:
        st.error(f"No signal for this market: {exc}")
else:
    st.info(f"No trained ensemble of {members} for {selection.symbol} {selection.timeframe} at horizon {horizon} yet: "
            "press the button above, use the Train page, or run `lydian train --models ensemble` (see the README).")

if signal:
    st.subheader(f"{signal['action']} · next {signal['time_horizon']} after the candle of {signal['candle_time'][:16]}")
    card = [*st.columns(4), *st.columns(4)]  # two rows of four, so a price of any size shows whole
    card[0].metric("Signal", signal["action"], f"P(up) {signal['probability']:.3f}", delta_color="off")
    card[1].metric("Price target", charts.price_text(signal["price_target"]), f"{signal['expected_return']:+.3%}")
    card[2].metric("Stop-loss", charts.price_text(signal["stop_loss"]) if signal["stop_loss"] else "—")
    card[3].metric("Take-profit", charts.price_text(signal["take_profit"]) if signal["take_profit"] else "—")
    card[4].metric("Confidence", f"{signal['confidence']:.2f}")
    card[5].metric("Risk score", f"{signal['risk_score']:.0f}/100")
    card[6].metric("Model agreement", f"{signal['model_agreement']:.0f}%")
    evaluation = signal["evaluation"]
    if evaluation:
        st.markdown(
            f"**Walk-forward record** ({evaluation['n']:,} out-of-sample forecasts, {evaluation['test_first'][:10]} to "
            f"{evaluation['test_last'][:10]}): accuracy **{evaluation['accuracy']:.1%}** (95% CI "
            f"{evaluation['accuracy_ci_low']:.1%}-{evaluation['accuracy_ci_high']:.1%}), edge "
            f"**{evaluation['edge']:+.1%}** over the best baseline ({evaluation['baseline']}): *{evaluation['verdict']}*."
        )
        st.caption(evaluation["verdict_text"])
    else:
        st.warning(f"This ensemble ({config.method}, {config.calibration} calibration, {members}) has no "
                   "walk-forward record on this market yet, so its accuracy is unknown: treat the signal as untested. "
                   "Evaluate it to see its out-of-sample accuracy beside naive baselines.")
        if st.button("Evaluate now (walk-forward on the recent bars)", key="evaluate"):
            bars = ProgressBars(len(forecast.evaluated_models(config)), "Walking the ensemble forward")
            try:
                forecast.evaluate(frame, key, config, bars)
            except LydianError as exc:
                st.error(str(exc))
            else:
                st.rerun()

patterns = forecast.recent_patterns(frame, selection.symbol, selection.timeframe, str(frame.index[-1]),
                                    selection.bars)
title = f"{selection.symbol} · {selection.timeframe}"
fans = forecast.fan_models(key)  # trained models with intervals of their own
fan_model = st.selectbox("Fan chart of", ["none", *fans], index=1, key="fan_model",
                         help="The model's 80% and 95% intervals of the price at the horizon") if fans else "none"
fan = forecast.fan(frame, key, fan_model, str(frame.index[-1])) if fan_model != "none" else None
chart(forecast.signal_figure(shown, title, str(shown.index[-1]), len(shown), signal, patterns, fan), "candles")
if signal:
    st.subheader("Each model's P(up)")
    chart(forecast.member_figure(signal), "members")
    st.caption(f"{signal['method']} ensemble ({METHOD_DESCRIPTIONS[signal['method']]}), {signal['calibration']} "
               "calibration. Probabilities above 0.5 lean up; see the Compare page for the full record.")
