"""Several API workers, one forecast cache: Redis shared between processes, keyed so that no worker
serves a stale forecast, an in-process fallback when Redis is not there, and ``lydian serve --workers 2``.

A throwaway ``redis-server`` listens on a free loopback port for the module (skipped, saying why,
when the binary is missing: ``make redis`` installs it)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from core.api.cache import SharedCache, shared
from core.api.markets import Markets
from core.api.redis_server import binary, free_port, local_redis
from core.api.service import ForecastCache, Predictor
from core.data import load_candles
from core.db import Database
from core.models.store import Key, ModelStore
from core.models.training import train_models

KEY = Key("BTC/USDT", "1h", 1)
QUICK = {"lightgbm": {"n_estimators": 20, "early_stopping_rounds": 20}}
needs_redis = pytest.mark.skipif(binary() is None, reason="redis-server is not installed (make redis installs it)")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if binary() is None:
        pytest.skip("redis-server is not installed (make redis installs it)")
    with local_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_candles("BTC/USDT", "1h", start="2024-05-01")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory, candles: pd.DataFrame) -> Path:
    root = tmp_path_factory.mktemp("worker_artifacts")
    train_models(candles, KEY, ["lightgbm"], source="bundled", store=ModelStore(root), overrides=QUICK)
    return root


class _Market(Markets):
    """Bundled markets whose BTC candles the test sets, to make a new candle arrive."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def candles(self, symbol: str, timeframe: str, peek: bool = False) -> pd.DataFrame:
        return self.frame


def _worker(db: Database, frame: pd.DataFrame) -> Predictor:
    return Predictor(db, _Market(frame))


@needs_redis
def test_a_forecast_computed_by_one_process_is_served_by_another(redis_url: str) -> None:
    import redis

    mine = SharedCache(ForecastCache(), redis.Redis.from_url(redis_url), "t1")
    value = {"p_up": 0.61, "candle_time": "2024-08-01T00:00:00+00:00", "nested": {"lo_80": None}}
    assert mine.get(("BTC/USDT", "1h", 1, "lightgbm", 3, 1722470400), lambda: value) == (value, False)
    other = ("import json, redis\nfrom core.api.cache import SharedCache\n"
             "class Memory:  # a worker's own cache, empty: only Redis can answer without computing\n"
             "    def get(self, key, compute, peek=False): return compute(), False\n"
             "def never(): raise SystemExit('computed again in the second process')\n"
             f"cache = SharedCache(Memory(), redis.Redis.from_url({redis_url!r}), 't1')\n"
             "print(json.dumps(cache.get(('BTC/USDT', '1h', 1, 'lightgbm', 3, 1722470400), never)))")
    done = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [value, True]


@needs_redis
def test_no_worker_serves_a_stale_forecast(redis_url: str, artifacts: Path, candles: pd.DataFrame,
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYDIAN_ARTIFACTS", str(artifacts))
    monkeypatch.setenv("LYDIAN_REDIS_URL", redis_url)
    db = Database(f"sqlite:///{tmp_path / 'api.db'}")
    first, second = _worker(db, candles.iloc[:-1]), _worker(db, candles.iloc[:-1])
    made = first.predict("BTC", "1h", "lightgbm", 1)
    served = second.predict("BTC", "1h", "lightgbm", 1)
    assert not made["cached"] and served["cached"] and served == {**made, "cached": True}

    second.markets.frame = candles  # a new candle: a new key, computed, for the new bar
    fresh = second.predict("BTC", "1h", "lightgbm", 1)
    assert not fresh["cached"] and fresh["candle_time"] == candles.index[-1].isoformat() != made["candle_time"]

    train_models(candles.iloc[:-1], KEY, ["lightgbm"], source="bundled", store=ModelStore(artifacts),
                 overrides={"lightgbm": {"n_estimators": 7, "early_stopping_rounds": 7}})
    first.forget_versions()  # what a finished job does (and the memo forgets by itself within 2 s)
    newer = first.predict("BTC", "1h", "lightgbm", 1)
    assert newer["version"] == made["version"] + 1 and not newer["cached"] and newer["p_up"] != made["p_up"]


def test_an_unreachable_redis_falls_back_to_the_in_process_cache(caplog: pytest.LogCaptureFixture) -> None:
    import redis

    dead = f"redis://127.0.0.1:{free_port()}/0"
    local = ForecastCache()
    with caplog.at_level(logging.WARNING, logger="lydian.api"):
        assert shared(local, dead) is local
    assert "unreachable" in caplog.text
    calls: list[int] = []
    broken = SharedCache(ForecastCache(), redis.Redis.from_url(dead, socket_connect_timeout=0.2), "t2")
    with caplog.at_level(logging.WARNING, logger="lydian.api"):
        assert broken.get(("k",), lambda: calls.append(1) or {"p_up": 0.5}) == ({"p_up": 0.5}, False)
        assert broken.get(("k",), lambda: calls.append(1) or {"p_up": 0.5}) == ({"p_up": 0.5}, True)
    assert calls == [1] and "serving from this worker's memory" in caplog.text


@needs_redis
def test_serve_with_two_workers_answers_and_shares_its_cache(redis_url: str, artifacts: Path,
                                                             tmp_path: Path) -> None:
    import redis

    port = free_port()
    env = {**os.environ, "LYDIAN_HOME": str(tmp_path / "home"), "LYDIAN_ARTIFACTS": str(artifacts),
           "LYDIAN_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}", "LYDIAN_REDIS_URL": redis_url,
           "LYDIAN_API_RATE_LIMIT": "0"}
    log = tmp_path / "serve.log"
    command = [sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main())"]
    proc = subprocess.Popen([*command, "serve", "--port", str(port), "--workers", "2", "--log-level", "info"],
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        answers = [httpx.post(f"{url}/predict/single", json={"symbol": "BTC", "model": "lightgbm"}, timeout=60)
                   for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 6, answers[0].text
        assert len({a.json()["p_up"] for a in answers}) == 1 and answers[-1].json()["cached"]
        assert redis.Redis.from_url(redis_url).keys("lydian:forecast:*")
    finally:
        proc.terminate()
        proc.wait(30)
    text = log.read_text()
    assert text.count("Started server process") == 2, text[-3000:]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux) to see a job's process")
def test_a_restarting_worker_leaves_a_siblings_running_job_alone() -> None:
    from core.api.jobs import _served

    code = "import time; time.sleep(30)"
    mine = subprocess.Popen([sys.executable, "-c", code, "core.api.worker", "7", str(os.getpid())])
    orphan_like = subprocess.Popen([sys.executable, "-c", code, "core.api.worker", "8", "1"])  # its server is gone
    try:
        time.sleep(0.2)
        assert _served(mine.pid) and not _served(orphan_like.pid) and not _served(None)
    finally:
        for proc in (mine, orphan_like):
            proc.kill()
            proc.wait()
    assert not _served(mine.pid)  # reaped: no such process
