"""What every page shares: page config and the sidebar (symbol, timeframe, bar count).

Streamlit forgets a widget's value when the page that drew it is left; re-assigning the keys at
the top of each page carries the user's choice from page to page.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import loaders
from core.data import TIMEFRAMES

DEFAULT_SYMBOL, DEFAULT_TIMEFRAME = "BTC/USDT", "1h"
_SHARED_KEYS = ("symbol", "timeframe", "bars")


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


def page_config() -> None:
    st.set_page_config(page_title="Lydian", page_icon="📈", layout="wide")


def selection() -> Selection | None:
    """Draw the sidebar and return what the user picked (None when no data exists at all)."""
    for key in _SHARED_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
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
