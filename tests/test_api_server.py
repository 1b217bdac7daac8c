"""A real ``lydian serve`` (uvicorn) on a free port: curl as clients call it, a training job from
schedule to done, and a job interrupted by a server crash marked failed by the next server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.api.auth import issue
from core.db import Database, Job

SECRET = "server-suite-secret-0123456789abcdef-xyz"
AUTH = {"Authorization": f"Bearer {issue('heidi', SECRET)}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lydian() -> list[str]:
    script = Path(sys.executable).with_name("lydian")
    fallback = [sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main())"]
    return [str(script)] if script.exists() else fallback


class Servers:
    """``lydian serve`` processes sharing one database; `current` is a live one, started when none is."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.started = folder, []
        self.database = f"sqlite:///{folder / 'api.db'}"
        self.env = {**os.environ, "LYDIAN_JWT_SECRET": SECRET, "LYDIAN_API_RATE_LIMIT": "1000",
                    "LYDIAN_DATABASE_URL": self.database, "LYDIAN_BOOSTER_THREADS": "1",
                    "LYDIAN_HOME": str(folder / "home"), "LYDIAN_ARTIFACTS": str(folder / "artifacts")}

    def current(self) -> tuple[subprocess.Popen, str]:
        if self.started and self.started[-1][0].poll() is None:
            return self.started[-1]
        port = _free_port()
        log = self.folder / f"server-{port}.log"
        proc = subprocess.Popen([*_lydian(), "serve", "--port", str(port), "--log-level", "warning"], env=self.env,
                                stdout=log.open("wb"), stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        self.started.append((proc, url))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("the server did not start within 60 s")

    def stop(self) -> None:
        for proc, _ in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """One server for the module (starting one costs seconds); the crash test replaces it. The servers'
    home and artifacts folders are set here: module fixtures start before the per-test isolated home."""
    pool = Servers(tmp_path_factory.mktemp("api_server"))
    yield pool
    pool.stop()


@pytest.fixture
def server(servers: Servers) -> str:
    """The URL of a live server (its home and artifacts are the module's own temporary folders)."""
    return servers.current()[1]


def _follow(url: str, job_id: int, seconds: float = 90) -> tuple[dict, list[dict]]:
    """Poll the job until it finishes; returns the last answer and every answer seen."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append(httpx.get(f"{url}/train/status/{job_id}").json())
        if seen[-1]["state"] not in ("queued", "running"):
            return seen[-1], seen
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {seen[-1]}")


def _curl(*args: str) -> dict:
    if shutil.which("curl"):
        return json.loads(subprocess.run(["curl", "-s", *args], capture_output=True, check=True, text=True).stdout)
    url, body = args[-1], args[args.index("-d") + 1]  # the same request curl -d makes
    return httpx.post(url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}).json()


def test_training_job_from_schedule_to_done_then_curl_predicts(server: str) -> None:
    url = server
    body = {"symbols": ["BTC"], "models": ["lightgbm", "cnn_standard"], "epochs": 2, "start": "2024-07-01"}
    job = httpx.post(f"{url}/api/ai/train/schedule", json=body, headers=AUTH)
    assert job.status_code == 202, job.text
    final, seen = _follow(url, job.json()["id"])
    assert final["state"] == "done", final
    assert [(t["model"], t["state"], t["version"]) for t in final["tasks"]] == [("lightgbm", "done", 1),
                                                                              ("cnn_standard", "done", 1)]
    assert final["tasks"][1]["epochs"] == 2 and final["tasks"][1]["valid_loss"] > 0
    assert any(0 < s["progress"] < 1 or any(t["state"] == "running" for t in s["tasks"]) for s in seen)
    answer = _curl("-X", "POST", f"{url}/predict/single", "-d", '{"symbol": "BTC", "model": "lightgbm"}')
    assert answer["version"] == 1 and answer["timeframe"] == "1h" and answer["candle_time"].startswith("2024-08-31")
    assert final["id"] in [j["id"] for j in httpx.get(f"{url}/train/history").json()["jobs"]]


def test_a_job_interrupted_by_a_server_crash_is_marked_failed(servers: Servers) -> None:
    first, url = servers.current()
    job_id = httpx.post(f"{url}/train/schedule", json={"symbols": ["BTC"], "models": ["gru_standard"], "epochs": 500},
                        headers=AUTH).json()["id"]
    db = Database(servers.database)
    deadline = time.monotonic() + 30
    while (pid := _worker_pid(db, job_id)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid is not None
    first.send_signal(signal.SIGKILL)  # a crash: no shutdown hook runs
    first.wait(10)
    _, url = servers.current()
    job = httpx.get(f"{url}/train/status/{job_id}").json()
    assert job["state"] == "failed" and "interrupted by an API restart" in job["errors"][0]
    deadline = time.monotonic() + 10  # the orphaned worker notices its server is gone and exits
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)


def _worker_pid(db: Database, job_id: int) -> int | None:
    with db() as session:
        job = session.get(Job, job_id)
        return job.pid if job is not None and job.state == "running" else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited; only its parent has not reaped it yet
        return stat.read().split(") ")[-1][0] != "Z"
