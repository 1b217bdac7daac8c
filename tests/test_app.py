"""Dashboard pages render real bundled candles without exceptions (Streamlit AppTest, no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import loaders  # app/, on sys.path through conftest.py, as Streamlit imports it
from tests.pages import frame_figures

APP = Path(__file__).resolve().parents[1] / "app"
HOME = str(APP / "Home.py")


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_home_shows_the_default_market(app: AppTest) -> None:
    assert app.title[0].value == "Forecast"
    assert app.sidebar.selectbox(key="symbol").value == "BTC/USDT"
    assert app.sidebar.selectbox(key="timeframe").value == "1h"
    figures = frame_figures(app)
    assert [f["data"][0]["type"] for f in figures] == ["candlestick"], "the candlestick chart is missing"
    assert len(figures[0]["data"][0]["x"]) == app.sidebar.slider(key="bars").value
    labels = [m.label for m in app.metric]
    assert "Last close" in labels
    assert "Models run on: " in " ".join(c.value for c in app.sidebar.caption)  # cpu here; cuda or mps elsewhere
    assert "No trained ensemble of xgboost, lightgbm, catboost for BTC/USDT 1h at horizon 1 yet" in app.info[0].value


def test_changing_symbol_and_timeframe_redraws(app: AppTest) -> None:
    app.sidebar.selectbox(key="symbol").set_value("ETH/USDT").run()
    app.sidebar.selectbox(key="timeframe").set_value("1d").run()
    assert not app.exception
    assert app.metric[3].value == "00:00 UTC"  # daily candles open at midnight


def test_data_page_shows_quality_report(app: AppTest) -> None:
    app.switch_page("views/Data.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Data"
    labels = {m.label: m.value for m in app.metric}
    assert labels["Rows"] == "61,596"
    assert labels["Gaps"] == "28"
    assert app.get("plotly_chart"), "gap timeline missing"


def test_data_page_upload_empty_state(app: AppTest) -> None:
    app.switch_page("views/Data.py").run()
    app.radio(key="data_source").set_value("Upload a file").run()
    assert not app.exception
    assert "Drop a candle file here" in app.info[0].value


def test_sidebar_choice_follows_the_user_to_another_page(app: AppTest) -> None:
    app.sidebar.selectbox(key="symbol").set_value("SOL/USDT").run()
    app.switch_page("views/Data.py").run()
    assert not app.exception
    assert app.sidebar.selectbox(key="symbol").value == "SOL/USDT"
    assert app.subheader[0].value == "SOL/USDT · 1h"


def test_every_page_is_routed_and_without_candles_only_data_goes_on(monkeypatch, tmp_path: Path) -> None:
    """Each file in app/views/ is a page of the router, titled by its name; with no candles the shared set-up
    stops every page but Data with one message (AppTest refuses to switch to a file the router did not register)."""
    assert not (APP / "pages").exists(), "a pages/ folder beside Home.py turns st.navigation off: use app/views/"
    monkeypatch.setenv("LYDIAN_DATA_DIR", str(tmp_path))
    loaders.catalog.clear()  # the listing is cached for every session of the process: this one has no candles
    try:
        at = AppTest.from_file(HOME, default_timeout=60)
        at.run()
        for view in sorted((APP / "views").glob("*.py")):
            at.switch_page(f"views/{view.name}").run()
            assert not at.exception, (view.name, at.exception)
            assert at.title[0].value == view.stem
            stopped = any(i.value.startswith("No candles yet") for i in at.info)
            assert stopped == (view.stem != "Data"), view.name
    finally:
        loaders.catalog.clear()
