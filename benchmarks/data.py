"""Benchmark the candle layer; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/data.py

Measures what a dashboard rerun or a CLI call pays: a cold and a warm bundled load, resampling,
parsing an uploaded CSV of the full BTC/USDT 1h history, the quality report and ``available()``.
"""

from __future__ import annotations

import io
import json
import sys
import time

from _timing import median_seconds

from core import data
from core.data import bundled


def main() -> None:
    start = time.perf_counter()
    btc = data.load_candles("BTC/USDT", "1h")
    cold = time.perf_counter() - start
    print(f"cold load of {len(btc)} bars: {cold:.3f} s", file=sys.stderr)

    minute = bundled.read_series(bundled.source_for("BTC/USDT", "1m"))
    csv = btc.to_csv().encode()

    def upload() -> None:
        buffer = io.BytesIO(csv)
        buffer.name = "btc.csv"
        data.load_candles_file(buffer)

    result = {
        "bench": "data",
        "bars_1h": len(btc),
        "load_cold_s": round(cold, 4),
        "load_warm_s": median_seconds(lambda: data.load_candles("BTC/USDT", "1h")),
        "resample_1m_to_15m_s": median_seconds(lambda: data.resample(minute, "1m", "15m")),
        "resample_rows_1m": len(minute),
        "upload_csv_s": median_seconds(upload, repeats=3),
        "upload_csv_mb": round(len(csv) / 1e6, 2),
        "quality_report_s": median_seconds(lambda: data.quality_report(btc, "1h")),
        "available_s": median_seconds(data.available),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
