"""Benchmark pattern detection on one year of real hourly candles; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/patterns.py

Measures what `lydian patterns` and a dashboard rerun pay on 8,760 bars of BTC/USDT 1h: the 61
TA-Lib candlestick functions, the zigzag plus every chart-pattern rule with its breakout follow-up,
and the statistics table over both, each the median of five runs.
"""

from __future__ import annotations

import json

from _timing import median_seconds

from core.data import load_candles
from core.patterns import candlestick_events, chart_patterns, pattern_stats, zigzag

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
    print(json.dumps(result))


if __name__ == "__main__":
    main()
