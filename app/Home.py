"""The dashboard's entry point (`streamlit run app/Home.py`): the router and the set-up every page shares.

`st.navigation` picks the page from the URL (the Forecast page at the root, the others at
``/Data``, ``/Models``...). Before the page runs, this file sets the page config, draws the sidebar
market (here, so its widgets keep their values on every page) and the page's title, and stops a
page that needs candles with one message when there are none. The pages in ``app/views/`` draw
only their own content and read the market with ``sidebar.market()``.
"""

from __future__ import annotations

import streamlit as st

import sidebar

PAGES = ("Forecast", "Data", "Models", "Compare", "Patterns", "Train", "Explain", "Ensemble", "Strategy", "Regimes",
         "Quantum", "Sentiment", "Agents")  # views/<name>.py
WITHOUT_CANDLES = {"Data"}  # pages that work before any candles exist (the Data page imports them)

st.set_page_config(page_title="Lydian", page_icon="📈", layout="wide")
page = st.navigation([st.Page(f"views/{name}.py", default=name == PAGES[0]) for name in PAGES])
market = sidebar.draw()
st.title(page.title)
if market is None and page.title not in WITHOUT_CANDLES:
    st.info("No candles yet: put parquet files in data/ (see data/SOURCES.md).")
    st.stop()
page.run()
