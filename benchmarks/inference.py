"""Benchmark inference of all 19 models on CPU; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/inference.py [--repeats 200] [--models all]

Each model is trained briefly (inference cost does not depend on training length) on real
BTC/USDT 1h features and saved to a temporary store by a child process, so the peak RSS reported
is that of serving, not of training. Then: the load time of all 19 from disk,
the single-prediction latency (p50/p95, warm, the full ``predict`` path from a feature frame)
at 1 and 2 torch threads (and of the extra call of multi-horizon and probabilistic models), the throughput of one batched call over 100 windows (one per symbol
of a 100-symbol batch) and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import core.forecasters  # noqa: F401  (registers the families above core.models: chart images, statistical...)
from core.data import load_candles
from core.models import capabilities as cap
from core.models import registry
from core.models.dataset import prepare
from core.models.store import Key, ModelStore

KEY = Key("BTC/USDT", "1h", 1)


def _train_all(store: ModelStore, model_ids: list[str]) -> None:
    dataset = prepare(load_candles("BTC/USDT", "1h", start="2024-04-01"), horizon=1)
    split, index = dataset.split()
    train, valid = dataset.window(index[split.train]), dataset.window(index[split.valid])
    for model_id in model_ids:
        quick = {"max_epochs": 1} if registry.spec(model_id).sequence else {"n_estimators": 100, "early_stopping_rounds": 100}
        model = registry.create(model_id, **quick).fit(*train, *valid, seed=0, device="cpu")
        store.save(model, KEY, {"source": "benchmark"})
        print(f"trained {model_id}", file=sys.stderr)


def _extra_call(model):
    """The second call a live forecast makes for a multi-horizon or quantile model, or None."""
    if cap.MULTI_HORIZON in model.tags:
        return model.predict_horizons
    return model.predict_with_intervals if cap.PROBABILISTIC in model.tags else None


def _percentiles(call, repeats: int) -> tuple[float, float]:
    for _ in range(5):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return round(float(np.percentile(times, 50)), 3), round(float(np.percentile(times, 95)), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--models", default="all", help="'all', a family or ids a,b (e.g. linear,lstm)")
    parser.add_argument("--train-into", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    model_ids = registry.resolve_ids(args.models)
    if args.train_into is not None:
        _train_all(ModelStore(args.train_into), model_ids)
        return
    root = Path(tempfile.mkdtemp(prefix="lydian-bench-"))
    subprocess.run([sys.executable, __file__, "--train-into", str(root), "--models", args.models], check=True)
    store = ModelStore(root)

    start = time.perf_counter()
    models = {model_id: store.load(KEY, model_id) for model_id in model_ids}
    load_seconds = time.perf_counter() - start
    features = prepare(load_candles("BTC/USDT", "1h", start="2024-08-01"), horizon=1).features

    per_model = {}
    for model_id, model in models.items():
        single = features.iloc[-(model.context_rows + 1):]
        batch = features.iloc[-(model.context_rows + 100):]  # 100 windows in one call
        row = {}
        for threads in (1, 2):
            torch.set_num_threads(threads)
            row[f"p50_ms_{threads}t"], row[f"p95_ms_{threads}t"] = _percentiles(lambda: model.predict(single), args.repeats)
        batch_ms, _ = _percentiles(lambda: model.predict(batch), max(args.repeats // 10, 10))
        row["batch100_ms_2t"] = batch_ms
        extra = _extra_call(model)
        if extra is not None:  # what a live forecast adds for these capabilities (core.models.inference)
            torch.set_num_threads(1)
            row["extra_call"] = extra.__name__
            row["extra_p50_ms_1t"], row["extra_p95_ms_1t"] = _percentiles(lambda: extra(single), args.repeats)
        row["batch100_per_s"] = round(100 / (batch_ms / 1000))
        per_model[model_id] = row
        print(f"{model_id}: {row}", file=sys.stderr)

    worst = max(per_model.values(), key=lambda r: r["p50_ms_2t"])
    best_threads = max(min(r["p50_ms_1t"], r["p50_ms_2t"]) for r in per_model.values())
    result = {
        "bench": "inference",
        "device": "cpu",
        "models": len(models),
        "load_all_s": round(load_seconds, 3),
        "load_target_s": 2.0,
        "worst_p50_ms_2t": worst["p50_ms_2t"],
        "worst_p50_ms_1t": max(r["p50_ms_1t"] for r in per_model.values()),
        "worst_p50_ms_best_threads": best_threads,
        "p50_target_ms": 5.0,
        "max_rss_mb": round(  # serving only: training ran in the child
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_target_mb": 1536,
        "per_model": per_model,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
