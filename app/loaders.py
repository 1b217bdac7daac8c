"""Cached bridges from the pages to `core.data`: one parse per input, shared by every rerun."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from core.data import available, load_candles, load_candles_file, quality_report


@st.cache_data(ttl=3600, max_entries=64, show_spinner="Loading candles…")
def candles(symbol: str, timeframe: str, source: str = "bundled") -> pd.DataFrame:
    return load_candles(symbol, timeframe, source=source)


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def live(exchange: str, symbol: str, timeframe: str, start: str) -> pd.DataFrame:
    """Exchange candles; the short TTL lets new bars in while the disk cache avoids refetching."""
    return load_candles(symbol, timeframe, start=start, source=f"ccxt:{exchange}")


@st.cache_data(ttl=600, show_spinner=False)
def catalog() -> pd.DataFrame:
    return available()


@st.cache_data(max_entries=16, show_spinner="Reading the file…")
def uploaded(content: bytes, name: str) -> pd.DataFrame:
    buffer = io.BytesIO(content)
    buffer.name = name
    return load_candles_file(buffer)


@st.cache_data(max_entries=64, show_spinner=False)
def quality(frame: pd.DataFrame, timeframe: str | None) -> dict:
    return quality_report(frame, timeframe).to_dict()
