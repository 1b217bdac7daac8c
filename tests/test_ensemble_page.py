"""The Ensemble page: weights, contributions and calibration of trained members; user weights recompute it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core import ensemble_configs, service
from core.data import load_candles
from core.ensemble import METHOD_DESCRIPTIONS
from core.models.store import Key
from tests.pages import open_page


def _page() -> AppTest:
    return open_page("views/Ensemble.py")


def test_empty_state_without_members() -> None:
    assert "No trained ensemble of xgboost, lightgbm, catboost for BTC/USDT 1h at horizon 1" in _page().info[0].value


def test_weights_calibration_and_user_weights() -> None:
    candles = load_candles("BTC/USDT", "1h").iloc[-4_000:]
    key = Key("BTC/USDT", "1h", 1)
    ensemble_configs.save(key.symbol, key.timeframe, key.horizon, {"members": ["lightgbm", "xgboost"]}, "test")
    service.train(candles, key, ["ensemble"], source="bundled")  # the market's stored configuration
    at = _page()
    labels = {m.label: m.value for m in at.metric}
    assert {"Ensemble P(up)", "Signal", "Calibration error before", "Calibration error after"} <= set(labels)
    assert len(at.get("plotly_chart")) == 3
    learnt = at.metric[0].delta  # "raw 0.xxx": the combination before calibration
    at.toggle(key="ensemble_manual").set_value(True).run()
    at.number_input(key="weight_xgboost").set_value(0.0).run()
    assert not at.exception, at.exception
    only_lightgbm = at.metric[0].delta
    assert only_lightgbm != learnt  # the user's weights recompute the forecast
    at.number_input(key="weight_lightgbm").set_value(0.0).run()
    assert "At least one weight must be above zero." in at.error[0].value
    at.number_input(key="weight_lightgbm").set_value(1.0).run()
    at.selectbox(key="ensemble_page_method").set_value("stacking").run()
    assert not at.exception, at.exception


def test_captions_describe_the_method_chosen_not_the_default_one() -> None:
    candles = load_candles("BTC/USDT", "1h").iloc[-4_000:]
    key = Key("BTC/USDT", "1h", 1)
    ensemble_configs.save(key.symbol, key.timeframe, key.horizon,
                          {"members": ["lightgbm", "xgboost"], "method": "stacking"}, "test")
    service.train(candles, key, ["ensemble"], source="bundled")
    forecast = open_page("views/Forecast.py")
    captions = [c.value for c in forecast.caption]
    assert any(f"stacking ensemble ({METHOD_DESCRIPTIONS['stacking']})" in c for c in captions), captions
    assert not any(METHOD_DESCRIPTIONS["weighted"] in c or "log-loss skill" in c for c in captions), captions
    ensemble = _page()
    assert ensemble.selectbox(key="ensemble_page_method").value == "stacking"
    assert f"stacking: {METHOD_DESCRIPTIONS['stacking']}" in [c.value for c in ensemble.caption]
    ensemble.selectbox(key="ensemble_page_method").set_value("bma").run()
    assert not ensemble.exception, ensemble.exception
    assert f"bma: {METHOD_DESCRIPTIONS['bma']}" in [c.value for c in ensemble.caption]
