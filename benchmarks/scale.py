"""Serial against Ray: one walk-forward leaderboard of several models on several bundled markets, and Ray's overhead.

    .venv/bin/python benchmarks/scale.py [--symbols BTC,ETH,SOL,BNB] [--models lightgbm,xgboost,catboost,extra_trees]
        [--start 2024-06-01] [--refit-every 500] [--sections leaderboard,tune]

Every (market x model) walk is one job (`core.backtest.leaderboard.leaderboards`); the serial backend runs
them one after another here, the Ray backend as tasks on a local Ray with one CPU per task. Both run with
one thread per model (LYDIAN_BOOSTER_THREADS = LYDIAN_TORCH_THREADS = 1), so the speed-up is Ray's and not
a difference in threads. The boards must be identical apart from timings (``identical``). Overhead: an
empty task's round trip, and no-op jobs carrying the same prepared markets (their CPU-seconds per job).
``--sections`` picks among ``SECTIONS``: the board and, when `benchmarks/tune.py` is there, its 50-trial tune.
The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("LYDIAN_BOOSTER_THREADS", "1")  # before any booster or torch loads: read per fit
os.environ.setdefault("LYDIAN_TORCH_THREADS", "1")
os.environ.setdefault("LYDIAN_TRACKING", "off")
os.environ.setdefault("LYDIAN_HOME", tempfile.mkdtemp(prefix="lydian-scale-"))

from core.backtest.leaderboard import leaderboards  # noqa: E402
from core.backtest.walkforward import prepare_market  # noqa: E402
from core.data import load_candles  # noqa: E402
from core.distributed.backend import Backend  # noqa: E402
from core.distributed.runtime import init_ray, shutdown_ray  # noqa: E402
from core.models import registry  # noqa: E402

TIMING = {"seconds", "created"}


def _untimed(document: Any) -> Any:
    if isinstance(document, dict):
        return {k: _untimed(v) for k, v in document.items() if k not in TIMING}
    if isinstance(document, list):
        return [_untimed(v) for v in document]
    return document


def _noop(shared: Any, item: Any, progress: Any) -> int:
    return item


def board_section(args: argparse.Namespace) -> dict[str, Any]:
    """The same leaderboard serially and on a local Ray; the speed-up and whether the boards are equal."""
    markets = [load_candles(s, "1h", start=args.start) for s in args.symbols.split(",")]
    models = registry.resolve_ids(args.models)
    settings = {"refit_every": args.refit_every, "cache": False}
    load, cpu = {}, {}
    cpu["serial"] = -_cpu_seconds()
    serial, serial_s, load["serial"] = _timed(lambda: leaderboards(models, markets, 1, **settings))
    cpu["serial"] += _cpu_seconds()
    ray, startup_s, load["ray_startup"] = _timed(lambda: init_ray(num_cpus=os.cpu_count()))
    try:  # cold: the workers start and import Lydian and the boosters; warm: a second pass on the same workers
        on_ray, cold_s, load["ray_cold"] = _timed(
            lambda: leaderboards(models, markets, 1, backend=Backend("ray"), **settings))
        cpu["ray_warm"] = -_cpu_seconds()
        again, ray_s, load["ray_warm"] = _timed(
            lambda: leaderboards(models, markets, 1, backend=Backend("ray"), **settings))
        cpu["ray_warm"] += _cpu_seconds()
        overhead = _overhead(ray, [prepare_market(m, 1) for m in markets], len(models) * len(markets))
    finally:
        shutdown_ray()
    boards = [_untimed(b.to_dict()) for b in serial]
    return {
        "symbols": args.symbols.split(","), "models": models, "jobs": len(models) * len(markets),
        "bars": sum(len(m) for m in markets), "folds_per_job": serial[0].results[models[0]].info["folds"],
        "cpus": os.cpu_count(), "threads_per_job": 1, "serial_s": round(serial_s, 2),
        "ray_cold_s": round(cold_s, 2), "ray_warm_s": round(ray_s, 2), "speedup_cold": round(serial_s / cold_s, 2),
        "speedup_warm": round(serial_s / ray_s, 2), "ray_startup_s": round(startup_s, 2),
        "identical": boards == [_untimed(b.to_dict()) for b in on_ray] == [_untimed(b.to_dict()) for b in again],
        "load_average_after": load, "cores_used": {"serial": round(cpu["serial"] / serial_s, 2),
                                                   "ray_warm": round(cpu["ray_warm"] / ray_s, 2)},
        "cpu_s": {k: round(v, 1) for k, v in cpu.items()}, "ray_overhead": overhead,
    }


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    """The value, the wall seconds, and the 1-minute load average after (the machine is shared)."""
    clock = time.perf_counter()
    value = call()
    return value, time.perf_counter() - clock, round(os.getloadavg()[0], 1)


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and every live descendant (Ray's workers among them).

    Wall time alone cannot tell Ray's overhead from a busy machine: cores used = CPU seconds / wall seconds.
    """
    import psutil

    total = 0.0
    for process in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def _overhead(ray: Any, prepared: list[Any], jobs: int) -> dict[str, float]:
    """An empty task's round trip (warm workers), and no-op jobs that carry the real prepared markets."""
    noop = ray.remote(num_cpus=1)(lambda: None)
    ray.get([noop.remote() for _ in range(4)])  # warm
    trips = []
    for _ in range(50):
        clock = time.perf_counter()
        ray.get(noop.remote())
        trips.append(time.perf_counter() - clock)
    clock = time.perf_counter()
    Backend("ray").map(_noop, list(range(jobs)), shared=prepared)
    wall = time.perf_counter() - clock
    return {"empty_task_round_trip_ms": round(statistics.median(trips) * 1000, 2),
            "noop_jobs": jobs, "noop_jobs_wall_s": round(wall, 3),
            "cpu_ms_per_job": round(wall * (os.cpu_count() or 1) / jobs * 1000, 1)}


def tune_section(args: argparse.Namespace) -> dict[str, Any]:
    """Part B's 50-trial nested tune of LightGBM (`benchmarks/tune.py`), run beside the board."""
    from tune import tune_benchmark  # the sibling script: this folder is sys.path[0] when run as a script

    return tune_benchmark()


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {"leaderboard": board_section}
if Path(__file__).with_name("tune.py").exists():
    SECTIONS["tune"] = tune_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", default="BTC,ETH,SOL,BNB")
    parser.add_argument("--models", default="lightgbm,xgboost,catboost,extra_trees")
    parser.add_argument("--start", default="2024-06-01")
    parser.add_argument("--refit-every", type=int, default=500)
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"of {', '.join(SECTIONS)}")
    args = parser.parse_args()
    result = {name: SECTIONS[name](args) for name in args.sections.split(",")}
    result["note"] = "timed on a shared, loaded 2-core machine; serial and Ray both one thread per job"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
