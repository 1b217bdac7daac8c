"""The API's storage on a real PostgreSQL: a throwaway cluster from Debian's binaries (initdb + pg_ctl
on 127.0.0.1 and a free port, as the postgres user when the tests run as root), removed afterwards.

Skipped, saying why, only where PostgreSQL is not installed and cannot be (see scripts/ensure-postgres).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.api import configs
from core.api.app import create_app
from core.api.audit import AuditLog
from core.api.auth import issue
from core.db import AuditEntry, Database, Job, now
from core.api.settings import ApiSettings

SECRET = "postgres-suite-secret-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {issue('ivan', SECRET)}"}


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    binaries = _bin_dir()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed here and could not be (run scripts/ensure-postgres as root)")
    folder = Path(tempfile.mkdtemp(prefix="lydian-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: the cluster belongs to the postgres user
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    run(str(binaries / "initdb"), "-D", str(data), "-U", "lydian", "-A", "trust", "--no-sync", "-E", "UTF8")
    run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "30",
        "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F", "start")
    try:
        yield f"postgresql://lydian@127.0.0.1:{port}/postgres"
    finally:
        run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _client(url: str) -> TestClient:
    return TestClient(create_app(ApiSettings(database_url=url, jwt_secret=SECRET, rate_limit=0)))


def test_configuration_and_audit_survive_a_restart_on_postgres(postgres_url: str) -> None:
    with _client(postgres_url) as client:
        assert client.get("/health").json()["database"] == "postgresql"
        stored = client.post("/ensemble/configure", json={"symbol": "ETH", "timeframe": "4h", "method": "bma",
                                                          "tp_atr": 3.0}, headers=AUTH)
        assert stored.status_code == 200, stored.text
    with _client(postgres_url) as restarted:  # a new server reads what the last one stored
        assert restarted.get("/health").json()["database"] == "postgresql"
        config = configs.current(restarted.app.state.context.db, "ETH/USDT", "4h", 1)
    assert (config["method"], config["tp_atr"], config["updated_by"]) == ("bma", 3.0, "ivan")
    with Database(postgres_url)() as session:
        change = session.query(AuditEntry).filter_by(action="ensemble.configure").one()
    assert change.user == "ivan" and change.result["method"] == "bma" and change.result["tp_atr"] == 3.0


def test_jobs_on_postgres_queue_cancel_and_recover(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.api import jobs

    monkeypatch.setattr(jobs.Runner, "start", lambda self: None)  # the state machine, not the training
    with _client(postgres_url) as client:
        job = client.post("/train/schedule", json={"symbols": ["BTC", "ETH"], "models": ["lightgbm"]}, headers=AUTH)
        assert job.status_code == 202 and len(job.json()["tasks"]) == 2
        job_id = job.json()["id"]
        assert client.post(f"/train/cancel/{job_id}", headers=AUTH).json()["state"] == "cancelled"
        assert client.get("/train/history", params={"state": "cancelled"}).json()["jobs"][0]["id"] == job_id
    db = Database(postgres_url)
    with db() as session:
        stale = Job(user="ivan", state="running", spec={}, tasks=[], errors=[], created=now(), started=now())
        session.add(stale)
        session.commit()
    assert jobs.recover(db) == 1
    with db() as session:
        assert session.get(Job, stale.id).state == "failed"


def test_prediction_audit_batches_reach_postgres(postgres_url: str) -> None:
    db = Database(postgres_url)
    log = AuditLog(db)
    for n in range(250):
        log.record("bot", "127.0.0.1", "predict.single", {"n": n}, {"p_up": 0.5})
    log.close()
    with db() as session:
        assert session.query(AuditEntry).filter_by(action="predict.single", user="bot").count() == 250
