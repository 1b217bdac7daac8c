"""A fresh API (empty model store): forecasts of untrained models answer 202 with their training job,
the job trains, the same forecast then answers 200; ``lydian serve --bootstrap`` trains before opening."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.api import autotrain, jobs
from core.api.app import create_app
from core.api.auth import issue
from core.api.bootstrap import bootstrap
from core.db import AuditEntry, Database
from core.api.responses import BatchOut, TrainingOut
from core.api.settings import MIN_TRAIN_BARS, ApiSettings
from core.cli import main
from core.data import load_candles
from core.models.inference import predict_latest
from core.models.store import Key, ModelStore
from core.models.training import train_models

SECRET = "first-run-suite-secret-0123456789abcdef"
BTC = Key("BTC/USDT", "1h", 1)


def _client(db_url: str, **settings: object) -> TestClient:
    return TestClient(create_app(ApiSettings(database_url=db_url, jwt_secret=SECRET, rate_limit=0,
                                             train_bars=MIN_TRAIN_BARS, **settings)))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def idle_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs stay queued: these tests look at what is scheduled, not at training."""
    monkeypatch.setattr(jobs.Runner, "start", lambda self: None)


def _done(client: TestClient, url: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["state"] not in jobs.ACTIVE:
            return job
        time.sleep(0.2)
    raise AssertionError(f"{url} still {job['state']} after {seconds} s: {job}")


def test_a_forecast_of_an_untrained_model_trains_it_then_answers(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYDIAN_BOOSTER_THREADS", "1")  # the worker process: one core, the other serves
    with _client(db_url) as client:
        first = client.post("/predict/single", content='{"symbol": "BTC", "model": "lightgbm"}',
                            headers={"Content-Type": "application/x-www-form-urlencoded"})  # as curl -d sends it
        assert first.status_code == 202, first.text
        body = TrainingOut.model_validate(first.json()).model_dump()  # what the OpenAPI schema declares
        job = body["job"]
        assert body["status"] == "training" and body["model"] == "lightgbm" and job["user"] == "anonymous"
        assert body["url"] == first.headers["Location"] == f"/api/ai/train/status/{job['id']}"
        assert [(t["symbol"], t["timeframe"], t["model"]) for t in job["tasks"]] == [("BTC/USDT", "1h", "lightgbm")]
        assert job["spec"]["bars"] == MIN_TRAIN_BARS
        joined = client.post("/models/lightgbm/predict", json={"symbol": "btc-usdt"})
        assert joined.status_code == 202 and joined.json()["job"]["id"] == job["id"]  # one job, not two
        finished = _done(client, body["url"])
        assert finished["state"] == "done" and finished["tasks"][0]["version"] == 1
        answer = client.post("/predict/single", json={"symbol": "BTC", "model": "lightgbm"})
        assert answer.status_code == 200, answer.text
        expected = predict_latest(load_candles("BTC/USDT", "1h"), BTC, "lightgbm")
        assert answer.json()["version"] == 1 and answer.json()["p_up"] == pytest.approx(expected["p_up"], abs=1e-9)
        assert len(client.get("/train/history").json()["jobs"]) == 1
    with Database(db_url)() as session:
        actions = [(r.action, r.user, r.status) for r in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[0] == ("train.auto", "anonymous", 202) and ("predict.single", "anonymous", 200) in actions


def test_ensemble_and_batch_of_untrained_markets_queue_their_training(db_url: str, idle_runner: None) -> None:
    with _client(db_url) as client:
        ensemble = client.post("/predict/single", json={"symbol": "DOT", "model": "ensemble"})  # the issue's example
        assert ensemble.status_code == 202 and ensemble.json()["model"] == "ensemble"
        job = ensemble.json()["job"]
        assert [(t["symbol"], t["model"]) for t in job["tasks"]] == [("DOT/USDT", "ensemble")]
        assert client.post("/predict/ensemble", json={"symbol": "DOT"}).json()["job"]["id"] == job["id"]
        batch = client.post("/predict/batch", json={"symbols": ["DOT", "ETH", "SOL", "NOPE"], "model": "ensemble"})
        assert batch.status_code == 200
        rows = {t["symbol"]: t["job"] for t in BatchOut.model_validate(batch.json()).model_dump()["training"]}
        assert rows["DOT/USDT"]["id"] == job["id"] and rows["ETH/USDT"]["id"] == rows["SOL/USDT"]["id"] != job["id"]
        assert rows["ETH/USDT"]["spec"]["symbols"] == ["ETH/USDT", "SOL/USDT"]  # one new job for the batch
        assert batch.json()["predictions"] == [] and [e["error"] for e in batch.json()["errors"]] == ["unknown_symbol"]


@pytest.mark.parametrize("body, status, code", [
    ({"symbol": "NOPE", "model": "lightgbm"}, 404, "unknown_symbol"),
    ({"symbol": "BTC", "model": "no_such_model"}, 404, "unknown_model"),
    ({"symbol": "DOGE", "timeframe": "1m", "model": "lightgbm"}, 404, "unknown_timeframe"),
    ({"symbol": "BTC", "model": "lightgbm", "version": 2}, 404, "not_trained"),  # training would not make v2
])
def test_what_training_cannot_fix_stays_a_clear_4xx(db_url: str, idle_runner: None, body: dict, status: int,
                                                    code: str) -> None:
    with _client(db_url) as client:
        answer = client.post("/predict/single", json=body)
        assert answer.status_code == status and answer.json()["error"] == code
        assert client.get("/train/history").json()["jobs"] == []


def test_without_auto_training_the_404_names_the_way_forward(db_url: str, idle_runner: None) -> None:
    with _client(db_url, auto_train=False) as client:
        answer = client.post("/predict/single", json={"symbol": "ETH", "model": "lightgbm"})
        batch = client.post("/predict/batch", json={"symbols": ["ETH"], "model": "lightgbm"}).json()
        assert client.get("/train/history").json()["jobs"] == []
    assert answer.status_code == 404 and "POST /api/ai/models/lightgbm/train" in answer.json()["detail"]
    assert batch["training"] == [] and batch["errors"][0]["error"] == "not_trained"


def test_a_full_queue_answers_429_with_retry_after(db_url: str, idle_runner: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autotrain, "MAX_ACTIVE", 1)
    with _client(db_url) as client:
        assert client.post("/predict/single", json={"symbol": "BTC", "model": "lightgbm"}).status_code == 202
        assert client.post("/predict/single", json={"symbol": "BTC", "model": "lightgbm"}).status_code == 202  # joined
        full = client.post("/predict/single", json={"symbol": "ETH", "model": "lightgbm"})
        batch = client.post("/predict/batch", json={"symbols": ["ETH"], "model": "lightgbm"}).json()
    assert full.status_code == 429 and full.json()["error"] == "training_busy" and full.headers["Retry-After"]
    assert batch["errors"][0]["error"] == "training_busy"


def test_serve_bootstrap_trains_what_is_missing_before_it_opens(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    import uvicorn

    opened: list[list[int]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: opened.append(ModelStore().versions(BTC, "lightgbm")))
    monkeypatch.setenv("LYDIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'api.db'}")
    monkeypatch.setenv("LYDIAN_API_TRAIN_BARS", str(MIN_TRAIN_BARS))
    caplog.set_level(logging.INFO, logger="lydian.api")
    assert main(["serve", "--bootstrap", "--symbols", "BTC", "--models", "lightgbm"]) == 0
    assert opened == [[1]]  # trained before the server opened
    assert "bootstrap 1/1: training lightgbm on BTC/USDT 1h" in caplog.text
    meta = ModelStore().meta(BTC, "lightgbm", 1)
    assert meta["data"]["rows"] < MIN_TRAIN_BARS  # the recent bars only (less the features' warm-up)
    caplog.clear()
    assert bootstrap(["BTC"], ["lightgbm"], bars=MIN_TRAIN_BARS) == 0
    assert "0 of 1 models to train" in caplog.text and ModelStore().versions(BTC, "lightgbm") == [1]
    assert main(["serve", "--symbols", "BTC"]) == 2  # --symbols means nothing without --bootstrap
    assert main(["serve", "--bootstrap", "--symbols", "NOPE", "--models", "lightgbm"]) == 2


def test_an_ensemble_stored_with_other_members_is_a_404_not_an_endless_202(db_url: str, idle_runner: None) -> None:
    """A job would train the configured members again and the answer would not change: say what to do instead."""
    candles = load_candles("BTC/USDT", "1h").iloc[-MIN_TRAIN_BARS:]
    train_models(candles, BTC, ["ensemble"], source="bundled", overrides={"ensemble": {"members": ("lightgbm",)}})
    with _client(db_url) as client:
        answer = client.post("/predict/single", json={"symbol": "BTC", "model": "ensemble"})
        assert client.get("/train/history").json()["jobs"] == []
    assert answer.status_code == 404 and answer.json()["error"] == "not_trained" and "catboost" in answer.json()["detail"]
