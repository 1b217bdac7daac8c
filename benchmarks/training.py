"""Benchmark training of every model on two years of BTC/USDT 1h; the last stdout line is JSON.

    .venv/bin/python benchmarks/training.py [--models all] [--years 2]

Default hyper-parameters and early stopping, CPU, purged 60/20/20 split (the test window is not
used). Reports seconds, epochs run and validation accuracy per model, and the total
(target: all 19 under 15 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from core.data import load_candles
from core.models import registry
from core.models.store import Key, ModelStore
from core.models.training import train_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="all")
    parser.add_argument("--years", type=float, default=2.0)
    args = parser.parse_args()
    candles = load_candles("BTC/USDT", "1h")
    candles = candles.loc[candles.index[-1] - pd.Timedelta(days=365 * args.years) :]
    store = ModelStore(Path(tempfile.mkdtemp(prefix="lydian-train-bench-")))
    key = Key("BTC/USDT", "1h", 1)
    per_model = {}
    started = time.perf_counter()
    for model_id in registry.resolve_ids(args.models):
        report = train_models(candles, key, [model_id], source="bundled", store=store, device="cpu")[0]
        meta = store.meta(key, model_id, report.version)
        per_model[model_id] = {
            "seconds": report.fit_seconds,
            "epochs": len(meta["state"]["weights"].get("history", [])) or None,
            "valid_accuracy": round(report.valid_accuracy, 4),
            "parameters": report.n_parameters,
        }
        print(f"{model_id}: {per_model[model_id]}", file=sys.stderr)
    total = time.perf_counter() - started
    print(json.dumps({
        "bench": "training", "bars": len(candles), "models": len(per_model), "total_s": round(total, 1),
        "target_total_s": 900, "target_per_net_s": 120,
        "over_target": sorted(m for m, r in per_model.items() if r["epochs"] and r["seconds"] > 120),
        "per_model": per_model,
    }))


if __name__ == "__main__":
    main()
