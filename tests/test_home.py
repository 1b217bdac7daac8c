"""The Forecast page on a fresh clone: it trains the fast models, shows a real signal and its record,
and the CLI and the API then give that same signal and record for the same market and configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from streamlit.testing.v1 import AppTest

from core import service
from core.api.app import create_app
from core.api.settings import ApiSettings
from core.cli import main
from core.data import load_candles
from core.ensemble.signal import SignalSettings
from core.models.store import Key
from tests.pages import frame_figures

import charts  # the app's own formatting, so the comparison is of values, not of styles

HOME = str(Path(__file__).resolve().parents[1] / "app" / "Home.py")
CARD = ("Signal", "Confidence", "Price target", "Stop-loss", "Take-profit", "Risk score", "Model agreement")


@pytest.mark.slow
def test_first_visit_trains_shows_the_signal_and_its_record_and_the_cli_and_api_agree(monkeypatch, capsys) -> None:
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
    _cli_and_api_agree_with_the_page(at, capsys)
    _garch_stops_follow_the_choice(at)


def _garch_stops_follow_the_choice(at: AppTest) -> None:
    """'Stops from' switches the stop distances to GARCH's next-bar volatility, as `lydian predict --volatility garch`."""
    at.slider(key="min_confidence").set_value(0.0).run()  # never HOLD, so there are levels to compare
    atr_stop = _metric(at, "Stop-loss")
    at.selectbox(key="volatility").set_value("garch").run()
    assert not at.exception, at.exception
    key = Key("BTC/USDT", "1h", 1)
    expected = service.signal(load_candles("BTC/USDT", "1h"), key, service.ensemble_config(key, min_confidence=0.0),
                              SignalSettings(volatility="garch"))
    assert expected.action == _metric(at, "Signal") != "HOLD"
    assert _metric(at, "Stop-loss") == charts.price_text(expected.stop_loss) != atr_stop


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _cli_and_api_agree_with_the_page(at: AppTest, capsys: pytest.CaptureFixture) -> None:
    """One market, one configuration, three faces: the same signal, forecast and walk-forward record."""
    page = {m.label: m for m in at.metric}
    record = " ".join(m.value for m in at.markdown if "Walk-forward record" in m.value)
    capsys.readouterr()
    assert main(["predict", "--symbol", "BTC/USDT", "--timeframe", "1h", "--model", "ensemble", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    with TestClient(create_app(ApiSettings.from_env())) as client:
        answer = client.post("/predict/single", json={"symbol": "BTC/USDT", "timeframe": "1h", "model": "ensemble"})
    assert answer.status_code == 200, answer.text
    api = answer.json()["signal"]
    for signal in (cli, api):
        assert signal["action"] == page["Signal"].value and f"P(up) {signal['probability']:.3f}" == page["Signal"].delta
        assert f"{signal['confidence']:.2f}" == page["Confidence"].value
        assert f"{signal['risk_score']:.0f}/100" == page["Risk score"].value
        assert f"{signal['expected_return']:+.3%}" == page["Price target"].delta
        evaluation = signal["evaluation"]
        assert evaluation is not None and f"**{evaluation['accuracy']:.1%}**" in record
        assert f"({evaluation['n']:,} out-of-sample forecasts" in record
    assert cli == api  # every field, members and their weights included


def test_a_market_without_models_offers_training_instead_of_failing() -> None:
    at = AppTest.from_file(HOME, default_timeout=60)
    at.run()
    at.sidebar.selectbox(key="symbol").set_value("ETH/USDT").run()
    assert not at.exception, at.exception
    assert "No trained ensemble of xgboost, lightgbm, catboost for ETH/USDT 1h" in at.info[0].value
    assert at.button(key="train_fast") is not None
    assert not [m for m in at.metric if m.label == "Signal"]
