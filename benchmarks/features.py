"""Benchmark `build_features` on 100k real 1h bars; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/features.py [--bars N] [--repeats R]

Progress goes to stderr. `long_history` is also used by tests/test_features.py, so the test
and the benchmark build exactly the same frame.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "data"
TARGET_SECONDS = 0.5


def _read(name: str) -> pd.DataFrame:
    return pd.read_parquet(DATA / name).set_index("timestamp")


def long_history(bars: int = 100_000) -> pd.DataFrame:
    """``bars`` real hourly candles: all of BTC/USDT 1h, continued by ETH/USDT 1h.

    The ETH prices are multiplied by one constant (last BTC close / first ETH open) so the
    join has no price jump, and its volumes by one constant (BTC median / ETH median volume)
    so the volume level does not step either. The whole series is then laid on a continuous
    hourly grid starting at BTC's first bar: values are real bars, timestamps are synthetic
    (holes of the originals are closed), which only affects the time features.
    """
    btc, eth = _read("binance_BTC-USDT_1h.parquet"), _read("binance_ETH-USDT_1h.parquet")
    rest = eth.iloc[: max(bars - len(btc), 0)].copy()
    price_factor = btc["close"].iloc[-1] / eth["open"].iloc[0]
    rest[["open", "high", "low", "close"]] *= price_factor
    rest["volume"] *= btc["volume"].median() / eth["volume"].median()
    frame = pd.concat([btc, rest]).iloc[:bars]
    if len(frame) < bars:
        raise ValueError(f"only {len(frame)} bars of BTC + ETH 1h data, asked for {bars}")
    frame.index = pd.date_range(btc.index[0], periods=bars, freq="h", name="timestamp")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    from core.features import INDICATOR_GROUPS, build_features, feature_groups

    candles = long_history(args.bars)
    print(f"built {len(candles)} bars; first build (TA-Lib spec, first touch of memory)", file=sys.stderr)
    start = time.perf_counter()
    frame = build_features(candles)
    first = time.perf_counter() - start
    del frame
    seconds = []
    for i in range(args.repeats):
        start = time.perf_counter()
        build_features(candles)
        seconds.append(time.perf_counter() - start)
        print(f"repeat {i + 1}/{args.repeats}: {seconds[-1]:.3f} s", file=sys.stderr)

    tracemalloc.start()
    frame = build_features(candles)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    groups = feature_groups()
    result = {
        "bench": "features",
        "bars": len(candles),
        "seconds_median": round(statistics.median(seconds), 4),
        "seconds_min": round(min(seconds), 4),
        "seconds_first_call": round(first, 4),
        "repeats": args.repeats,
        "target_seconds": TARGET_SECONDS,
        "columns": frame.shape[1],
        "indicator_columns": sum(groups[c] in INDICATOR_GROUPS for c in frame.columns),
        "warmup_rows": frame.attrs["warmup_rows"],
        "output_mb": round(frame.memory_usage(index=False).sum() / 2**20, 1),
        "peak_tracemalloc_mb": round(peak / 2**20, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # KiB on Linux
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
