"""The Explain page: SHAP of a trained model, by feature and group, the waterfall, LIME on demand."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.data import load_candles
from core.models.store import Key
from core.models.training import train_models
from tests.pages import open_page


def _page() -> AppTest:
    return open_page("views/Explain.py")


def test_empty_state_without_a_trained_model() -> None:
    at = _page()
    assert "No trained model for BTC/USDT 1h to explain yet" in at.info[0].value


def test_shap_charts_and_lime_for_a_trained_booster() -> None:
    candles = load_candles("BTC/USDT", "1h").iloc[-3_000:]
    train_models(candles, Key("BTC/USDT", "1h", 1), ["lightgbm"], source="bundled",
                 overrides={"lightgbm": {"n_estimators": 30}})
    at = _page()
    assert at.selectbox(key="explain_model").value == "lightgbm"
    assert len(at.get("plotly_chart")) == 2  # global importance and the waterfall of the latest forecast
    assert "tree explainer" in at.caption[0].value
    assert "additivity gap" in " ".join(c.value for c in at.caption)
    at.radio(key="explain_by").set_value("feature group").run()
    assert not at.exception, at.exception
    at.button(key="explain_lime").click().run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 3
    assert "weighted R²" in " ".join(c.value for c in at.caption)
