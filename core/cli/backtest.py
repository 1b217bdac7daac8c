"""`lydian backtest`: the walk-forward leaderboard, models beside the naive baselines."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from core.cli._common import (
    UsageError, add_backend_args, add_ensemble_args, add_source_args, add_test_start, check_table_path,
    ensemble_changes, load, print_json, write_table,
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "backtest", help="walk-forward leaderboard of models beside naive baselines",
        description="Walk models forward over one market: refit on an expanding (or rolling) window, "
        "predict only bars each fit has never seen, score every out-of-sample forecast and rank the models "
        "by their edge over the best naive baseline (majority direction, persistence, buy-and-hold), with 95% "
        "intervals, Holm-corrected significance tests and strategy results after fees.",
        epilog="Example: lydian backtest --symbol BTC --timeframe 1h --models lightgbm,xgboost --horizon 1",
    )
    add_source_args(parser)
    parser.add_argument("--models", default="lightgbm",
                        help="'all', a family (lstm, forest, statistical...: see 'lydian models list'), "
                        "ids a,b and/or 'ensemble' (default lightgbm)")
    add_ensemble_args(parser, "--ensemble-")
    parser.add_argument("--horizon", type=int, default=1, help="bars ahead to forecast (default 1)")
    add_test_start(parser)
    parser.add_argument("--refit-every", type=int, default=168, help="forecasts between refits (default 168)")
    parser.add_argument("--window", choices=("expanding", "rolling"), default="expanding",
                        help="training window (default expanding)")
    parser.add_argument("--train-size", type=int, default=None, help="rows per fit for --window rolling")
    parser.add_argument("--fee", type=float, default=0.001, help="fee per side as a fraction (default 0.001 = 0.1%%)")
    parser.add_argument("--slippage", type=float, default=0.0, help="slippage per side as a fraction (default 0)")
    parser.add_argument("--epochs", type=int, default=None, help="cap on epochs for the nets (default: their own)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default=None, help="auto (default), cpu, cuda or mps")
    parser.add_argument("--no-cache", action="store_true", help="recompute even when a cached result exists")
    add_backend_args(parser)
    parser.add_argument("--regime-features", default="", metavar="DETECTORS",
                        help="give the models the regime/anomaly feature group, e.g. hmm,isolation_forest (detectors "
                        "fitted inside each training window; compare with 'lydian ablation --group regimes')")
    parser.add_argument("--by-regime", nargs="?", const="hmm", default=None, metavar="DETECTOR",
                        help="also break each model's accuracy down by causal regime (default detector hmm; "
                        "adds 'by_regime' to --json)")
    parser.add_argument("--predictions-out", type=Path, default=None,
                        help="write every out-of-sample prediction to this .csv (or .parquet)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.set_defaults(handler=backtest_command)


def _check(args: argparse.Namespace) -> None:
    if args.horizon < 1:
        raise UsageError(f"--horizon must be at least 1, got {args.horizon}")
    if not 0 <= args.fee < 0.1 or not 0 <= args.slippage < 0.1:
        raise UsageError("--fee and --slippage are fractions per side between 0 and 0.1 (0.001 = 0.1%)")
    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    if args.predictions_out is not None:
        check_table_path(args.predictions_out, "--predictions-out")
    if args.regime_features:  # an unknown detector fails before any walk
        from core.regimes.features import parse

        parse(args.regime_features)
    if args.by_regime:
        from core.regimes import make

        make(args.by_regime)


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, float) and math.isfinite(value) else "-"


def _num(value: Any, spec: str = ".2f") -> str:
    return format(value, spec) if isinstance(value, (int, float)) and math.isfinite(value) else "-"


def print_board(board: dict[str, Any]) -> None:
    context, rows = board["context"], list(board["models"].values())
    print(f"\nWalk-forward on {context['symbol']} {context['timeframe']}, horizon {context['horizon']}: "
          f"{context['n_forecasts']:,} out-of-sample forecasts from {context['test_first']} to {context['test_last']}")
    print(f"{'model':<22} {'accuracy':>8} {'95% CI':>13} {'edge':>7} {'p':>6} {'Sharpe':>7} {'max DD':>7}  verdict")
    for row in rows:
        ci = f"{_pct(row['accuracy_ci_low'])}-{_pct(row['accuracy_ci_high'])}"
        edge = f"{row['edge']:+.1%}" if row.get("edge") is not None else "-"
        print(f"{row['model']:<22} {_pct(row['accuracy']):>8} {ci:>13} {edge:>7} {_num(row.get('p_value'), '.3f'):>6} "
              f"{_num(row['sharpe']):>7} {_pct(row['max_drawdown']):>7}  {row.get('verdict', '')}")
    band = board["random_band"]
    ci = f"{_pct(band['accuracy_ci_low'])}-{_pct(band['accuracy_ci_high'])}"
    sharpe = f"{_num(band['sharpe_low'])} to {_num(band['sharpe_high'])}"
    print(f"{'coin flip (95% band)':<22} {'50.0%':>8} {ci:>13} {'':>7} {'':>6} {sharpe:>7}")
    print(f"Edge = accuracy minus the best baseline ({context['best_baseline']}); p = one-sided McNemar, "
          "Holm-corrected over the models; Sharpe of the long/short strategy after fees, annualised for 24/7 markets.")


def backtest_command(args: argparse.Namespace) -> int:
    from core import forecasters, service
    from core.backtest.progress import tqdm_bars
    from core.distributed.backend import backend_for
    from core.ensemble import ENSEMBLE
    from core.models.store import Key

    _check(args)
    candles = load(args)
    key = Key(candles.attrs.get("symbol") or "uploaded", candles.attrs.get("timeframe") or "1h", args.horizon)
    ids = forecasters.resolve_ids(args.models)
    backend = backend_for(args.backend, args.ray_address)
    config = service.ensemble_config(key, **ensemble_changes(args, "ensemble_")) if ENSEMBLE in ids else None
    progress, close = tqdm_bars(len(ids))
    try:
        board = service.evaluate(
            candles, key, ids, config=config, epochs=args.epochs, cache=not args.no_cache, device=args.device,
            progress=progress, start=args.test_start, refit_every=args.refit_every,
            window=args.window, train_size=args.train_size, fee=args.fee, slippage=args.slippage, seed=args.seed,
            backend=backend, **({"regime_features": args.regime_features} if args.regime_features else {}),
        )
    finally:
        close()
    if args.predictions_out is not None:
        table = board.predictions()
        table = table[["timestamp", "model", "p_up", "realised_return", "realised_direction"]]
        write_table(table, args.predictions_out, "--predictions-out", index=False)
        print(f"wrote {len(table):,} predictions to {args.predictions_out}", file=sys.stderr)
    payload = board.to_dict()
    if args.by_regime:
        from core.backtest.by_regime import by_regime

        payload["by_regime"] = by_regime(board, candles, detector=args.by_regime, seed=args.seed)
    if args.json:
        print_json(payload)
        return 0
    print_board(payload)
    if "by_regime" in payload:
        print_by_regime(payload["by_regime"])
    return 0


def print_by_regime(report: dict[str, Any]) -> None:
    print(f"\nAccuracy by {report['detector']} regime (labelled causally), beside always-up on the same bars:")
    for row in report["rows"]:
        print(f"  {row['model']:<22} regime {row['regime']:>2}  n {row['n']:>6,}  {_pct(row['accuracy']):>6} "
              f"({_pct(row['accuracy_ci_low'])}-{_pct(row['accuracy_ci_high'])})  always-up {_pct(row['always_up'])}")
