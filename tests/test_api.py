"""The REST API through HTTP (FastAPI's TestClient) with real boosters trained on real BTC/USDT candles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core import ensemble_configs, forecasters
from core.api.app import create_app
from core.api.auth import issue
from core.db import AuditEntry, Database
from core.api.settings import ApiSettings
from core.data import load_candles
from core.models.inference import predict_latest
from core.models.store import Key, ModelStore
from core.models.training import train_models

SECRET = "test-secret-for-the-api-suite-0123456789"
KEY = Key("BTC/USDT", "1h", 1)
QUICK = {"n_estimators": 30, "early_stopping_rounds": 30}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small boosters on ~4,400 recent bars: enough for a real ensemble, quick to fit."""
    root = tmp_path_factory.mktemp("api_artifacts")
    candles = load_candles("BTC/USDT", "1h", start="2024-03-01")
    ensemble = {"members": ("lightgbm", "xgboost"), "member_overrides": {"lightgbm": QUICK, "xgboost": QUICK}}
    train_models(candles, KEY, ["lightgbm", "xgboost", "ensemble"], source="bundled", store=ModelStore(root),
                 overrides={"lightgbm": QUICK, "xgboost": QUICK, "ensemble": ensemble})
    return root


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'api.db'}"


MEMBERS = ["lightgbm", "xgboost"]


def configure_members(db_url: str) -> None:
    """The market's configuration names the two members the fixture trained (the default is three boosters)."""
    ensemble_configs.save(KEY.symbol, KEY.timeframe, KEY.horizon, {"members": MEMBERS}, "fixture", Database(db_url))


@pytest.fixture
def client(trained: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LYDIAN_ARTIFACTS", str(trained))
    configure_members(db_url)
    with TestClient(create_app(ApiSettings(database_url=db_url, jwt_secret=SECRET, rate_limit=0))) as test_client:
        yield test_client


def auth(user: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(user, SECRET)}"}


def test_health_and_model_list(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["database"] == "sqlite" and health["device"] == "cpu"
    models = {m["id"]: m for m in client.get("/api/ai/models/list").json()}
    assert set(models) == set(forecasters.registry()) and models["lightgbm"]["trained_markets"] == 1 and models["gru_standard"]["parameters"] > 0
    assert not models["neuralprophet"]["available"] and "numpy 2" in models["neuralprophet"]["unavailable_reason"]


def test_curl_style_request_works_as_written(client: TestClient) -> None:
    """curl -d sends JSON labelled as a form; the symbol has no quote currency and no timeframe is given."""
    body = '{"symbol": "BTC", "model": "lightgbm"}'
    answer = client.post("/predict/single", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    expected = predict_latest(load_candles("BTC/USDT", "1h"), KEY, "lightgbm")  # what `lydian predict` says
    assert (result["symbol"], result["timeframe"], result["version"]) == ("BTC/USDT", "1h", 1)
    assert result["candle_time"] == expected["candle_time"] == "2024-08-31T23:00:00+00:00"
    assert result["p_up"] == pytest.approx(expected["p_up"], abs=1e-9) and not result["cached"]
    again = client.post("/api/ai/predict/single", json={"symbol": "btc-usdt", "model": "lightgbm"}).json()
    assert again["cached"] and again["p_up"] == result["p_up"]
    by_path = client.post("/models/lightgbm/predict", content='{"symbol": "BTC"}').json()
    assert by_path["p_up"] == result["p_up"]


def test_ensemble_returns_the_full_signal(client: TestClient) -> None:
    result = client.post("/predict/single", json={"symbol": "BTC", "model": "ensemble"}).json()
    signal = result["signal"]
    assert result["version"] == signal["version"] == 1
    assert signal["action"] in ("BUY", "SELL", "HOLD") and 0 <= signal["risk_score"] <= 100
    assert {c["id"] for c in signal["contributing_models"]} == {"lightgbm", "xgboost"}
    assert result["p_up"] == signal["probability"] and "not evaluated yet" in signal["note"]
    voted = client.post("/predict/ensemble", json={"symbol": "BTC", "method": "soft_vote", "calibration": "none"}).json()
    assert voted["signal"]["method"] == "soft_vote" and voted["p_up"] == pytest.approx(
        sum(c["probability"] for c in voted["signal"]["contributing_models"]) / 2, abs=1e-6)


def test_batch_and_top100_keep_going_past_bad_symbols(client: TestClient) -> None:
    batch = client.post("/predict/batch", json={"symbols": ["BTC", "ETH", "NOPE"], "model": "lightgbm"}).json()
    assert [p["symbol"] for p in batch["predictions"]] == ["BTC/USDT"]
    assert {e["symbol"]: e["error"] for e in batch["errors"]} == {"NOPE": "unknown_symbol"}
    [training] = batch["training"]  # ETH has no lightgbm yet: its training job is queued (and cancelled here)
    job_id = training["job"]["id"]
    assert training["symbol"] == "ETH/USDT" and training["url"] == f"/api/ai/train/status/{job_id}"
    assert client.post(f"/train/cancel/{job_id}", headers=auth()).json()["state"] == "cancelled"
    top = client.get("/predict/top100", params={"model": "ensemble"}).json()
    assert [r["symbol"] for r in top["ranked"]] == ["BTC/USDT"] and len(top["skipped"]) == 9
    posted = client.post("/api/ai/predict/top100", json={"model": "lightgbm", "limit": 5}).json()
    assert posted["ranked"][0]["model"] == "lightgbm"


def test_model_status_has_versions_ranges_and_evaluation(client: TestClient) -> None:
    status = client.get("/models/lightgbm/status", params={"symbol": "BTC"}).json()
    [market] = status["markets"]
    version = market["versions"][0]
    assert version["version"] == 1 and version["data"]["train"][0].startswith("2024-03")
    assert "test_from" in version["data"] and market["evaluation"] is None
    empty = client.get("/api/ai/models/catboost/status").json()
    assert empty["markets"] == [] and "not trained" in empty["note"]


@pytest.mark.parametrize("body, field", [
    ({"symbol": "BTC", "model": "lightgbm", "colour": "red"}, "colour"),
    ({"symbol": "BTC", "timeframe": "2h"}, "timeframe"),
    ({"symbol": "BTC", "horizon": 0}, "horizon"),
    ({"symbol": "B" * 40}, "symbol"),
    ({"symbol": "BTC; DROP TABLE jobs"}, "symbol"),
    ({"model": "lightgbm"}, "symbol"),
    ({"symbol": "BTC", "version": "one"}, "version"),
])
def test_each_validation_error_names_its_field(client: TestClient, body: dict, field: str) -> None:
    answer = client.post("/predict/single", json=body)
    assert answer.status_code == 422 and answer.json()["error"] == "validation_error"
    assert field in answer.json()["detail"] and "Traceback" not in answer.text


def test_bounded_lists_and_bad_json(client: TestClient) -> None:
    too_many = client.post("/predict/batch", json={"symbols": ["BTC"] * 101})
    assert too_many.status_code == 422 and "symbols" in too_many.json()["detail"]
    broken = client.post("/predict/single", content='{"symbol": ')
    assert broken.status_code == 422 and broken.json()["error"] == "validation_error"


@pytest.mark.parametrize("path, body, code", [
    ("/predict/single", {"symbol": "NOPE", "model": "lightgbm"}, "unknown_symbol"),
    ("/predict/single", {"symbol": "BTC", "model": "no_such_model"}, "unknown_model"),
    ("/predict/single", {"symbol": "BTC", "model": "lightgbm", "version": 7}, "unknown_version"),
    ("/predict/single", {"symbol": "DOGE", "timeframe": "1m", "model": "lightgbm"}, "unknown_timeframe"),
])
def test_unknown_things_are_404_with_a_clear_message(client: TestClient, path: str, body: dict, code: str) -> None:
    answer = client.post(path, json=body)
    assert answer.status_code == 404 and answer.json()["error"] == code
    assert len(answer.json()["detail"]) > 20 and "/tmp" not in answer.text


def test_training_a_model_that_cannot_install_is_refused_with_the_reason(client: TestClient) -> None:
    answer = client.post("/models/neuralprophet/train", json={"symbol": "BTC"}, headers=auth())
    detail = answer.json()["detail"]
    assert answer.status_code == 404 and "neuralprophet is unavailable" in detail and "numpy 2" in detail


def test_unknown_job_and_route(client: TestClient) -> None:
    assert client.get("/train/status/999").json() == {"error": "unknown_job", "detail": "no training job 999"}
    missing = client.get("/api/ai/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_configuration_is_validated_persisted_and_audited(trained: Path, db_url: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYDIAN_ARTIFACTS", str(trained))
    configure_members(db_url)
    with TestClient(create_app(ApiSettings(database_url=db_url, jwt_secret=SECRET, rate_limit=0))) as client:
        _configure_and_use(client)
    with TestClient(create_app(ApiSettings(database_url=db_url, jwt_secret=SECRET, rate_limit=0))) as restarted:
        assert restarted.get("/ensemble/weights", params={"symbol": "BTC"}).json()["config"]["method"] == "stacking"
    with Database(db_url)() as session:
        rows = session.query(AuditEntry).order_by(AuditEntry.id).all()
    actions = [(r.action, r.user) for r in rows]
    assert ("ensemble.configure", "alice") in actions and ("predict.single", "anonymous") in actions
    change = next(r for r in rows if r.action == "ensemble.configure")
    assert change.request["method"] == "stacking" and change.result["user_weights"] == {"lightgbm": 3, "xgboost": 1}
    forecast = next(r for r in rows if r.action == "predict.single")
    assert forecast.request["symbol"] == "BTC" and forecast.result["action"] in ("BUY", "SELL", "HOLD")
    assert forecast.result["version"] == 1 and forecast.client == "testclient"


def _configure_and_use(client: TestClient) -> None:
    body = {"symbol": "BTC", "members": MEMBERS, "method": "stacking", "user_weights": {"lightgbm": 3, "xgboost": 1}, "min_confidence": 0.2}
    assert client.post("/ensemble/configure", json=body).status_code == 401
    stored = client.post("/ensemble/configure", json=body, headers=auth()).json()
    assert stored["method"] == "stacking" and stored["updated_by"] == "alice"
    weights = client.get("/ensemble/weights", params={"symbol": "BTC"}).json()
    assert weights["weights"] == pytest.approx({"lightgbm": 0.75, "xgboost": 0.25})
    assert client.post("/predict/single", json={"symbol": "BTC"}).json()["signal"]["method"] == "stacking"
    for bad in ({"user_weights": {"catboost": 1}}, {"user_weights": {"lightgbm": 0}}, {"method": "median"},
                {"sl_atr": -1}):
        answer = client.post("/ensemble/configure", json={"symbol": "BTC", "members": MEMBERS, **bad}, headers=auth())
        assert answer.status_code == 422, bad
    infinite = '{"symbol": "BTC", "user_weights": {"lightgbm": Infinity}}'  # Python's json reads it: refused
    assert client.post("/ensemble/configure", content=infinite, headers={**auth(), "Content-Type": "application/json"}
                       ).status_code == 422
    performance = client.get("/ensemble/performance", params={"symbol": "BTC"}).json()
    assert performance["ensemble"] is None and set(performance["members"]) == {"lightgbm", "xgboost"}


def test_docs_render_offline_from_bundled_files(client: TestClient) -> None:
    """/docs and /redoc must not need a CDN: the machines Lydian runs on are often offline."""
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn" not in html.lower() and "/openapi.json" in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = client.get(f"/static-offline-docs/{asset}")
        assert response.status_code == 200 and len(response.content) > 100_000


def test_patterns_report_matches_the_cli(client: TestClient, capsys: pytest.CaptureFixture) -> None:
    from core.cli import main

    answer = client.get("/api/ai/patterns", params={"symbol": "BTC", "timeframe": "1h", "last": 5})
    assert answer.status_code == 200
    report = answer.json()
    assert report["symbol"] == "BTC/USDT" and len(report["events"]) == 5 and report["horizons"] == [1, 4, 24]
    assert {"pattern", "horizon", "n", "hit_rate", "base_hit_rate"} <= set(report["stats"][0])
    assert main(["patterns", "--symbol", "BTC", "--timeframe", "1h", "--last", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == report  # one document, whichever door it comes through
    assert client.get("/patterns", params={"symbol": "BTC", "last": 5}).json() == report  # alias, cached
    bad = client.get("/patterns", params={"symbol": "BTC", "threshold": 2})
    assert bad.status_code == 422 and "threshold" in bad.json()["detail"]


def test_explain_latest_forecast_adds_up(client: TestClient) -> None:
    answer = client.get("/explain", params={"symbol": "BTC", "model": "lightgbm", "top": 5})
    assert answer.status_code == 200
    result = answer.json()
    assert result["method"] == "tree" and result["version"] == 1 and len(result["top"]) == 5
    assert abs(result["base_value"] + sum(result["features"].values()) - result["model_output"]) < 1e-6
    single = client.post("/predict/single", json={"symbol": "BTC", "model": "lightgbm"}).json()
    assert result["time"] == single["candle_time"] and result["p_up"] == pytest.approx(single["p_up"], abs=1e-9)
    earlier = client.get("/api/ai/explain", params={"symbol": "BTC", "model": "xgboost", "at": "2024-06-01 12:30"})
    assert earlier.json()["time"] == "2024-06-01T12:00:00+00:00"


@pytest.mark.parametrize("params, status, code", [
    ({"symbol": "BTC", "model": "gru_standard"}, 404, "not_trained"),
    ({"symbol": "BTC", "model": "gpt5"}, 404, "unknown_model"),
    ({"symbol": "NOPE", "model": "lightgbm"}, 404, "unknown_symbol"),
    ({"symbol": "BTC", "model": "lightgbm", "at": "yesterday-ish"}, 422, "unprocessable"),
    ({"symbol": "BTC", "model": "lightgbm", "top": 0}, 422, "validation_error"),
])
def test_explain_refusals_are_clear(client: TestClient, params: dict, status: int, code: str) -> None:
    answer = client.get("/explain", params=params)
    assert answer.status_code == status and answer.json()["error"] == code, answer.json()
