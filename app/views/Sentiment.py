"""Sentiment page: a point-in-time news/social sentiment index over price, the texts behind a bar, the ablation."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import loaders
import sidebar
from core.errors import LydianError
from core.text import market, scorers

selection = sidebar.market()


@st.cache_data(show_spinner="Scoring texts and walking forward…", max_entries=8)
def _report(symbol: str, timeframe: str, source: str, days: int, latency: float, scorer: str) -> dict:
    return market.report(loaders.candles(symbol, timeframe), timeframe, source=source, days=days,
                         latency_minutes=latency, scorer=scorer)


ready = [row.name for row in scorers.status() if row.ready]
cols = st.columns(4)
source = cols[0].selectbox("Texts", market.CORPORA, key="sentiment_source",
                           help="news: CoinTelegraph/CryptoNews/CryptoPotato 2021-10..2022-07 (bundled); "
                           "reddit: r/Bitcoin, r/CryptoCurrency, r/CryptoMarkets 2017-06..2022-09 (../shared)")
scorer = cols[1].selectbox("Scorer", ready, key="sentiment_scorer")
days = cols[2].number_input("Days", 14, 400, 120, step=7, key="sentiment_days",
                            help="the last this-many days the texts cover")
latency = cols[3].number_input("Latency (minutes)", 0, 1440, 0, step=5, key="sentiment_latency",
                               help="a text counts for a bar only if published this long before the bar's close")
with st.expander("Scorers: which are ready and why not"):
    st.dataframe(pd.DataFrame([vars(row) for row in scorers.status()]), hide_index=True)

try:
    result = _report(selection.symbol, selection.timeframe, source, int(days), float(latency), scorer)
except LydianError as exc:
    st.error(str(exc))
    st.stop()

features, close = result["features"], result["close"]
figure = make_subplots(specs=[[{"secondary_y": True}]])
figure.add_trace(go.Scatter(x=close.index, y=close, name="close", line={"color": "#888"}), secondary_y=False)
smooth = features["sent_mean"].where(features["sent_count"] > 0).rolling(24, min_periods=1).mean()
figure.add_trace(go.Scatter(x=features.index, y=smooth, name="sentiment (24-bar mean)"), secondary_y=True)
figure.add_trace(go.Scatter(x=features.index, y=features["fear_greed"] / 50 - 1, name="Fear & Greed (scaled)",
                            line={"dash": "dot"}), secondary_y=True)
figure.update_layout(height=420, margin={"t": 30}, legend={"orientation": "h"})
st.plotly_chart(figure, key="sentiment_chart")
st.caption(f"{len(result['texts']):,} texts scored with {scorer}; each bar reads only texts published before its "
           f"close minus {latency:g} min; Fear & Greed counts from the day after its date.")

busy = features.index[features["sent_count"] > 0]
if len(busy):
    bar = st.select_slider("Texts behind the bar opening at", options=list(busy), value=busy[-1], key="sentiment_bar")
    st.dataframe(market.texts_behind(result, bar), hide_index=True)

st.subheader("Ablation: the same walk-forward folds with and without the sentiment group")
ablation = result["ablation"]
st.dataframe(pd.DataFrame([{"variant": name, **ablation[name]} for name in ("without", "with")]), hide_index=True)
st.caption(f"Ridge on lagged returns, next-bar log return, refit every {ablation['folds_refit_every']} bars; "
           "IC = Spearman rank correlation with a 95 % interval; hit rate with a Wilson interval.")
st.dataframe(pd.DataFrame(ablation["columns"]).T.rename_axis("column").reset_index(), hide_index=True)
