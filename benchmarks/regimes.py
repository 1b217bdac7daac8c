"""Benchmark every regime and anomaly detector on real hourly candles; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/regimes.py
    .venv/bin/python benchmarks/regimes.py --board lightgbm,xgboost,catboost


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
from core.regimes import accuracy_by_regime, label_causally, make, methods, regime_inputs, summary

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


def board(models: list[str], detector: str = "hmm") -> None:
    """Walk-forward accuracy by causal regime on the last two years: test = the second year, weekly refits."""
    from core.backtest.walkforward import walk_forward

    candles = load_candles("BTC/USDT", "1h").iloc[-FIT_BARS:]
    labelled = label_causally(candles, detector, train_bars=FIT_BARS // 2)
    predictions = {m: walk_forward(m, candles, start=0.5, refit_every=168).predictions for m in models + ["always_up"]}
    table = accuracy_by_regime(predictions, labelled.labels)
    print(json.dumps({"bench": "regimes_board", "symbol": "BTC/USDT", "timeframe": "1h", "detector": detector,
                      "test_first": str(labelled.labels.index[0]), "regimes": summary(labelled)["regimes"],
                      "board": table.round(4).to_dict(orient="records")}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--board", help="comma-separated model ids: their accuracy by regime instead of the timings")
    args = parser.parse_args()
    board(args.board.split(",")) if args.board else main()
