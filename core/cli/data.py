"""`lydian data ...` and `lydian features`: inspect candles and export the feature table."""

from __future__ import annotations

import argparse
import json

from core.cli._common import load, print_json, write_table


def data_list(args: argparse.Namespace) -> int:
    from core.data import available

    table = available()
    if args.json:
        print_json(json.loads(table.to_json(orient="records", date_format="iso")))
        return 0
    if table.empty:
        print("No data found. Bundled candles live in data/; see data/SOURCES.md.")
        return 0
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M")
    print(table.to_string(index=False))
    return 0


def data_info(args: argparse.Namespace) -> int:
    from core.data import quality_report

    candles = load(args)
    report = quality_report(candles, candles.attrs.get("timeframe"))
    summary = {
        "symbol": candles.attrs.get("symbol"),
        "timeframe": candles.attrs.get("timeframe"),
        "source": candles.attrs.get("source"),
        "built_from": candles.attrs.get("built_from"),
        "quality": report.to_dict(),
    }
    if args.json:
        print_json(summary)
        return 0
    quality = summary["quality"]
    name = summary["symbol"] or summary["source"]
    print(f"{name} {summary['timeframe']} ({summary['source']}, built from {summary['built_from']} bars)")
    print(f"  rows       {quality['rows']:,}")
    print(f"  range      {quality['start']} .. {quality['end']}")
    print(f"  coverage   {quality['coverage']:.2%} of {quality['expected_rows']:,} expected bars")
    print(f"  gaps       {len(quality['gaps'])} holes, {quality['missing_bars']:,} missing bars")
    for gap in sorted(quality["gaps"], key=lambda g: -g["missing_bars"])[:5]:
        print(f"             {gap['missing_bars']:>5} bars from {gap['start']}")
    print(f"  duplicates {quality['duplicates']}")
    print(f"  outliers   {len(quality['outliers'])} bars with extreme returns (robust z-score)")
    print(f"  zero vol.  {quality['zero_volume_rows']} bars")
    return 0


def features(args: argparse.Namespace) -> int:
    from core.features import build_features

    candles = load(args)
    table = build_features(candles)
    write_table(table, args.out)
    summary = {
        "out": str(args.out),
        "rows": len(table),
        "columns": table.shape[1],
        "warmup_rows": table.attrs.get("warmup_rows"),
        "start": table.index[0].isoformat() if len(table) else None,
        "end": table.index[-1].isoformat() if len(table) else None,
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"wrote {summary['rows']:,} rows x {summary['columns']} features to {args.out} "
            f"({summary['warmup_rows']} warm-up rows dropped)"
        )
    return 0
