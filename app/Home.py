"""Home / Forecast page, and the app's entry point (`streamlit run app/Home.py`).

Shows the market on a candlestick chart; the ensemble signal lands here with the model zoo.
Other pages live in ``app/pages/`` (Streamlit's multipage directory).
"""

from __future__ import annotations

import streamlit as st

import charts
import loaders
import sidebar
from core.errors import LydianError

sidebar.page_config()
selection = sidebar.selection()
st.title("Forecast")
if selection is None:
    st.info("No candles to show yet: put parquet files in data/ (see data/SOURCES.md) or upload one on the Data page.")
    st.stop()

try:
    frame = loaders.candles(selection.symbol, selection.timeframe)
except LydianError as exc:
    st.error(str(exc))
    st.stop()

recent = frame.tail(selection.bars)
last, first = recent["close"].iloc[-1], recent["close"].iloc[0]
cols = st.columns(4)
cols[0].metric("Last close", charts.price_text(last), f"{last / first - 1:+.2%} over {len(recent)} bars")
cols[1].metric("High (window)", charts.price_text(recent["high"].max()))
cols[2].metric("Low (window)", charts.price_text(recent["low"].min()))
cols[3].metric("Last candle (UTC)", f"{recent.index[-1]:%d %b %Y %H:%M}")

st.plotly_chart(
    charts.candlestick(recent, f"{selection.symbol} · {selection.timeframe}"),
    key="candles",
    width="stretch",
)
st.info(
    "No trained model yet: forecasts, the ensemble signal and its walk-forward accuracy beside naive "
    "baselines will appear here once models are trained. Until then this page shows real bundled candles."
)
