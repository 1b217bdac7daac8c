"""`lydian explain`: why a stored model forecasts what it does, as SHAP values from the shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli._common import EXIT_USAGE, add_source_args, load, print_json


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "explain", help="why a trained model forecasts what it does (SHAP by feature, group and lag)",
        description="SHAP values of a stored model's forecast (in log-odds of P(up); positive pushes towards up), "
        "by feature, by feature group and, for sequence models, by bar of the look-back window. "
        "Uses the promoted version, else the latest.",
    )
    add_source_args(parser)
    parser.add_argument("--model", required=True, help="a trained model id (see 'lydian models list')")
    parser.add_argument("--horizon", type=int, default=1, help="bars ahead the model forecasts (default 1)")
    parser.add_argument("--at", default=None, metavar="TIMESTAMP",
                        help="explain the forecast made at this candle (UTC open time, or the last one before it; "
                        "default: the latest candle)")
    parser.add_argument("--top", type=int, default=15, help="features to list (default 15; --json has them all)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.set_defaults(handler=explain_command)


def explain_command(args: argparse.Namespace) -> int:
    from core import service
    from core.data import normalize_symbol
    from core.models import registry
    from core.models.store import Key, ModelStore

    registry.spec(args.model)  # an unknown id fails with the list of known ones
    candles = load(args)
    key = Key(normalize_symbol(candles.attrs.get("symbol") or args.symbol),
              candles.attrs.get("timeframe") or args.timeframe, args.horizon)
    if not ModelStore().versions(key, args.model):
        source = f"--file {args.file}" if args.file is not None else f"--symbol {key.symbol}"
        print(f"lydian: error: no trained {args.model} for {key.symbol} {key.timeframe} horizon {key.horizon}; "
              f"run 'lydian train {source} --timeframe {key.timeframe} --horizon {key.horizon} "
              f"--models {args.model}' first", file=sys.stderr)
        return EXIT_USAGE
    version = service.model(key, args.model).meta_["version"]
    result = service.explain(candles, key, args.model, version, at=args.at)
    header = {"version": version, "symbol": key.symbol, "timeframe": key.timeframe,
              "horizon": key.horizon}
    if args.json:
        print_json({**header, **result.to_dict(), "top": result.top(args.top)})
        return 0
    _print_text(result, header, args.top)
    return 0


def _print_text(result: Any, header: dict[str, Any], top: int) -> None:
    total = sum(result.features.values())
    print(f"{result.model_id} v{header['version']} on {header['symbol']} {header['timeframe']}, "
          f"forecast made at the candle of {result.time} ({result.method} SHAP):")
    print(f"  P(up over {header['horizon']} bar(s)) = {result.p_up:.3f}; in log-odds: base {result.base_value:+.3f} "
          f"+ features {total:+.3f} = {result.base_value + total:+.3f} (model {result.model_output:+.3f})")
    print(f"\n  {'feature':<32} {'SHAP':>8} {'value':>12}  group")
    for row in result.top(top):
        print(f"  {row['feature']:<32} {row['shap']:>+8.4f} {row['value']:>12.5g}  {row['group']}")
    groups = sorted(result.groups.items(), key=lambda item: -abs(item[1]))
    print("\n  by group: " + ", ".join(f"{name} {value:+.3f}" for name, value in groups))
    if result.lags is not None:
        lags = sorted(result.lags.items(), key=lambda item: -abs(item[1]))[:5]
        print("  strongest bars of the window (lag_k: k bars before the forecast bar): "
              + ", ".join(f"{name} {value:+.3f}" for name, value in lags))
    print("  Positive values pushed the forecast towards up.")
