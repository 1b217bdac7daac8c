"""`lydian patterns-learn`: train the learned pattern detectors on the rules' labels and score them against the rules."""

from __future__ import annotations

import argparse
import math

from core.cli._common import UsageError, add_source_args, load, print_json


def add_commands(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "patterns-learn",
        help="learned pattern detectors (YOLO-style, U-Net) judged against the rule-based ones",
        description="Label the first --train share of the bars with the rule-based chart patterns, train a YOLO-style "
        "1-D detector (span and class of each pattern) and a 1-D U-Net (support/resistance zones bar by bar) on those "
        "bars only, and report on the later bars their precision, recall and span IoU against the rules (beside random "
        "spans of the same lengths) and the forward returns after their detections beside the rules' own.",
    )
    add_source_args(command)
    command.add_argument("--threshold", type=float, default=0.01,
                         help="zigzag reversal of the rules' labels, fraction of price (default 0.01 = 1%%)")
    command.add_argument("--epochs", type=int, default=20, help="training epochs of each net (default 20)")
    command.add_argument("--train", type=float, default=0.6, help="share of the bars that trains the nets (default 0.6)")
    command.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    command.set_defaults(handler=learn_command)


def learn_command(args: argparse.Namespace) -> int:
    from core import service

    if not 0 < args.threshold < 1 or not 0 < args.train < 1 or args.epochs < 1:
        raise UsageError("--threshold and --train must be fractions between 0 and 1, --epochs at least 1")
    candles = load(args)
    if candles.empty:
        raise UsageError("no candles in the chosen range")
    report = service.learned_patterns(candles, threshold=args.threshold, epochs=args.epochs, train=args.train)
    if args.json:
        print_json(report)
        return 0
    det, ret = report["detector"], report["forward_returns"]
    print(f"{report['bars']:,} bars; nets trained on the first {report['train_bars']:,}, scored from {report['test_start'][:16]}")
    print(f"detector vs rules (same class, span IoU >= {report['config']['iou']}): precision {_pct(det['precision'])}, "
          f"recall {_pct(det['recall'])}, mean IoU {det['mean_iou']:.2f} ({det['n_found']} found, {det['n_rules']} by the "
          f"rules); random spans: precision {_pct(det['chance']['precision'])}, recall {_pct(det['chance']['recall'])}")
    for zone, s in report["unet"].items():
        print(f"U-Net {zone} zones: precision {_pct(s['precision'])}, recall {_pct(s['recall'])}, IoU {_pct(s['iou'])} "
              f"(base rate {_pct(s['base_rate'])})")
    print(f"after {ret['horizon']} bars, signed by each pattern's claim: detector {_pct(ret['detector']['mean_signed_return'], 2)} "
          f"mean, {_pct(ret['detector']['hit_rate'])} hits (n={ret['detector']['n']}); rules "
          f"{_pct(ret['rules']['mean_signed_return'], 2)}, {_pct(ret['rules']['hit_rate'])} (n={ret['rules']['n']}); any bar: "
          f"{_pct(ret['base']['mean_return'], 2)} mean, {_pct(ret['base']['up_rate'])} up")
    return 0


def _pct(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}%}"
