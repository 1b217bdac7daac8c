"""Benchmark a 50-trial tune of LightGBM inside the walk-forward; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/tune.py [--trials 50] [--start 2024-05-01] [--workers 2]

The whole 50-point tree grid (learning rate x leaves x column share) is searched on bundled BTC/USDT
1h candles from --start, nested in the purged walk-forward (refit every 500 forecasts), with ASHA
stopping bad trials after two outer folds. Reported: wall time, trials per second, and the tuned
model's out-of-sample accuracy and Sharpe beside the untuned one's and the best baseline's, with the
deflated Sharpe charged for every trial. `benchmarks/scale.py` calls `tune_benchmark`. Timings
depend on the machine and its load: say which machine, and whether it was shared, when quoting them.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from core.data import load_candles
from core.tuning import tune_walk_forward


def tune_benchmark(trials: int = 50, start: str = "2024-05-01", workers: int = 2,
                   refit_every: int = 500) -> dict[str, Any]:
    """One nested tune of LightGBM on BTC/USDT 1h: speed, and tuned vs default out of sample."""
    candles = load_candles("BTC/USDT", "1h", start)
    began = time.perf_counter()
    result = tune_walk_forward("lightgbm", candles, trials=trials, search="grid", workers=workers,
                               refit_every=refit_every, cache=False)
    wall = time.perf_counter() - began
    report = result.to_dict()

    def brief(row: dict[str, Any]) -> dict[str, Any]:
        return {k: row.get(k) for k in ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "sharpe", "edge", "verdict")}

    best = report["tuned_result"]["baseline"]
    return {
        "bench": "tune", "model": "lightgbm", "symbol": "BTC/USDT", "timeframe": "1h", "bars": len(candles),
        "first_bar": str(candles.index[0]), "folds": report["folds"], "n_forecasts": report["n_forecasts"],
        "trials": report["trials"], "trials_stopped_early": report["trials_stopped_early"], "workers": workers,
        "wall_s": round(wall, 1), "trials_per_s": round(report["trials"] / wall, 3),
        "best_config": report["best_config"], "default_config": report["default_config"],
        "tuned": brief(report["tuned_result"]), "untuned": brief(report["untuned_result"]),
        "best_baseline": {"name": best, **brief(report["baselines"][best])} if best else None,
        "deflated_sharpe": report["deflated"]["deflated_sharpe"], "psr": report["deflated"]["psr"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--start", default="2024-05-01", help="first candle (UTC)")
    parser.add_argument("--workers", type=int, default=2, help="trials at once")
    args = parser.parse_args()
    print(json.dumps(tune_benchmark(args.trials, args.start, args.workers)))


if __name__ == "__main__":
    main()
