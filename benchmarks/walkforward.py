"""Walk-forward speed on one fixed job: the last 8,760 bars of BTC/USDT 1h, horizon 1.

Expanding window from 50 % of the series, refit every 168 bars, one forecast per bar: about
4,380 forecasts and 26 refits. Features are computed once per run (they are causal). The cache is
off, so every figure is a cold computation. Prints one JSON object on its last line.

    python benchmarks/walkforward.py                      # LightGBM (target under 2.5 s on 2 cores)
    python benchmarks/walkforward.py --models all --net-refit-every 1460   # the whole zoo
"""

from __future__ import annotations

import argparse
import json
import time

from core.backtest.leaderboard import leaderboard
from core.backtest.walkforward import prepare_market, walk_forward
from core.data import load_candles
from core.models import registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lightgbm", help="'all' or ids a,b (default lightgbm)")
    parser.add_argument("--refit-every", type=int, default=168)
    parser.add_argument("--net-refit-every", type=int, default=None, help="refit interval for the nets (default: same)")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    candles = load_candles("BTC/USDT", "1h").iloc[-8_760:]
    started = time.perf_counter()
    prepare_market(candles, 1, "1h")
    features_s = time.perf_counter() - started

    ids = registry.resolve_ids(args.models)
    report: dict = {"bars": len(candles), "first": str(candles.index[0]), "last": str(candles.index[-1]),
                    "features_seconds": round(features_s, 3), "models": {}}
    if ids == ["lightgbm"]:
        started = time.perf_counter()
        result = walk_forward("lightgbm", candles, 1, timeframe="1h", cache=False, refit_every=args.refit_every)
        report["models"]["lightgbm"] = {
            "seconds": round(time.perf_counter() - started, 3), "forecasts": result.metrics["n"],
            "refits": result.info["folds"], "accuracy": round(result.metrics["accuracy"], 4),
            "edge": round(result.metrics["edge"], 4), "verdict": result.metrics["verdict"],
        }
        report["target_seconds"] = 2.5
    else:
        started = time.perf_counter()
        boosters = [m for m in ids if not registry.spec(m).sequence]
        nets = [m for m in ids if registry.spec(m).sequence]
        boards = []
        for chosen, refit in ((boosters, args.refit_every), (nets, args.net_refit_every or args.refit_every)):
            if chosen:
                boards.append((refit, leaderboard(chosen, candles, 1, timeframe="1h", symbol="BTC/USDT",
                                                  cache=False, device=args.device, refit_every=refit)))
        for refit, board in boards:
            for row in board.rows:
                if row["kind"] == "model":
                    report["models"][row["model"]] = {
                        "seconds": row["seconds"], "refit_every": refit, "accuracy": round(row["accuracy"], 4),
                        "ci": [round(row["accuracy_ci_low"], 4), round(row["accuracy_ci_high"], 4)],
                        "edge": round(row["edge"], 4), "p_value": round(row["p_value"], 4),
                        "sharpe": round(row["sharpe"], 2), "verdict": row["verdict"],
                    }
        report["baselines"] = {row["model"]: round(row["accuracy"], 4) for row in boards[0][1].rows
                               if row["kind"] == "baseline"}
        report["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
