"""The ``lydian`` command: the same core as the dashboard and the API, from a shell.

Bad arguments and bad data exit with code 2 and one line on stderr; ``--json`` puts exactly one
JSON document on stdout so scripts can pipe it. Heavy libraries load only inside the command
that needs them, so ``lydian --help`` stays quick.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core import __version__
from core.cli import api, backtest, data, explain, models, patterns, portfolio, quantum, regimes, sentiment, strategy
from core.cli import agents as agents_cli
from core.cli import learned_patterns
from core.cli import runs as runs_cli
from core.cli import tune as tune_cli
from core.cli._common import EXIT_USAGE, Parser, add_group, add_source_args
from core.errors import LydianError


def _data_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(commands, "data", "list and inspect candle data", "List and inspect candle data.")
    listing = sub.add_parser("list", help="what can be loaded", description="List every symbol/timeframe/source that can be loaded.")
    listing.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    listing.set_defaults(handler=data.data_list)
    info = sub.add_parser(
        "info",
        help="rows, range and quality report of one series",
        description="Rows, range and the quality report (gaps, duplicates, outliers, coverage) of one series.",
    )
    add_source_args(info)
    info.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    info.set_defaults(handler=data.data_info)

    features = commands.add_parser(
        "features",
        help="build the causal feature table and write it to a file",
        description="Build the causal feature table (TA-Lib indicators, price, volume and time features) "
        "for one series and write it as parquet or CSV. Warm-up rows are dropped.",
    )
    add_source_args(features)
    features.add_argument("--out", type=Path, required=True, help="output file, .parquet or .csv")
    features.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    features.set_defaults(handler=data.features)


def build_parser() -> argparse.ArgumentParser:
    """The full command tree (also used by the tests to check every --help)."""
    parser = Parser(
        prog="lydian",
        description="Lydian: crypto candles, causal features and honest forecasts from the shell.",
        epilog="Run 'lydian COMMAND --help' for the options of a command. Examples: 'lydian data list', "
        "'lydian data info --symbol BTC --timeframe 4h', 'lydian models list', "
        "'lydian train --symbol BTC --timeframe 1h --models lightgbm', 'lydian predict --symbol BTC --model lightgbm'.",
    )
    parser.add_argument("--version", action="version", version=f"lydian {__version__}")
    parser.set_defaults(handler=None, help_parser=parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _data_commands(commands)
    models.add_commands(commands)
    api.add_commands(commands)
    explain.add_commands(commands)
    patterns.add_commands(commands)
    learned_patterns.add_commands(commands)
    backtest.add_commands(commands)
    strategy.add_commands(commands)
    portfolio.add_commands(commands)
    regimes.add_commands(commands)
    quantum.add_commands(commands)
    agents_cli.add_commands(commands)
    sentiment.add_commands(commands)
    runs_cli.add_commands(commands)
    tune_cli.add_commands(commands)
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
