"""`lydian patterns`: recent candlestick and chart pattern events, and what followed them historically."""

from __future__ import annotations

import argparse
import math

import pandas as pd

from core.cli._common import UsageError, add_source_args, load, print_json


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a fraction of price between 0 and 1, e.g. 0.03 for 3%")
    return value


def add_commands(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "patterns",
        help="candlestick and chart patterns, measured against the base rate",
        description="Detect the 61 TA-Lib candlestick patterns and chart patterns (head and shoulders, double "
        "tops/bottoms, triangles, wedges, channels, support/resistance) from confirmed zigzag pivots; print the "
        "most recent events and, for every pattern, the hit rate of its claimed direction 1, 4 and 24 bars after "
        "the bar it was known at, with a 95% Wilson interval, beside the base rate of the same series.",
    )
    add_source_args(command)
    command.add_argument("--last", type=_positive_int, default=20, help="how many recent events to show (default 20)")
    command.add_argument("--threshold", type=_fraction, default=0.03,
                         help="zigzag reversal that confirms a pivot, fraction of price (default 0.03 = 3%%)")
    command.add_argument("--min-events", type=_positive_int, default=30,
                         help="fewer events than this and a pattern shows only its count (default 30)")
    command.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    command.set_defaults(handler=patterns_command)


def patterns_command(args: argparse.Namespace) -> int:
    from core import service

    candles = load(args)
    if candles.empty:
        raise UsageError("no candles in the chosen range")
    report = service.patterns(candles, last=args.last, threshold=args.threshold, min_events=args.min_events)
    if args.json:
        print_json(report.to_dict())
        return 0
    name = candles.attrs.get("symbol") or "candles"
    print(f"{name} {candles.attrs.get('timeframe', '')}: {len(candles):,} bars {candles.index[0]:%Y-%m-%d %H:%M} .. "
          f"{candles.index[-1]:%Y-%m-%d %H:%M}; {len(report.candlestick):,} candlestick and {len(report.charts):,} "
          "chart events")
    print(f"\nLast {len(report.events)} events (time = the bar at whose close it was known):")
    for event in report.events:
        print(f"  {event['time'][:16]:<17} {event['kind']:<11} {event['pattern']:<28} {event['direction']:<8} "
              f"{event['detail']}")
    print(_stats_text(report.stats, args.min_events))
    return 0


def _cell(row: pd.Series) -> str:
    if math.isnan(row["hit_rate"]):
        return f"{'n=' + str(row['n']) + ' too few':<27}"
    return (f"{row['hit_rate']:6.1%} ({row['hit_rate_ci_low']:.0%}-{row['hit_rate_ci_high']:.0%}) "
            f"base {row['base_hit_rate']:.1%}").ljust(27)


def _stats_text(stats: pd.DataFrame, min_events: int) -> str:
    from core.patterns.report import HORIZONS

    lines = [
        "\nWhat followed each pattern: hit rate of its claimed direction (95% CI) vs the base rate of any bar; "
        f"n = events, fewer than {min_events} shows only n; neutral = share of up moves.",
        f"  {'pattern':<28} {'dir':<8} {'n':>6}  "
        + "".join(f"{f'after {h} bar' + 's' * (h > 1):<29}" for h in HORIZONS),
    ]
    first = stats[stats["horizon"] == HORIZONS[0]].sort_values(["kind", "n"], ascending=[True, False])
    order = {key: rank for rank, key in enumerate(zip(first["kind"], first["pattern"], first["direction"]))}
    keys = zip(stats["kind"], stats["pattern"], stats["direction"])
    ranked = stats.assign(rank=[order.get(key, len(order)) for key in keys])
    for (kind, pattern, direction), group in ranked.sort_values("rank", kind="stable").groupby(
        ["kind", "pattern", "direction"], sort=False
    ):
        group = group.set_index("horizon")
        cells = "  ".join(_cell(group.loc[h]) for h in HORIZONS if h in group.index)
        lines.append(f"  {pattern:<28} {direction:<8} {int(group['n'].max()):>6}  {cells}")
    return "\n".join(lines)
