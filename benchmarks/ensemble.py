"""Ensemble inference speed: the signal of an ensemble of every single model for one symbol, and a batch.

Ensembles are trained quickly into a temporary model store (nets for one epoch: latency does not
depend on how well a net learnt), on the last 4,000 bars of each bundled 1h symbol. Measured warm
(the stored ensemble loaded): one symbol's signal over all single models with its recent features
cached and with them recomputed (a new candle), and `ensemble_signals` over a batch of 100 (each
bundled symbol ten times, the default three-booster ensemble), with features recomputed and cached,
median of several passes.
Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("LYDIAN_HOME", tempfile.mkdtemp(prefix="lydian_bench_home_"))
os.environ["LYDIAN_ARTIFACTS"] = tempfile.mkdtemp(prefix="lydian_bench_artifacts_")

from core.data import available, load_candles  # noqa: E402
from core.ensemble import ensemble_signal, ensemble_signals  # noqa: E402
from core.ensemble import live  # noqa: E402
from core.ensemble.model import EnsembleConfig  # noqa: E402
from core.models import registry  # noqa: E402
from core.models.store import Key  # noqa: E402
from core.models.training import train_models  # noqa: E402

BARS = 4_000
PASSES = 7  # batch passes; the median is reported (one pass varies by a third on a shared CPU)


def _train(symbol: str, config: EnsembleConfig) -> tuple:
    """The ensemble of ``config`` (its members fitted inside it) on the symbol's recent bars."""
    candles = load_candles(symbol, "1h").iloc[-BARS:]
    key = Key(symbol, "1h", 1)
    quick = {m: {"max_epochs": 1} for m in config.members if registry.spec(m).sequence}
    settings = {"members": config.members, "member_overrides": quick}
    train_models(candles, key, ["ensemble"], source="bundled", overrides={"ensemble": settings})
    return candles, key


def _p50_ms(call, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(float(np.median(times)) * 1000, 2), round(float(np.percentile(times, 95)) * 1000, 2)


def main() -> None:
    ids = [m for m in registry.model_ids() if registry.spec(m).available]
    quick = {m: {"max_epochs": 1} for m in ids if registry.spec(m).sequence}
    everything = EnsembleConfig(members=tuple(ids), member_overrides=quick)
    started = time.perf_counter()
    candles, key = _train("BTC/USDT", everything)
    report: dict = {"members": len(ids), "train_seconds": round(time.perf_counter() - started, 1)}
    ensemble_signal(candles, key, config=everything)  # loads the stored ensemble
    report["one_symbol_cached_features_ms"] = _p50_ms(lambda: ensemble_signal(candles, key, config=everything), 30)

    def fresh() -> None:
        live._features.clear()  # as if a new candle had arrived
        ensemble_signal(candles, key, config=everything)

    report["one_symbol_with_features_ms"] = _p50_ms(fresh, 15)
    report["target_ms"] = 25

    symbols = sorted(set(available().query("timeframe == '1h' and source == 'bundled'")["symbol"]))
    markets = [_train(s, EnsembleConfig()) for s in symbols]  # the default ensemble: three boosters
    batch_of_100 = markets * (100 // len(markets))  # each symbol ten times: as many feature builds as 100 symbols
    ensemble_signals(batch_of_100)  # also starts the feature workers

    def batch(fresh: bool) -> float:
        if fresh:
            live._features.clear()  # a new candle for every symbol
        started = time.perf_counter()
        ensemble_signals(batch_of_100)
        return time.perf_counter() - started

    scaled = {fresh: sorted(batch(fresh) for _ in range(PASSES)) for fresh in (True, False)}
    report["batch_of_100"] = {
        "symbols": len(markets), "passes": PASSES,
        "seconds": round(float(np.median(scaled[True])), 3),
        "range_s": [round(scaled[True][0], 3), round(scaled[True][-1], 3)],
        "cached_features_s": round(float(np.median(scaled[False])), 3),
        "target_s": 1.0,
        "note": "ensemble_signals over the bundled 1h symbols, each ten times: 100 feature builds (recomputed "
                "unless 'cached') and 100 signals of the default three-booster ensemble; median of the passes",
    }
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
