"""Benchmark every regime and anomaly detector on real hourly candles; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/regimes.py
    .venv/bin/python benchmarks/regimes.py --board [MODELS]     # rank, then the best three by regime; stand aside
    .venv/bin/python benchmarks/regimes.py --ablation lightgbm  # without and with the regime feature group

Each detector is fitted on two years (17,520 bars) of BTC/USDT 1h and then labels the following
year (8,760 bars); fit is one run, labelling the median of three. Targets (issue 24): labelling
under 0.5 s for every detector but the one-class SVM, fit under 30 s. Timings depend on the machine
and on its load: say which machine, and whether it was shared, when quoting them.
"""

from __future__ import annotations

import argparse
import json
import time

from _timing import median_seconds

from core.data import load_candles
from core.regimes import make, methods, regime_inputs

FIT_BARS, LABEL_BARS = 17_520, 8_760


def main() -> None:
    x = regime_inputs(load_candles("BTC/USDT", "1h")).to_numpy()[-(FIT_BARS + LABEL_BARS):]
    train, later = x[:FIT_BARS], x[FIT_BARS:]
    detectors = {}
    for method in methods():
        detector = make(method, seed=0)
        start = time.perf_counter()
        detector.fit(train)
        fit = round(time.perf_counter() - start, 3)
        label = median_seconds(lambda: detector.label(later), repeats=3)
        detectors[method] = {"kind": detector.kind, "fit_s": fit, "label_s": label,
                             "fit_rows": min(FIT_BARS, detector.max_fit_rows or FIT_BARS),
                             "meets_targets": fit < 30 and (label < 0.5 or method == "one_class_svm")}
    print(json.dumps({"bench": "regimes", "symbol": "BTC/USDT", "timeframe": "1h", "fit_bars": FIT_BARS,
                      "label_bars": LABEL_BARS, "detectors": detectors}))


POOL = ("xgboost,lightgbm,catboost,xgboost_deep,xgboost_dart,lightgbm_deep,lightgbm_goss,random_forest,"
        "random_forest_shallow,extra_trees,dlinear,nlinear")  # the families a 2-core CPU can walk weekly for a year


def board(pool: list[str], detector: str = "hmm", top: int = 3) -> None:
    """The walk-forward leaderboard of ``pool`` on the last two years (test = the second year, weekly refits), its
    best ``top`` models by edge over the best baseline broken down by causal regime, and the best one traded by
    the always-in policy with and without standing aside in Isolation Forest's anomalous bars, after costs."""
    from core.backtest.by_regime import by_regime
    from core.backtest.leaderboard import leaderboard
    from core.policy.stand_aside import stand_aside_report

    candles = load_candles("BTC/USDT", "1h").iloc[-FIT_BARS:]
    started = time.perf_counter()
    ranked = leaderboard(pool, candles, start=0.5, refit_every=168)
    best = [row["model"] for row in ranked.rows if row["kind"] == "model"][:top]
    regimes = by_regime(ranked, candles, detector=detector, models=best)
    aside = stand_aside_report(candles, best[0], timeframe="1h", start=0.5, refit_every=168)
    print(json.dumps({"bench": "regimes_board", "symbol": "BTC/USDT", "timeframe": "1h", "detector": detector,
                      "test_first": ranked.context["test_first"], "n_forecasts": ranked.context["n_forecasts"],
                      "ranking": [{k: row.get(k) for k in ("model", "accuracy", "accuracy_ci_low", "accuracy_ci_high",
                                                           "edge", "p_value", "verdict", "sharpe")}
                                  for row in ranked.rows],
                      "best": best, "regimes": regimes["regimes"], "board": regimes["rows"], "stand_aside": aside,
                      "seconds": round(time.perf_counter() - started, 1)}, default=str))


def ablation(model: str, detectors: str) -> None:
    """One model without and with the regime feature group on the same folds as the board."""
    from core.backtest.ablation import ablation as walk_both

    candles = load_candles("BTC/USDT", "1h").iloc[-FIT_BARS:]
    result = walk_both(model, candles, group="regimes", regime_features=detectors, start=0.5, refit_every=168)
    print(json.dumps({"bench": "regimes_ablation", "symbol": "BTC/USDT", "timeframe": "1h", **result}, default=str))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--board", nargs="?", const=POOL, default=None, metavar="MODELS",
                        help="rank these models (default: the tree and linear families) on the walk-forward "
                        "leaderboard and print the best three's accuracy by regime and the stand-aside comparison")
    parser.add_argument("--ablation", default=None, metavar="MODEL",
                        help="walk MODEL without and with the regime feature group (--detectors) on the same folds")
    parser.add_argument("--detectors", default="hmm,isolation_forest", help="the group's detectors for --ablation")
    args = parser.parse_args()
    if args.board:
        board(args.board.split(","))
    elif args.ablation:
        ablation(args.ablation, args.detectors)
    else:
        main()
