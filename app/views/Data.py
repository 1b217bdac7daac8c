"""Data page: choose a source (bundled, live exchange, file upload), see its quality report and a preview."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import charts
import loaders
import sidebar
from core.data import TIMEFRAMES
from core.errors import LydianError

selection = sidebar.market()
source = st.radio(
    "Source", ["Bundled", "Exchange (ccxt)", "Upload a file"], horizontal=True, key="data_source"
)


def _show(frame: pd.DataFrame, timeframe: str | None) -> None:
    """Quality report, gap timeline and preview of one loaded series."""
    report = loaders.quality(frame, timeframe)
    cols = st.columns(6)
    cols[0].metric("Rows", f"{report['rows']:,}")
    cols[1].metric("Timeframe", report["timeframe"] or "unknown")
    cols[2].metric("Coverage", f"{report['coverage']:.2%}")
    cols[3].metric("Gaps", f"{len(report['gaps'])}")
    cols[4].metric("Missing bars", f"{report['missing_bars']:,}")
    cols[5].metric("Outliers", f"{len(report['outliers'])}")
    if report["rows"]:
        st.caption(f"{frame.index[0]:%Y-%m-%d %H:%M} → {frame.index[-1]:%Y-%m-%d %H:%M} UTC (candle open times)")
    st.subheader("Gaps on the timeline")
    if report["gaps"]:
        st.plotly_chart(charts.gap_timeline(frame, report["gaps"]), key="gaps", width="stretch")
        st.dataframe(pd.DataFrame(report["gaps"]), hide_index=True, key="gap_table")
    else:
        st.success("No holes in the time grid.")
    if report["outliers"]:
        with st.expander(f"{len(report['outliers'])} outlier bars (robust z-score of log returns)"):
            st.dataframe(pd.DataFrame(report["outliers"]), hide_index=True)
    st.subheader("Preview")
    st.dataframe(pd.concat([frame.head(5), frame.tail(5)]), key="preview")


if source == "Bundled":
    st.dataframe(loaders.catalog(), hide_index=True, key="catalog")
    if selection is not None:
        st.subheader(f"{selection.symbol} · {selection.timeframe}")
        _show(loaders.candles(selection.symbol, selection.timeframe), selection.timeframe)

elif source == "Exchange (ccxt)":
    st.caption("Fetches candles through ccxt and keeps them in a local cache, so a range is never fetched twice.")
    cols = st.columns(4)
    exchange = cols[0].text_input("Exchange id", "binance", key="ccxt_exchange")
    symbol = cols[1].text_input("Symbol", selection.symbol if selection else sidebar.DEFAULT_SYMBOL, key="ccxt_symbol")
    timeframes = list(TIMEFRAMES)
    timeframe = cols[2].selectbox("Timeframe", timeframes, index=timeframes.index(sidebar.DEFAULT_TIMEFRAME),
                                  key="ccxt_timeframe")
    start = cols[3].date_input("From", pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=30), key="ccxt_start")
    if st.button("Fetch", key="ccxt_fetch", type="primary"):
        try:
            with st.spinner(f"Fetching {symbol} {timeframe} from {exchange}…"):
                frame = loaders.live(exchange, symbol, timeframe, str(start))
        except LydianError as exc:
            st.error(f"Could not fetch: {exc}")
        else:
            _show(frame, timeframe)

else:
    upload = st.file_uploader(
        "CSV or parquet with timestamp/date, open, high, low, close, volume",
        type=["csv", "txt", "parquet"],
        key="upload",
    )
    if upload is None:
        st.info(
            "Drop a candle file here. Accepted: epoch seconds or milliseconds, ISO dates, Binance klines "
            "without a header, or Date,Open,High,Low,Close,Volume. Nothing is saved until the file is valid."
        )
    else:
        try:
            frame = loaders.uploaded(upload.getvalue(), upload.name)
        except LydianError as exc:
            st.error(f"**{upload.name} was not imported.** {exc}")
        else:
            for warning in frame.attrs.get("warnings", []):
                st.warning(warning)
            _show(frame, frame.attrs.get("timeframe"))
