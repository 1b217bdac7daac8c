"""The ``lydian`` command: the same core as the dashboard and the API, from a shell.

Bad arguments and bad data exit with code 2 and one line on stderr; ``--json`` puts exactly one
JSON document on stdout so scripts can pipe it. Heavy libraries load only inside the command
that needs them, so ``lydian --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from core import __version__
from core.data.timeframes import TIMEFRAMES
from core.errors import LydianError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _add_source_args(parser: argparse.ArgumentParser, *, default_tf: str | None = "1h") -> None:
    parser.add_argument("--symbol", help="e.g. BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    parser.add_argument(
        "--timeframe",
        choices=list(TIMEFRAMES),
        default=None,
        metavar="TF",
        help=f"one of {', '.join(TIMEFRAMES)} (default: {default_tf} for --symbol, the file's own for --file)",
    )
    parser.add_argument("--file", type=Path, help="a CSV or parquet candle file instead of --symbol")
    parser.add_argument(
        "--source",
        default="bundled",
        help="where --symbol comes from: 'bundled' (default) or 'ccxt:<exchange>' e.g. ccxt:binance",
    )
    parser.add_argument("--start", help="first candle open time to include, e.g. 2024-01-01 (UTC)")
    parser.add_argument("--end", help="last candle open time to include (UTC)")


def _load(args: argparse.Namespace):
    """Candles from --file or --symbol, at --timeframe when given."""
    from core.data import load_candles, load_candles_file, resample

    if (args.file is None) == (args.symbol is None):
        raise _UsageError("give exactly one of --symbol or --file")
    if args.symbol is not None:
        return load_candles(args.symbol, args.timeframe or "1h", args.start, args.end, source=args.source)
    if not args.file.is_file():
        raise _UsageError(f"--file {args.file}: no such file")
    candles = load_candles_file(args.file)
    for warning in candles.attrs.get("warnings", []):
        print(f"lydian: warning: {warning}", file=sys.stderr)
    own_tf = candles.attrs.get("timeframe")
    wanted = args.timeframe or own_tf
    if wanted is None:
        raise _UsageError("cannot tell the file's timeframe from its timestamps; pass --timeframe")
    if own_tf is None:
        own_tf = wanted
    attrs = {**candles.attrs, "timeframe": wanted, "built_from": own_tf}
    candles = resample(candles, own_tf, wanted).loc[args.start : args.end]
    candles.attrs = attrs
    return candles


class _UsageError(LydianError):
    """A combination of arguments that argparse cannot express."""


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, default=str))


def _cmd_data_list(args: argparse.Namespace) -> int:
    from core.data import available

    table = available()
    if args.json:
        _print_json(json.loads(table.to_json(orient="records", date_format="iso")))
        return 0
    if table.empty:
        print("No data found. Bundled candles live in data/; see data/SOURCES.md.")
        return 0
    for column in ("start", "end"):
        table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M")
    print(table.to_string(index=False))
    return 0


def _cmd_data_info(args: argparse.Namespace) -> int:
    from core.data import quality_report

    candles = _load(args)
    report = quality_report(candles, candles.attrs.get("timeframe"))
    summary = {
        "symbol": candles.attrs.get("symbol"),
        "timeframe": candles.attrs.get("timeframe"),
        "source": candles.attrs.get("source"),
        "built_from": candles.attrs.get("built_from"),
        "quality": report.to_dict(),
    }
    if args.json:
        _print_json(summary)
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


def _write_atomically(frame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise _UsageError(f"--out {out}: use a .parquet or .csv file name")
    if not out.parent.is_dir():
        raise _UsageError(f"--out {out}: folder {out.parent} does not exist")
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        frame.to_parquet(tmp) if suffix == ".parquet" else frame.to_csv(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _cmd_features(args: argparse.Namespace) -> int:
    from core.features import build_features

    candles = _load(args)
    table = build_features(candles)
    _write_atomically(table, args.out)
    summary = {
        "out": str(args.out),
        "rows": len(table),
        "columns": table.shape[1],
        "warmup_rows": table.attrs.get("warmup_rows"),
        "start": table.index[0].isoformat() if len(table) else None,
        "end": table.index[-1].isoformat() if len(table) else None,
    }
    if args.json:
        _print_json(summary)
    else:
        print(
            f"wrote {summary['rows']:,} rows x {summary['columns']} features to {args.out} "
            f"({summary['warmup_rows']} warm-up rows dropped)"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The full command tree (also used by the tests to check every --help)."""
    parser = _Parser(
        prog="lydian",
        description="Lydian: crypto candles, causal features and honest forecasts from the shell.",
        epilog="Run 'lydian COMMAND --help' for the options of a command. "
        "Examples: 'lydian data list', 'lydian data info --symbol BTC --timeframe 4h', "
        "'lydian features --symbol ETH/USDT --timeframe 1h --out eth.parquet'.",
    )
    parser.add_argument("--version", action="version", version=f"lydian {__version__}")
    parser.set_defaults(handler=None, help_parser=parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    data = commands.add_parser("data", help="list and inspect candle data", description="List and inspect candle data.")
    data.set_defaults(help_parser=data)
    data_commands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    listing = data_commands.add_parser(
        "list", help="what can be loaded", description="List every symbol/timeframe/source that can be loaded."
    )
    listing.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    listing.set_defaults(handler=_cmd_data_list)
    info = data_commands.add_parser(
        "info",
        help="rows, range and quality report of one series",
        description="Rows, range and the quality report (gaps, duplicates, outliers, coverage) of one series.",
    )
    _add_source_args(info)
    info.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    info.set_defaults(handler=_cmd_data_info)

    features = commands.add_parser(
        "features",
        help="build the causal feature table and write it to a file",
        description="Build the causal feature table (TA-Lib indicators, price, volume and time features) "
        "for one series and write it as parquet or CSV. Warm-up rows are dropped.",
    )
    _add_source_args(features)
    features.add_argument("--out", type=Path, required=True, help="output file, .parquet or .csv")
    features.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    features.set_defaults(handler=_cmd_features)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.handler is None:  # a command group without its sub-command: show what it offers
        args.help_parser.print_help()
        return 0 if args.command is None else EXIT_USAGE
    try:
        return args.handler(args)
    except LydianError as exc:
        print(f"lydian: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lydian: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, the traceback only on request
        if os.environ.get("LYDIAN_DEBUG"):
            raise
        print(f"lydian: unexpected error: {type(exc).__name__}: {exc} (set LYDIAN_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
