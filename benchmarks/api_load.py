"""Load test of the REST API on 127.0.0.1; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/api_load.py [--clients 200] [--requests 10] [--interval 1.0] [--batches 40]
                                            [--workers 2 [--no-redis]]

Trains a small LightGBM (30 trees) for each bundled symbol at 1h into a temporary store, starts
``lydian serve --workers N`` on a free port (rate limit off, a temporary SQLite database, audit log on;
with N > 1 the workers share their forecasts through a throwaway loopback ``redis-server`` that this
script starts and stops, unless ``--no-redis`` or the binary is missing), then:

1. ``single``: ``--clients`` concurrent keep-alive clients, each sending ``--requests``
   ``POST /predict/single``, one every ``--interval`` seconds (a bot polling a forecast), symbols
   in turn: errors and p50/p95/p99 latency — the issue's target is 0 errors and p99 < 100 ms;
2. ``saturation``: the same clients sending back to back (no pause): the most requests per second
   the server answers, and the latency that then follows from queueing (clients / throughput);
3. ``batch``: ``--batches`` ``POST /predict/batch`` calls of 100 symbols (the bundled ones,
   repeated) from 4 clients: predictions per second (target >= 1,000).

Issue 28's target for two workers with Redis is read from ``saturation``: at least 1,000 single
predictions/s from 200 concurrent clients with p99 under 100 ms.

The clients are aiohttp's (httpx's async client spent more CPU than the server it measured) and
run on the same 2 cores as the server, so the figures include their cost. Every loop is bounded
in count and time (``--timeout`` per request); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core.api.redis_server import local_redis  # noqa: E402  (the same private Redis as 'lydian serve --redis local')


def _train(artifacts: Path, symbols: list[str]) -> None:
    from core.data import load_candles
    from core.models.store import Key, ModelStore
    from core.models.training import train_models

    for symbol in symbols:
        candles = load_candles(symbol, "1h", start="2024-03-01")
        train_models(candles, Key(symbol, "1h", 1), ["lightgbm"], source="bundled", store=ModelStore(artifacts),
                     overrides={"lightgbm": {"n_estimators": 30, "early_stopping_rounds": 30}})
        print(f"trained lightgbm on {symbol}", file=sys.stderr)


def _serve(folder: Path, workers: int, redis_url: str | None) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "LYDIAN_HOME": str(folder / "home"), "LYDIAN_ARTIFACTS": str(folder / "artifacts"),
           "LYDIAN_DATABASE_URL": f"sqlite:///{folder / 'api.db'}", "LYDIAN_API_RATE_LIMIT": "0"}
    env.pop("LYDIAN_REDIS_URL", None)
    if redis_url:
        env["LYDIAN_REDIS_URL"] = redis_url
    lydian = Path(sys.executable).with_name("lydian")
    fallback = [sys.executable, "-c", "import sys; from core.cli import main; sys.exit(main())"]
    command = [str(lydian)] if lydian.exists() else fallback
    proc = subprocess.Popen([*command, "serve", "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
                            env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the API server did not start within 120 s")


async def _client(session: aiohttp.ClientSession, url: str, bodies: list[dict], interval: float,
                  latencies: list[float], errors: list[str], offset: float) -> None:
    await asyncio.sleep(offset)
    due = time.perf_counter()
    for body in bodies:
        start = time.perf_counter()
        try:
            async with session.post(f"{url}/predict/single", json=body) as answer:
                await answer.read()
                if answer.status != 200:
                    errors.append(str(answer.status))
        except (TimeoutError, aiohttp.ClientError) as exc:
            errors.append(type(exc).__name__)
        latencies.append(time.perf_counter() - start)
        due += interval
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


def _summary(latencies: list[float], errors: list[str], seconds: float) -> dict:
    ms = np.array(latencies) * 1000
    return {"requests": len(latencies), "errors": len(errors), "seconds": round(seconds, 2),
            "requests_per_s": round(len(latencies) / seconds, 1), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1)}


async def _singles(url: str, symbols: list[str], clients: int, requests: int, interval: float, timeout: float) -> dict:
    """Both single-prediction phases over the same open connections."""
    rng = random.Random(0)
    plans = [[{"symbol": symbols[(c + r) % len(symbols)], "model": "lightgbm"} for r in range(requests)]
             for c in range(clients)]
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(_client(session, url, p[:1], 0, [], [], 0) for p in plans))  # open connections
        results = {}
        for phase, pause in (("single", interval), ("saturation", 0.0)):
            latencies: list[float] = []
            errors: list[str] = []
            start = time.perf_counter()
            await asyncio.gather(*(_client(session, url, plan, pause, latencies, errors, rng.random() * pause)
                                   for plan in plans))
            results[phase] = {"clients": clients, "interval_s": pause,
                              **_summary(latencies, errors, time.perf_counter() - start)}
    return results


async def _batches(url: str, symbols: list[str], batches: int, timeout: float) -> dict:
    body = {"symbols": (symbols * (100 // len(symbols) + 1))[:100], "model": "lightgbm"}
    counts: list[int] = []
    errors: list[str] = []

    async def worker(session: aiohttp.ClientSession, n: int) -> None:
        for _ in range(n):
            async with session.post(f"{url}/predict/batch", json=body) as answer:
                if answer.status == 200:
                    counts.append(len((await answer.json())["predictions"]))
                else:
                    errors.append(str(answer.status))

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session, batches // 4) for _ in range(4)))
        seconds = time.perf_counter() - start
    return {"batches": len(counts), "batch_size": 100, "errors": len(errors), "predictions": sum(counts),
            "seconds": round(seconds, 2), "predictions_per_s": round(sum(counts) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=10, help="requests per client and phase")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one client's requests")
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--workers", type=int, default=1, help="API worker processes (issue 28's target: 2)")
    parser.add_argument("--no-redis", action="store_true", help="with --workers > 1: no shared cache")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lydian-api-load-"))
    os.environ["LYDIAN_HOME"] = str(folder / "home")
    from core.data import bundled

    symbols = bundled.symbols()
    _train(folder / "artifacts", symbols)
    with ExitStack() as stack:
        redis_url = None
        if args.workers > 1 and not args.no_redis:
            redis_url = stack.enter_context(local_redis(folder / "redis"))
        result = _measure(args, folder, symbols, redis_url)
    print(json.dumps(result))


def _redis_stats(url: str | None) -> dict | None:
    if url is None:
        return None
    import redis

    info = redis.Redis.from_url(url).info("stats")
    return {"keyspace_hits": info["keyspace_hits"], "keyspace_misses": info["keyspace_misses"]}


def _measure(args: argparse.Namespace, folder: Path, symbols: list[str], redis_url: str | None) -> dict:
    proc, url = _serve(folder, args.workers, redis_url)
    try:
        cold = []
        for symbol in symbols:  # first forecast of each market: model load + features, then cached
            start = time.perf_counter()
            answer = httpx.post(f"{url}/predict/single", json={"symbol": symbol, "model": "lightgbm"}, timeout=60)
            assert answer.status_code == 200, answer.text
            cold.append((time.perf_counter() - start) * 1000)
        singles = asyncio.run(_singles(url, symbols, args.clients, args.requests, args.interval, args.timeout))
        batch = asyncio.run(_batches(url, symbols, args.batches, args.timeout))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    saturated = singles["saturation"]
    return {"benchmark": "api_load", "symbols": len(symbols), "workers": args.workers,
            "redis": redis_url is not None, "redis_stats": _redis_stats(redis_url),
            "cold_first_prediction_ms_median": round(float(np.median(cold)), 1),
            **singles, "batch": batch,
            "targets": {"single_p99_under_100ms": singles["single"]["p99_ms"] < 100 and singles["single"]["errors"] == 0,
                        "batch_over_1000_per_s": batch["predictions_per_s"] >= 1000,
                        "single_1000_per_s_at_200_clients_p99_under_100ms": (
                            saturated["clients"] >= 200 and saturated["requests_per_s"] >= 1000
                            and saturated["p99_ms"] < 100 and saturated["errors"] == 0)},
            "cpus": os.cpu_count(),
            "note": "clients and server share the same cores; a shared, loaded machine gives lower figures"}


if __name__ == "__main__":
    main()
