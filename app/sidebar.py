"""The sidebar market every page shares, drawn once per run by the router (app/Home.py).

Its widgets (symbol, timeframe, bar count) are drawn by the router on every run, before
the page, so they keep their values from page to page; a page reads the choice with `market()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import loaders
from core.data import TIMEFRAMES

DEFAULT_SYMBOL, DEFAULT_TIMEFRAME = "BTC/USDT", "1h"
_MARKET = "market"  # session-state key of this run's Selection


@dataclass(frozen=True)
class Selection:
    symbol: str
    timeframe: str
    bars: int


@st.cache_resource(show_spinner=False)
def device() -> str:
    """CUDA, then Apple MPS, else CPU (``LYDIAN_DEVICE`` or ``--device`` elsewhere overrides)."""
    from core.models.device import pick_device

    return str(pick_device(None))


def draw() -> Selection | None:
    """Draw the sidebar and keep what the user picked for the page (None when no data exists at all)."""
    st.session_state[_MARKET] = chosen = _draw()
    return chosen


def market() -> Selection | None:
    """The market chosen in the sidebar on this run (None when no data exists; the router stops such pages)."""
    return st.session_state.get(_MARKET)


def _draw() -> Selection | None:
    table = loaders.catalog()
    bundled = table[table["source"] == "bundled"]
    st.sidebar.header("Market")
    if bundled.empty:
        st.sidebar.warning("No bundled candles found in data/.")
        return None
    symbols = sorted(bundled["symbol"].unique())
    symbol = st.sidebar.selectbox(
        "Symbol", symbols, index=symbols.index(DEFAULT_SYMBOL) if DEFAULT_SYMBOL in symbols else 0, key="symbol"
    )
    timeframes = [tf for tf in TIMEFRAMES if tf in set(bundled.loc[bundled["symbol"] == symbol, "timeframe"])]
    timeframe = st.sidebar.selectbox(
        "Timeframe",
        timeframes,
        index=timeframes.index(DEFAULT_TIMEFRAME) if DEFAULT_TIMEFRAME in timeframes else 0,
        key="timeframe",
        help="Coarser bars are resampled from the finest stored series that covers the longest history.",
    )
    bars = st.sidebar.slider("Bars on charts", 50, 2000, 300, step=50, key="bars")
    row = bundled[(bundled["symbol"] == symbol) & (bundled["timeframe"] == timeframe)].iloc[0]
    st.sidebar.caption(
        f"Bundled {row['exchange']} data, built from {row['built_from']} bars, "
        f"{row['start']:%Y-%m-%d} to {row['end']:%Y-%m-%d}. Models run on: {device()}."
    )
    return Selection(symbol, timeframe, bars)
