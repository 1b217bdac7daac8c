"""What every sub-command shares: the one-line-error parser, candle loading, JSON and safe writes."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from core.data.timeframes import TIMEFRAMES
from core.errors import LydianError
from core.io import write_atomically

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class UsageError(LydianError):
    """A combination of arguments that argparse cannot express."""


class CoreChoices:
    """A choice list read from core only when argparse checks a value or prints help.

    The lists live where they are implemented (e.g. `core.ensemble.combiners.METHODS`); importing
    that package for every ``lydian`` call would slow down each command, ``--help`` included.
    """

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def _values(self) -> tuple[str, ...]:
        import importlib

        return tuple(getattr(importlib.import_module(self.module), self.name))

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self) -> Any:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())

    def __getitem__(self, index: int) -> str:
        return self._values()[index]


METHODS = CoreChoices("core.ensemble.combiners", "METHODS")
CALIBRATIONS = CoreChoices("core.ensemble.calibration", "CALIBRATIONS")
VOLATILITIES = CoreChoices("core.ensemble.signal", "VOLATILITIES")


def add_group(commands: argparse._SubParsersAction, name: str, help: str, description: str
              ) -> argparse._SubParsersAction:
    """A command with subcommands (``lydian NAME SUBCOMMAND``); bare ``lydian NAME`` prints its help."""
    group = commands.add_parser(name, help=help, description=description)
    group.set_defaults(help_parser=group, handler=None)
    return group.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")


def add_ensemble_args(parser: argparse.ArgumentParser, prefix: str = "--") -> None:
    """The ensemble's members, method and calibration; unset ones come from the market's stored configuration."""
    parser.add_argument(f"{prefix}members", default=None, metavar="IDS",
                        help="models combined ('all', a family or ids a,b; default: the market's stored configuration, "
                        "else xgboost, lightgbm, catboost)")
    parser.add_argument(f"{prefix}method", default=None, choices=METHODS, metavar="METHOD",
                        help="how the members are combined: %(choices)s (default: the market's stored configuration, "
                        "else weighted)")
    parser.add_argument(f"{prefix}calibration", default=None, choices=CALIBRATIONS, metavar="CAL",
                        help="%(choices)s (default: the market's stored configuration, else platt)")


def add_volatility_arg(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """--volatility: ATR(14) or GARCH's next-bar forecast sets the stop distances, the risk score and vol_target."""
    parser.add_argument("--volatility", default=default, choices=VOLATILITIES, metavar="VOL",
                        help="%(choices)s: the unit of the stop-loss/take-profit distances, the risk score's "
                        f"volatility and vol_target's sizing (default: {default or 'the stored configuration, else atr'})")


def ensemble_changes(args: argparse.Namespace, prefix: str = "") -> dict[str, Any]:
    """The ensemble settings given on the command line (``prefix``: 'ensemble_' for backtest's flags)."""
    from core.models.registry import resolve_ids

    given = {k: getattr(args, f"{prefix}{k}") for k in ("members", "method", "calibration")}
    if given["members"] is not None:
        given["members"] = tuple(resolve_ids(given["members"]))
    return {k: v for k, v in given.items() if v is not None}


def parse_test_start(text: str) -> float | int | datetime:
    """--test-start: a fraction (0.5), a row number (5000) or a UTC time; `core.splits.first_test_row` finds its row."""
    try:
        value = float(text)
    except ValueError:
        return _utc_time(text)
    if 0 < value < 1:
        return value
    if value >= 1 and value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1 or a whole row number >= 1")


def _utc_time(text: str) -> datetime:
    """ISO 8601 only (2024-09-01, 2024-09-01T12:00, ...Z): a date format guessed wrong would move the test window."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction (0.5), a row number (5000) or a UTC date or time "
                                         "such as 2024-09-01 or 2024-09-01T12:00") from None
    if moment.utcoffset() not in (None, timedelta(0)):
        raise argparse.ArgumentTypeError(f"{text!r}: give the time in UTC (no offset, Z or +00:00)")
    return moment.replace(tzinfo=timezone.utc)


def add_test_start(parser: argparse.ArgumentParser, what: str = "first forecast", rows: str = "labelled rows") -> None:
    """The one --test-start of every walk-forward command."""
    parser.add_argument(
        "--test-start", type=parse_test_start, default=0.5, metavar="WHEN",
        help=f"{what}: a fraction of the {rows} (default 0.5), a row number (5000) or a UTC date or time "
        f"(2024-09-01, 2024-09-01T12:00); the {what} falls on the first bar at or after it",
    )


def add_backend_args(parser: argparse.ArgumentParser) -> None:
    """Where the (market x model) jobs run: the same results either way (`core.distributed`)."""
    parser.add_argument("--backend", choices=("serial", "ray"), default=None,
                        help="serial (default, or LYDIAN_BACKEND) or ray: each model a Ray task")
    parser.add_argument("--ray-address", default=None, metavar="ADDR",
                        help="Ray cluster to join, host:port (default LYDIAN_RAY_ADDRESS, "
                        "else a local Ray on 127.0.0.1)")


def add_source_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--symbol", help="e.g. BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    parser.add_argument(
        "--timeframe",
        choices=list(TIMEFRAMES),
        default=None,
        metavar="TF",
        help=f"one of {', '.join(TIMEFRAMES)} (default: 1h for --symbol, the file's own for --file)",
    )
    parser.add_argument("--file", type=Path, help="a CSV or parquet candle file instead of --symbol")
    parser.add_argument(
        "--source",
        default="bundled",
        help="where --symbol comes from: 'bundled' (default) or 'ccxt:<exchange>' e.g. ccxt:binance",
    )
    parser.add_argument("--start", help="first candle open time to include, e.g. 2024-01-01 (UTC)")
    parser.add_argument("--end", help="last candle open time to include (UTC)")


def load(args: argparse.Namespace) -> pd.DataFrame:
    """Candles from --file or --symbol, at --timeframe when given."""
    from core.data import load_candles, load_candles_file, resample

    if (args.file is None) == (args.symbol is None):
        raise UsageError("give exactly one of --symbol or --file")
    if args.symbol is not None:
        return load_candles(args.symbol, args.timeframe or "1h", args.start, args.end, source=args.source)
    if not args.file.is_file():
        raise UsageError(f"--file {args.file}: no such file")
    candles = load_candles_file(args.file)
    for warning in candles.attrs.get("warnings", []):
        print(f"lydian: warning: {warning}", file=sys.stderr)
    own_tf = candles.attrs.get("timeframe")
    wanted = args.timeframe or own_tf
    if wanted is None:
        raise UsageError("cannot tell the file's timeframe from its timestamps; pass --timeframe")
    own_tf = own_tf or wanted
    attrs = {**candles.attrs, "symbol": args.file.stem, "timeframe": wanted, "built_from": own_tf}
    candles = resample(candles, own_tf, wanted).loc[args.start : args.end]
    candles.attrs = attrs
    return candles


def print_json(payload: Any) -> None:
    print(json.dumps(payload, default=str))


def check_table_path(out: Path, option: str = "--out") -> None:
    """Refuse a bad output path before any long work starts."""
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise UsageError(f"{option} {out}: use a .parquet or .csv file name")
    if not out.parent.is_dir():
        raise UsageError(f"{option} {out}: folder {out.parent} does not exist")


def write_table(frame: pd.DataFrame, out: Path, option: str = "--out", index: bool = True) -> None:
    """Write ``frame`` as parquet or CSV (by the file name), atomically; a bad path is a usage error."""
    check_table_path(out, option)
    if out.suffix.lower() == ".parquet":
        write_atomically(out, lambda handle: frame.to_parquet(handle, index=index))
    else:
        write_atomically(out, lambda handle: handle.write(frame.to_csv(index=index).encode()))
