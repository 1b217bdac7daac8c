"""Opening a dashboard page in Streamlit's AppTest, shared by the page tests."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

HOME = str(Path(__file__).resolve().parents[1] / "app" / "Home.py")


def open_page(page: str, timeout: float = 180) -> AppTest:
    """Run Home, switch to ``page`` (e.g. "views/Ensemble.py") and fail on any exception it shows."""
    at = AppTest.from_file(HOME, default_timeout=timeout)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def frame_figures(at: AppTest) -> list[dict]:
    """The Plotly figures a page drew in chart frames (app/chart_frame.py), as dicts, in page order."""
    return [json.loads(json.loads(e.proto.json_args)["figure"]) for e in at.get("component_instance")]
