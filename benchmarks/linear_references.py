"""Walk-forward board of the time-series nets beside the linear references DLinear and NLinear.

    .venv/bin/python benchmarks/linear_references.py [--models lstm,gru,transformer,cnn] [--start 2024-01-01]
        [--refit-every 1000] [--epochs 3]

LTSF-Linear (Zeng et al., AAAI 2023) found one linear layer beating long-horizon Transformers, so
every net is walked forward on the same BTC/USDT 1h bars as dlinear and nlinear; the leaderboard
itself tests each against them (`core.backtest.references`: McNemar on direction and Diebold-Mariano
on the return forecast, Holm-corrected over the nets), and this script prints those rows. The last
stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import time

from core.backtest.leaderboard import leaderboard
from core.backtest.references import REFERENCES
from core.data import load_candles
from core.models import registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lstm,gru,transformer,cnn")
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--refit-every", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    nets = [m for m in registry.resolve_ids(args.models) if m not in REFERENCES]
    candles = load_candles("BTC/USDT", "1h", start=args.start)
    started = time.perf_counter()
    board = leaderboard([*REFERENCES, *nets], candles, 1, symbol="BTC/USDT", timeframe="1h", cache=False,
                        device="cpu", refit_every=args.refit_every,
                        overrides={m: {"max_epochs": args.epochs} for m in [*REFERENCES, *nets]})
    rows = {row["model"]: row for row in board.rows}
    keys = ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "edge", "verdict", "mase", "horizons",
            "own_80_coverage", "own_80_coverage_ci_low", "own_80_coverage_ci_high",
            *(f"vs_{r}" for r in REFERENCES))
    table = {name: {k: rows[name][k] for k in keys if rows[name].get(k) is not None} for name in [*REFERENCES, *nets]}
    print(json.dumps({
        "bench": "linear_references", "symbol": "BTC/USDT", "timeframe": "1h", "test_first": board.context["test_first"],
        "test_last": board.context["test_last"], "n_forecasts": board.context["n_forecasts"],
        "best_baseline": board.context["best_baseline"], "refit_every": args.refit_every, "epochs": args.epochs,
        "seconds": round(time.perf_counter() - started, 1), "models": table,
        "nets_beating_a_reference": sorted(n for n in nets if any(table[n].get(f"vs_{r}", {}).get("beats")
                                                                  for r in REFERENCES)),
    }))


if __name__ == "__main__":
    main()
