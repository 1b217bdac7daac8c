"""Training jobs through HTTP: validation, cancel, and jobs never lost when the server stops or dies."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core import forecasters
from core.api.app import create_app
from core.api.auth import issue
from core.db import Database, Job, now
from core.api.jobs import INTERRUPTED
from core.api.settings import ApiSettings

SECRET = "jobs-suite-secret-0123456789abcdef-xyz"
AUTH = {"Authorization": f"Bearer {issue('grace', SECRET)}"}
SLOW = {"symbols": ["BTC"], "models": ["gru_standard"], "epochs": 500}  # runs until stopped


def _client(db_url: str) -> TestClient:
    return TestClient(create_app(ApiSettings(database_url=db_url, jwt_secret=SECRET, rate_limit=0)))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'api.db'}"


def _wait_for(client: TestClient, job_id: int, states: tuple[str, ...], seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/train/status/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {job}")


@pytest.mark.parametrize("body, status, code", [
    ({"symbols": ["BTC"], "models": ["no_such_model"]}, 404, "unknown_model"),
    ({"symbols": ["NOPE"], "models": ["lightgbm"]}, 404, "unknown_symbol"),
    ({"symbols": ["DOGE"], "timeframes": ["1m"], "models": ["lightgbm"]}, 404, "unknown_timeframe"),
    ({"symbols": ["BTC"] * 21, "models": ["lightgbm"]}, 422, "validation_error"),
    ({"symbols": ["BTC"], "models": ["lightgbm"], "start": "yesterday"}, 422, "validation_error"),
    ({"symbols": ["BTC"], "models": ["lightgbm"], "epochs": 0}, 422, "validation_error"),
    ({"symbols": [], "models": ["lightgbm"]}, 422, "validation_error"),
])
def test_schedule_validation(db_url: str, body: dict, status: int, code: str) -> None:
    with _client(db_url) as client:
        answer = client.post("/train/schedule", json=body, headers=AUTH)
    assert answer.status_code == status and answer.json()["error"] == code


def test_a_job_is_queued_expanded_and_cancellable(db_url: str) -> None:
    with _client(db_url) as client:
        job = client.post("/train/schedule", json={**SLOW, "timeframes": ["1h", "4h"], "models": ["boosting"]},
                          headers=AUTH).json()
        assert job["user"] == "grace" and job["state"] in ("queued", "running")
        boosting = forecasters.resolve_ids("boosting")  # the family, expanded in the registry's order
        assert boosting[:3] == ["xgboost", "lightgbm", "catboost"]
        assert [(t["timeframe"], t["model"]) for t in job["tasks"]] == [(tf, m) for tf in ("1h", "4h") for m in boosting]
        cancelled = client.post(f"/train/cancel/{job['id']}", headers=AUTH).json()
        assert cancelled["state"] == "cancelled" and cancelled["errors"] == ["cancelled by grace"]
        again = client.post(f"/api/ai/train/cancel/{job['id']}", headers=AUTH)
        assert again.status_code == 409 and again.json()["error"] == "job_finished"
        assert client.get("/train/status/1").json()["state"] == "cancelled"  # the worker did not revive it
        history = client.get("/train/history", params={"state": "cancelled"}).json()["jobs"]
        assert [j["id"] for j in history] == [job["id"]]


def test_stopping_the_server_fails_its_running_job_and_keeps_the_record(db_url: str) -> None:
    with _client(db_url) as client:
        job_id = client.post("/train/schedule", json=SLOW, headers=AUTH).json()["id"]
        _wait_for(client, job_id, ("running",))
    with _client(db_url) as restarted:
        job = restarted.get(f"/train/status/{job_id}").json()
    assert job["state"] == "failed" and job["errors"] == [INTERRUPTED] and job["finished"]
    assert job["tasks"][0]["state"] == "failed"


def test_a_job_left_running_by_a_dead_server_is_marked_failed_on_start(db_url: str) -> None:
    db = Database(db_url)
    with db() as session:
        session.add(Job(user="grace", state="running", spec={**SLOW, "timeframes": ["1h"], "horizon": 1},
                        tasks=[{"symbol": "BTC/USDT", "timeframe": "1h", "model": "gru_standard", "state": "running"}],
                        errors=[], created=now(), started=now()))
        session.commit()
    with _client(db_url) as client:
        job = client.get("/train/status/1").json()
    assert job["state"] == "failed" and "interrupted by an API restart" in job["errors"][0]
