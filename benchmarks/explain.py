"""Benchmark core.explain on real BTC/USDT 1h candles; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/explain.py [--repeats 20]

Default-sized models (lightgbm: 100 trees of 31 leaves; gru_attention and transformer_standard:
lookback 24, hidden 128, 2 layers) are trained quickly (one epoch for the nets: explanation cost
does not depend on training length) on 2024 candles, stored and loaded back, as the CLI and the
dashboard use them. Timings are with the cache off (``cache=False``) unless named ``cached``;
``first_*`` includes building the features of the candles and parsing the trees, later calls reuse
both. Local SHAP: p50 over explanations at different bars. Nets are timed at torch's thread count
(2 on the 2-core machine) and at 1 thread; global, LIME and attention at 1 thread: on a 2-core
machine that is busy with anything else, 2 threads made the GRU up to 40x slower (barrier waits).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from core.data import load_candles
from core.explain import attention, explain, global_importance, lime_explain
from core.models import registry
from core.models.dataset import prepare
from core.models.store import Key, ModelStore

KEY = Key("BTC/USDT", "1h", 1)
NETS = ("gru_attention", "transformer_standard")


def _seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _p50_ms(calls: list[Callable[[], object]]) -> float:
    return round(float(np.median([_seconds(call) for call in calls])) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    candles = load_candles("BTC/USDT", "1h", start="2024-01-01")
    dataset = prepare(candles, horizon=1)
    split, index = dataset.split()
    train, valid = dataset.window(index[split.train]), dataset.window(index[split.valid])
    store = ModelStore(Path(tempfile.mkdtemp(prefix="lydian-bench-explain-")))
    models = {}
    for model_id in ("lightgbm", *NETS):
        model = registry.create(model_id, **({"max_epochs": 1} if registry.spec(model_id).sequence else {}))
        fit_s = _seconds(lambda: model.fit(*train, *valid, seed=0, device="cpu"))
        store.save(model, KEY, {"source": "benchmark"})
        models[model_id] = store.load(KEY, model_id)
        print(f"trained {model_id} in {fit_s:.1f} s", file=sys.stderr)
    bars = candles.index[-args.repeats:]

    booster = models["lightgbm"]
    result: dict[str, object] = {"bench": "explain", "candles": len(candles), "torch_threads": torch.get_num_threads()}
    result["first_booster_local_ms"] = round(_seconds(lambda: explain(booster, candles, cache=False)) * 1000, 1)
    result["booster_local_shap_ms"] = _p50_ms([lambda at=at: explain(booster, candles, at, cache=False) for at in bars])
    result["booster_local_target_ms"] = 50
    result["booster_global_s"] = round(_seconds(lambda: global_importance(booster, candles, cache=False)), 3)
    result["booster_lime_s"] = round(_seconds(lambda: lime_explain(booster, candles, cache=False)), 3)
    explain(booster, candles)  # fill the cache
    result["cached_local_ms"] = _p50_ms([lambda: explain(booster, candles)] * args.repeats)

    threads = torch.get_num_threads()
    for model_id in NETS:
        net, few = models[model_id], bars[-5:]
        row = {}
        for n in (threads, 1):
            torch.set_num_threads(n)
            row[f"local_shap_s_{n}t"] = round(
                _p50_ms([lambda at=at: explain(net, candles, at, cache=False) for at in few]) / 1000, 3)
        row["global_s_1t"] = round(_seconds(lambda: global_importance(net, candles, cache=False)), 3)
        row["lime_s_1t"] = round(_seconds(lambda: lime_explain(net, candles, cache=False)), 3)
        row["attention_ms_1t"] = round(_seconds(lambda: attention(net, candles)) * 1000, 1)
        torch.set_num_threads(threads)
        result[model_id] = row
        print(f"{model_id}: {row}", file=sys.stderr)
    result["net_local_target_s"] = 2.0
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
