"""Benchmark every regime and anomaly detector on real hourly candles; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/regimes.py

Each detector is fitted on two years (17,520 bars) of BTC/USDT 1h and then labels the following
year (8,760 bars); fit is one run, labelling the median of three. Targets (issue 24): labelling
under 0.5 s for every detector but the one-class SVM, fit under 30 s. Timings depend on the machine
and on its load: say which machine, and whether it was shared, when quoting them.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    main()
