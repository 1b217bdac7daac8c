"""Plotly figures drawn by Plotly's finance bundle in a component frame, for the first page a user opens.

`st.plotly_chart` loads the full plotly.js (4.7 MB) as an ES module, which the browser compiles
again on every visit: about a second of busy main thread before the first chart, even from cache.
Here Plotly's finance bundle (1.3 MB: candlestick, bar, scatter and the rest these figures use) is
a classic script from the app's static files (static/), whose compiled code the browser keeps
between visits. The frame speaks Streamlit's component protocol directly (frontend/chart/main.js),
so there is no build step. Figures arrive as JSON, which the pages cache with the data they show.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import streamlit.components.v1 as components

_frame = components.declare_component("lydian_chart", path=str(Path(__file__).parent / "frontend" / "chart"))


def figure_json(fig: go.Figure) -> str:
    """``fig`` in the app's dark theme, as the JSON the frame draws."""
    fig.update_layout(template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    return fig.to_json()


def chart(figure: str, key: str) -> None:
    """Draw a `figure_json` full width; the figure's layout height sets the frame's."""
    _frame(figure=figure, key=key, default=None)
