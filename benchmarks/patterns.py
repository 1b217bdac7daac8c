"""Benchmark pattern detection on one year of real hourly candles; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/patterns.py

Measures what `lydian patterns` and a dashboard rerun pay on 8,760 bars of BTC/USDT 1h: the 61
TA-Lib candlestick functions, the zigzag plus every chart-pattern rule with its breakout follow-up,
and the statistics table over both, each the median of five runs. Issue 23 adds the chart images
(10,000 windows of 20 bars rendered as 64 x 60 pixel images from the feature table, target under 1 s)
and the learned detectors' inference over the 8,760 bars (YOLO-style detector every 8 bars plus the U-Net
at every bar, target under 1 s; untrained weights, whose speed is that of trained ones), as wall time
and as one thread's CPU time: on the shared development machine other work runs at the same time.
"""

from __future__ import annotations

import json
import statistics
import time

from _timing import median_seconds

from core.data import load_candles
from core.features import build_features
from core.patterns import candlestick_events, chart_patterns, pattern_stats, zigzag
from core.vision.images import CANDLE_FEATURES, chart_windows, log_candles_from_features

IMAGES = 10_000

BARS = 8_760
THRESHOLD = 0.03


def main() -> None:
    candles = load_candles("BTC/USDT", "1h").iloc[-BARS:]
    candle_events = candlestick_events(candles)
    charts = chart_patterns(candles, threshold=THRESHOLD)
    result = {
        "bench": "patterns",
        "symbol": "BTC/USDT",
        "timeframe": "1h",
        "bars": len(candles),
        "start": candles.index[0].isoformat(),
        "end": candles.index[-1].isoformat(),
        "threshold": THRESHOLD,
        "candlestick_events_s": median_seconds(lambda: candlestick_events(candles)),
        "candlestick_events": len(candle_events),
        "candlestick_patterns_seen": int(candle_events["pattern"].nunique()),
        "zigzag_s": median_seconds(lambda: zigzag(candles, THRESHOLD)),
        "pivots": len(zigzag(candles, THRESHOLD)),
        "chart_patterns_s": median_seconds(lambda: chart_patterns(candles, threshold=THRESHOLD)),
        "chart_events": len(charts),
        "chart_events_confirmed": sum(e.confirmed for e in charts),
        "pattern_stats_s": median_seconds(lambda: (pattern_stats(candles, candle_events), pattern_stats(candles, charts))),
    }
    result.update(_images(), **_learned(candles))  # last: it pins torch to one thread
    print(json.dumps(result))


def _images() -> dict[str, float]:
    """Chart images of 20 bars from the candle-shape features, the way cnn_chart2d and vit_chart draw them."""
    lookback = 20
    candles = load_candles("BTC/USDT", "1h").iloc[-(IMAGES + 2 * lookback + 400):]
    values = build_features(candles)[list(CANDLE_FEATURES)].to_numpy()[-(IMAGES + 2 * lookback - 2):]
    seconds = median_seconds(lambda: chart_windows(log_candles_from_features(values), lookback, 64))
    return {"images": IMAGES, "image_shape": [64, 3 * lookback], "images_s": seconds, "images_per_s": IMAGES / seconds}


def _learned(candles) -> dict[str, float]:
    import torch

    from core.patterns._learned_nets import PatternDetector, SupportResistanceUNet
    from core.patterns.learned import CLASSES, LearnConfig, detect, zone_probabilities

    torch.manual_seed(0)
    cfg = LearnConfig()
    detector, unet = PatternDetector(cfg.window, cfg.cells, len(CLASSES)).eval(), SupportResistanceUNet().eval()
    torch.set_num_threads(1)
    return {"detector_s": median_seconds(lambda: detect(detector, candles, cfg)),
            "detector_cpu_s": _cpu_seconds(lambda: detect(detector, candles, cfg)),
            "unet_s": median_seconds(lambda: zone_probabilities(unet, candles, cfg)),
            "unet_cpu_s": _cpu_seconds(lambda: zone_probabilities(unet, candles, cfg))}


def _cpu_seconds(call, repeats: int = 5) -> float:
    """Median CPU time of one thread: on a loaded machine wall time measures the queue, this the work."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return round(statistics.median(times), 4)


if __name__ == "__main__":
    main()
