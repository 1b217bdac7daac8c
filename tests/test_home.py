"""The Forecast page on a fresh clone: it trains the fast models, shows a real signal and its record."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages import frame_figures

HOME = str(Path(__file__).resolve().parents[1] / "app" / "Home.py")
CARD = ("Signal", "Confidence", "Price target", "Stop-loss", "Take-profit", "Risk score", "Model agreement")


@pytest.mark.slow
def test_first_visit_trains_shows_the_signal_and_then_its_walk_forward_record(monkeypatch) -> None:
    monkeypatch.setenv("LYDIAN_FIRST_VISIT_TRAINING", "1")
    at = AppTest.from_file(HOME, default_timeout=600)
    at.run()
    assert not at.exception, at.exception
    labels = {m.label: m.value for m in at.metric}
    assert all(label in labels for label in CARD), labels
    assert labels["Signal"] in ("BUY", "SELL", "HOLD")
    assert 0 <= float(labels["Risk score"].split("/")[0]) <= 100
    candles, members = frame_figures(at)  # candles with the levels, and each model's P(up)
    assert candles["data"][0]["type"] == "candlestick" and candles["layout"]["title"]["text"] == "BTC/USDT · 1h"
    assert {"target", "stop-loss", "take-profit"} & {t.get("name") for t in candles["data"]}
    bars = members["data"][0]
    assert sorted(bars["y"]) == ["catboost", "lightgbm", "xgboost"] and bars["x"] == sorted(bars["x"])  # sorted by P(up)
    assert "no walk-forward record" in at.warning[0].value  # an untested signal says so
    at.button(key="evaluate").click().run()
    assert not at.exception, at.exception
    record = " ".join(m.value for m in at.markdown)
    assert "Walk-forward record" in record and "95% CI" in record and "best baseline" in record
    at.selectbox(key="ensemble_method").set_value("stacking").run()  # another configuration...
    assert not at.exception, at.exception
    assert "Walk-forward record" not in " ".join(m.value for m in at.markdown)  # ...has not that record
    assert "no walk-forward record" in at.warning[0].value and "stacking" in at.warning[0].value
    at.selectbox(key="ensemble_method").set_value("weighted").run()  # back: the record follows the configuration
    assert "Walk-forward record" in " ".join(m.value for m in at.markdown)


def test_a_market_without_models_offers_training_instead_of_failing() -> None:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.run()
    at.sidebar.selectbox(key="symbol").set_value("ETH/USDT").run()
    assert not at.exception, at.exception
    assert "No trained ensemble of xgboost, lightgbm, catboost for ETH/USDT 1h" in at.info[0].value
    assert at.button(key="train_fast") is not None
    assert not [m for m in at.metric if m.label == "Signal"]
