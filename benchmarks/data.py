"""Benchmark the candle layer; the last stdout line is one JSON object.

    .venv/bin/python benchmarks/data.py

Measures what a dashboard rerun or a CLI call pays: a cold and a warm bundled load, resampling,
parsing an uploaded CSV of the full BTC/USDT 1h history, the quality report and ``available()``; and
what a hostile 2 MB upload costs before it is refused (target under 1 s each): one data row of 2 MB of
digits (the case that used to hang dateutil for minutes), and 2 MB of short rows in a non-ISO time
layout with one bad time at the end, which is read whole before it is refused.
"""

from __future__ import annotations

import io
import json
import sys
import time

from _timing import median_seconds

from core import data
from core.data import bundled
from core.errors import CandleFileError


def main() -> None:
    start = time.perf_counter()
    btc = data.load_candles("BTC/USDT", "1h")
    cold = time.perf_counter() - start
    print(f"cold load of {len(btc)} bars: {cold:.3f} s", file=sys.stderr)

    minute = bundled.read_series(bundled.source_for("BTC/USDT", "1m"))
    csv = btc.to_csv().encode()

    def upload(raw: bytes = csv) -> None:
        buffer = io.BytesIO(raw)
        buffer.name = "btc.csv"
        data.load_candles_file(buffer)

    def refused(raw: bytes) -> float:
        def attempt() -> None:
            try:
                upload(raw)
            except CandleFileError:
                return
            raise AssertionError("a hostile file was accepted")

        return median_seconds(attempt, repeats=3)

    header = b"timestamp,open,high,low,close,volume\n"
    digits = header + b"1" * 2_000_000 + b"\n"
    row = b"2024/01/01 00:00,1,2,0.5,1.5,10\n"
    rows = header + row * ((2_000_000 - len(header)) // len(row) - 1) + b"2024/13/45 99:99,1,2,0.5,1.5,10\n"

    result = {
        "bench": "data",
        "bars_1h": len(btc),
        "load_cold_s": round(cold, 4),
        "load_warm_s": median_seconds(lambda: data.load_candles("BTC/USDT", "1h")),
        "resample_1m_to_15m_s": median_seconds(lambda: data.resample(minute, "1m", "15m")),
        "resample_rows_1m": len(minute),
        "upload_csv_s": median_seconds(upload, repeats=3),
        "upload_csv_mb": round(len(csv) / 1e6, 2),
        "upload_hostile_digits_s": refused(digits),
        "upload_hostile_rows_s": refused(rows),
        "upload_hostile_mb": round(len(rows) / 1e6, 2),
        "quality_report_s": median_seconds(lambda: data.quality_report(btc, "1h")),
        "available_s": median_seconds(data.available),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
