"""`lydian strategy backtest`: a model's out-of-sample forecasts traded by a policy, after costs."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from core.cli._common import (
    UsageError, add_group, add_source_args, add_test_start, add_volatility_arg, check_table_path, load, print_json,
    write_table,
)

POLICY_CHOICES = ("always", "threshold", "vol_target", "signal")
ROW = ("sharpe", "sharpe_ci_low", "sharpe_ci_high", "deflated_sharpe", "total_return", "max_drawdown", "turnover",
       "fees_paid", "breakeven_fee", "n_trades")


def add_execution_args(parser: argparse.ArgumentParser) -> None:
    """Costs and delays shared by `lydian strategy` and `lydian portfolio`."""
    parser.add_argument("--fee", type=float, default=0.001, help="fee per side as a fraction (default 0.001 = 0.1%%)")
    parser.add_argument("--slippage", type=float, default=0.0, help="slippage per side as a fraction (default 0)")
    parser.add_argument("--impact", type=float, default=0.0,
                        help="square-root market impact coefficient (default 0 = off)")
    parser.add_argument("--capital", type=float, default=100_000.0,
                        help="quote currency behind a full position, for the impact (default 100000)")
    parser.add_argument("--latency", type=int, default=0, help="extra bars between decision and fill (default 0)")


def execution_from(args: argparse.Namespace) -> Any:
    from core.policy import Execution

    if not 0 <= args.fee < 0.1 or not 0 <= args.slippage < 0.1:
        raise UsageError("--fee and --slippage are fractions per side between 0 and 0.1 (0.001 = 0.1%)")
    if args.latency < 0 or args.impact < 0 or args.capital <= 0:
        raise UsageError("--latency and --impact must be >= 0 and --capital > 0")
    return Execution(args.fee, args.slippage, args.impact, args.capital, args.latency)


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(
        commands, "strategy", "trade a model's forecasts with a policy, after costs",
        "Turn a model's walk-forward (out-of-sample) forecasts into positions with a policy, fill "
        "them at the next bar's open, pay fees and slippage, and report statistics that resist luck.",
    )
    parser = sub.add_parser(
        "backtest", help="one policy over one model's forecasts, beside buy-and-hold and a random policy",
        description="Walk the model forward, trade its forecasts with the policy (its threshold or target "
        "volatility chosen only on outcomes already known), and report Sharpe with a block-bootstrap 95% "
        "interval, the deflated Sharpe, PBO, drawdown, turnover, fees and the break-even fee, beside "
        "buy-and-hold and a random policy with the same turnover.",
        epilog="Example: lydian strategy backtest --symbol BTC --timeframe 1h --model lightgbm --policy threshold --json",
    )
    add_source_args(parser)
    parser.add_argument("--model", default="lightgbm", help="model id, baseline or 'ensemble' (default lightgbm)")
    parser.add_argument("--policy", choices=POLICY_CHOICES, default="always", help="default always")
    add_execution_args(parser)
    parser.add_argument("--horizon", type=int, default=1, help="bars ahead to forecast and hold (default 1)")
    add_test_start(parser)
    parser.add_argument("--refit-every", type=int, default=168, help="forecasts between refits (default 168)")
    parser.add_argument("--models-tried", type=int, default=1,
                        help="models compared before choosing this one; the deflated Sharpe is charged for them too "
                        "(default 1)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    add_volatility_arg(parser, "atr")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-cache", action="store_true", help="recompute the forecasts even when cached")
    parser.add_argument("--positions-out", type=Path, default=None,
                        help="write timestamp, position, asset_return, cost, net_return per bar to this .csv")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.set_defaults(handler=strategy_command)


def _num(value: Any, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) and math.isfinite(value) else "-"


def print_rows(title: str, rows: dict[str, dict[str, Any]]) -> None:
    """A plain table: one row per policy, method or baseline."""
    print(f"\n{title}")
    print(f"{'':<16} {'Sharpe':>7} {'95% CI':>16} {'DSR':>5} {'return':>8} {'max DD':>7} {'turnover':>9} "
          f"{'fees':>7} {'break-even fee':>14} {'trades':>7}")
    for name, row in rows.items():
        ci = f"{_num(row['sharpe_ci_low'], '.2f')} to {_num(row['sharpe_ci_high'], '.2f')}"
        print(f"{name:<16} {_num(row['sharpe'], '.2f'):>7} {ci:>16} {_num(row['deflated_sharpe'], '.2f'):>5} "
              f"{_num(row['total_return'], '.1%'):>8} {_num(row['max_drawdown'], '.1%'):>7} "
              f"{_num(row['turnover'], ',.0f'):>9} {_num(row['fees_paid'], '.1%'):>7} "
              f"{_num(row['breakeven_fee'], '.3%'):>14} {row['n_trades']:>7}")


def strategy_command(args: argparse.Namespace) -> int:
    from core.policy.walk import backtest_policy

    if args.horizon < 1:
        raise UsageError(f"--horizon must be at least 1, got {args.horizon}")
    if args.models_tried < 1 or args.bootstrap < 1:
        raise UsageError("--models-tried and --bootstrap must be at least 1")
    if args.positions_out is not None:
        check_table_path(args.positions_out, "--positions-out")
    execution = execution_from(args)
    candles = load(args)
    timeframe = candles.attrs.get("timeframe") or args.timeframe or "1h"
    result = backtest_policy(candles, args.model, args.policy, timeframe=timeframe, horizon=args.horizon,
                             execution=execution, start=args.test_start, refit_every=args.refit_every,
                             seed=args.seed, cache=not args.no_cache, models_tried=args.models_tried,
                             draws=args.bootstrap, volatility=args.volatility)
    if args.positions_out is not None:
        write_table(result.table.reset_index(), args.positions_out, "--positions-out", index=False)
        print(f"wrote {len(result.table):,} bars to {args.positions_out}", file=sys.stderr)
    payload = {"model": args.model, "symbol": candles.attrs.get("symbol"), "timeframe": timeframe,
               "fee": execution.fee, "slippage": execution.slippage, "first": str(result.table.index[0]),
               "last": str(result.table.index[-1]), **result.to_dict()}
    if args.json:
        print_json(payload)
        return 0
    print_rows(f"{args.policy} policy on {args.model} forecasts, {payload['symbol']} {timeframe}, "
               f"{payload['first']} to {payload['last']}, {execution.cost_per_side:.2%} per side",
               {args.policy: payload, **payload["baselines"]})
    print(f"DSR = deflated Sharpe: the probability that the true Sharpe is above what the best of "
          f"{payload['trials']} configurations would reach by luck; PBO = {_num(payload['pbo'], '.2f')}. "
          "Sharpe annualised for 24/7 markets, after costs.")
    return 0
