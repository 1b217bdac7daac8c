"""`lydian runs list|show`: the training, backtest and tuning runs tracked in MLflow (see `core.tracking`)."""

from __future__ import annotations

import argparse

from core.cli._common import UsageError, add_group, print_json

KINDS = ("train", "backtest", "tune")  # core.tracking.KINDS, spelled here so --help needs no import


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(
        commands, "runs", "tracked training, backtest and tuning runs (MLflow)",
        "List the runs logged to MLflow: a SQLite store in LYDIAN_HOME by default, or LYDIAN_MLFLOW_URI. "
        "LYDIAN_TRACKING=off stops logging.",
    )
    listing = sub.add_parser("list", help="newest runs first: id, kind, name, start, status, key metrics",
                             epilog="Example: lydian runs list --kind backtest --limit 5 --json")
    listing.add_argument("--kind", choices=KINDS, help="only runs of this kind")
    listing.add_argument("--limit", type=int, default=20, help="at most this many runs (default 20)")
    listing.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    listing.set_defaults(handler=list_command)
    show = sub.add_parser("show", help="every parameter, metric and artifact of one run")
    show.add_argument("run_id", metavar="ID", help="a run id from 'lydian runs list'")
    show.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    show.set_defaults(handler=show_command)


def list_command(args: argparse.Namespace) -> int:
    from core.tracking import list_runs, tracking_uri

    if args.limit < 1:
        raise UsageError(f"--limit {args.limit}: use 1 or more")
    runs = list_runs(args.kind, args.limit)
    if args.json:
        print_json({"store": tracking_uri(), "runs": runs})
        return 0
    if not runs:
        print(f"no {args.kind + ' ' if args.kind else ''}runs tracked yet in {tracking_uri()}; 'lydian train' or "
              "'lydian backtest' records one (unless LYDIAN_TRACKING=off)")
        return 0
    for run in runs:
        figures = ", ".join(f"{k} {v:.4g}" for k, v in run["metrics"].items())
        print(f"{run['id']}  {run['kind'] or '-':8}  {run['start']}  {run['status']:8}  {run['name']}  {figures}")
    return 0


def show_command(args: argparse.Namespace) -> int:
    from core.tracking import show_run

    run = show_run(args.run_id)
    if args.json:
        print_json(run)
        return 0
    print(f"{run['id']}  {run['kind']}  {run['name']}  {run['status']}  {run['start']} -> {run['end']}")
    for title in ("params", "metrics"):
        print(f"{title}:")
        for key, value in run[title].items():
            print(f"  {key} = {value}")
    print("artifacts: " + (", ".join(run["artifacts"]) or "none") + f" (under {run['artifact_uri']})")
    return 0
