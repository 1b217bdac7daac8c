"""Walk-forward board of the time-series nets beside the linear references DLinear and NLinear.

    .venv/bin/python benchmarks/linear_references.py [--models lstm,gru,transformer,cnn] [--start 2024-01-01]
        [--refit-every 1000] [--epochs 3]

LTSF-Linear (Zeng et al., AAAI 2023) found one linear layer beating long-horizon Transformers, so
every net is walked forward on the same BTC/USDT 1h bars as dlinear and nlinear and compared with
each of them on the same out-of-sample forecasts: McNemar on direction (one-sided, the net better)
and Diebold-Mariano on the return forecast's squared errors (positive: the net's errors smaller),
both from `core.backtest.significance`, Holm-corrected over the nets. The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from core.backtest.leaderboard import leaderboard
from core.backtest.significance import diebold_mariano, holm, mcnemar
from core.data import load_candles
from core.models import registry

REFERENCES = ("dlinear", "nlinear")


def _right(predictions) -> np.ndarray:
    return (predictions["p_up"].to_numpy() > 0.5) == (predictions["realised_direction"].to_numpy() > 0.5)


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
    result = {}
    for reference in REFERENCES:
        base = board.results[reference].predictions
        realised = base["realised_return"].to_numpy()
        tests = {}
        for net in nets:
            own = board.results[net].predictions
            better, _ = mcnemar(_right(own), _right(base))
            dm, dm_p = diebold_mariano(own["expected_return"].to_numpy() - realised,
                                       base["expected_return"].to_numpy() - realised, 1)
            tests[net] = (better, dm, dm_p)
        corrected = holm([t[0] for t in tests.values()])
        for (net, (_, dm, dm_p)), p in zip(tests.items(), corrected, strict=True):
            result.setdefault(net, {})[f"vs_{reference}"] = {
                "mcnemar_p_holm": round(p, 4), "dm_stat": round(dm, 3), "dm_p": round(dm_p, 4),
                "beats": bool(p < 0.05),
            }
    table = {
        name: {k: rows[name].get(k) for k in ("accuracy", "accuracy_ci_low", "accuracy_ci_high", "edge", "verdict", "mase")}
        | result.get(name, {})
        for name in [*REFERENCES, *nets]
    }
    print(json.dumps({
        "bench": "linear_references", "symbol": "BTC/USDT", "timeframe": "1h", "test_first": board.context["test_first"],
        "test_last": board.context["test_last"], "n_forecasts": board.context["n_forecasts"],
        "best_baseline": board.context["best_baseline"], "refit_every": args.refit_every, "epochs": args.epochs,
        "seconds": round(time.perf_counter() - started, 1), "models": table,
        "nets_beating_a_reference": sorted(n for n in nets if any(v["beats"] for k, v in table[n].items() if k.startswith("vs_"))),
    }))


if __name__ == "__main__":
    main()
