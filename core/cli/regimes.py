"""`lydian regimes` and `lydian anomalies`: causal regime labels and anomaly scores of one series."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli._common import (
    CoreChoices, UsageError, add_source_args, add_test_start, check_table_path, load, print_json, write_table,
)

if TYPE_CHECKING:
    import pandas as pd


class _Methods(CoreChoices):
    def _values(self) -> tuple[str, ...]:
        from core.regimes import methods

        return methods()


def _whole(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {low}")
        return value
    return parse


def _common(command: argparse.ArgumentParser, default: str) -> None:
    add_source_args(command)
    command.add_argument("--method", default=default, choices=_Methods("core.regimes", "methods"), metavar="METHOD",
                         help=f"detector: %(choices)s (default {default})")
    command.add_argument("--regimes", type=_whole(2), default=2, help="number of regimes, 2-10 (default 2; "
                         "DBSCAN finds its own; anomaly detectors label 0 normal / 1 anomalous)")
    command.add_argument("--train-bars", type=_whole(20), default=None, metavar="N",
                         help="fit on the first N bars and label every later bar (default: the first half, the usual "
                         "first walk-forward window)")
    command.add_argument("--refit-every", type=_whole(1), default=168, metavar="BARS",
                         help="refit after this many labelled bars, fitting on all earlier bars (default 168)")
    command.add_argument("--contamination", type=float, default=0.01,
                         help="share of training bars an anomaly detector marks anomalous (default 0.01)")
    command.add_argument("--labels-out", type=Path, default=None, metavar="FILE.csv",
                         help="write timestamp, regime, anomaly_score per labelled bar (.csv or .parquet)")
    command.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def add_commands(commands: argparse._SubParsersAction) -> None:
    regimes = commands.add_parser(
        "regimes", help="market regimes labelled causally (K-Means, DBSCAN, HMM, ...)",
        description="Fit a regime detector on the first bars and label every later bar from bars up to it only, "
        "refitting on the walk-forward schedule; regime ids are matched across refits (Hungarian on centroids). "
        "Prints each regime's share, volatility, mean return and mean duration, and the transition matrix.")
    _common(regimes, "kmeans")
    regimes.set_defaults(handler=regimes_command)
    anomalies = commands.add_parser(
        "anomalies", help="anomalous bars found causally (Isolation Forest, one-class SVM, autoencoder)",
        description="Same causal walk as 'lydian regimes' with an anomaly detector: every later bar gets an anomaly "
        "score (higher = more anomalous) and is marked anomalous when it passes the training window's "
        "(1 - contamination) quantile.")
    _common(anomalies, "isolation_forest")
    anomalies.add_argument("--last", type=_whole(1), default=10, help="how many recent anomalies to list (default 10)")
    anomalies.add_argument("--policy-model", default=None, metavar="MODEL",
                           help="also walk MODEL forward and trade it with and without standing aside in the bars "
                           "marked anomalous, after costs (adds 'stand_aside' to --json)")
    anomalies.add_argument("--policy", choices=CoreChoices("core.policy.policies", "POLICIES"), default="always",
                           metavar="POLICY",  # no choices listed in the usage: that would import the policies on every call
                           help="policy of that comparison, see 'lydian strategy --help' (default always: long/short, "
                           "flat when stood aside)")
    anomalies.add_argument("--fee", type=float, default=0.001, help="fee per side as a fraction (default 0.001)")
    add_test_start(anomalies, "first forecast of --policy-model")
    anomalies.set_defaults(handler=anomalies_command)


def _run(args: argparse.Namespace, candles: pd.DataFrame | None = None) -> Any:
    from core.regimes import label_causally

    if args.labels_out is not None:
        check_table_path(args.labels_out, "--labels-out")
    if not 0 < args.contamination < 0.5:
        raise UsageError(f"--contamination {args.contamination}: give a share between 0 and 0.5, e.g. 0.01")
    candles = load(args) if candles is None else candles
    if args.train_bars is not None and args.train_bars >= len(candles):
        raise UsageError(f"--train-bars {args.train_bars}: the series has only {len(candles)} bars")
    labelled = label_causally(candles, args.method, n_regimes=args.regimes, train_bars=args.train_bars,
                              refit_every=args.refit_every, contamination=args.contamination)
    if args.labels_out is not None:
        write_table(labelled.labels.reset_index(), args.labels_out, "--labels-out", index=False)
    return labelled


def regimes_command(args: argparse.Namespace) -> int:
    from core.regimes import summary

    report = summary(_run(args))
    if args.json:
        print_json(report)
        return 0
    print(f"{report['method']}: {report['n_labelled']:,} bars labelled causally from {report['first_labelled'][:16]}"
          f" ({report['matching']['refits']} fits)")
    print(f"  {'regime':>6} {'share':>7} {'vol/bar':>9} {'mean ret':>10} {'duration':>9}")
    for row in report["regimes"]:
        print(f"  {row['regime']:>6} {row['share']:>7.1%} {row['volatility'] or 0:>9.4f} "
              f"{row['mean_return'] or 0:>10.5f} {row['mean_duration'] or 0:>9.1f}")
    print("  transitions (row = from, column = to): " + "; ".join(
        f"{a}->" + ",".join(f"{b}:{p:.3f}" for b, p in row.items()) for a, row in report["transition_matrix"].items()))
    if report["matching"]["mean_centroid_distance"] is not None:
        print(f"  id matching across refits: mean centroid distance {report['matching']['mean_centroid_distance']:.3f}"
              f", worst {report['matching']['worst_centroid_distance']:.3f} (training standard units)")
    return 0


def anomalies_command(args: argparse.Namespace) -> int:
    from core.regimes.summary import anomaly_report

    if args.policy_model is not None and not 0 <= args.fee < 0.1:
        raise UsageError("--fee is a fraction per side between 0 and 0.1 (0.001 = 0.1%)")
    candles = load(args)
    report = anomaly_report(_run(args, candles), args.last)
    if args.policy_model is not None:
        report["stand_aside"] = _stand_aside(args, candles)
    if args.json:
        print_json(report)
        return 0
    if report["kind"] != "anomaly":
        print(f"lydian: note: {report['method']} is a regime detector; listing its highest scores", file=sys.stderr)
    print(f"{report['method']}: {report['n_labelled']:,} bars scored causally from {report['first_labelled'][:16]}; "
          f"{report['n_anomalies'] if report['n_anomalies'] is not None else '-'} marked anomalous")
    for row in report["recent"]:
        print(f"  {row['timestamp'][:16]}  score {row['anomaly_score']:.4f}")
    if "stand_aside" in report:
        _print_stand_aside(report["stand_aside"])
    return 0


def _stand_aside(args: argparse.Namespace, candles: pd.DataFrame) -> dict[str, Any]:
    from core.policy.execution import Execution
    from core.policy.stand_aside import stand_aside_report

    timeframe = args.timeframe or candles.attrs.get("timeframe", "1h")
    return stand_aside_report(candles, args.policy_model, timeframe=timeframe, detector=args.method,
                              policy=args.policy, execution=Execution(fee=args.fee), start=args.test_start,
                              refit_every=args.refit_every, contamination=args.contamination)


def _print_stand_aside(report: dict[str, Any]) -> None:
    print(f"{report['model']} traded by '{report['policy']}' after costs, {report['n_forecasts']:,} forecasts; "
          f"{report['bars_stood_aside']:,} stood aside ({report['detector']}):")
    for side in ("without", "with"):
        row = report[side]
        print(f"  {side:<8} Sharpe {row['sharpe'] or 0:>6.2f} (95% CI {row['sharpe_ci_low'] or 0:.2f} to "
              f"{row['sharpe_ci_high'] or 0:.2f})  return {row['total_return'] or 0:>7.1%}  turnover "
              f"{row['turnover'] or 0:,.0f}  flat bars {row['flat_bars']:,}")
