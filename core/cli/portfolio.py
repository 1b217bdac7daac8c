"""`lydian portfolio backtest`: a multi-market portfolio after costs, beside equal weight and buy-and-hold."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli._common import UsageError, add_group, add_test_start, print_json
from core.cli.strategy import add_execution_args, execution_from, print_rows
from core.data.timeframes import TIMEFRAMES

METHOD_CHOICES = ("equal", "inverse_vol", "min_variance", "mean_variance", "forecast")


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(
        commands, "portfolio", "multi-market portfolios after costs",
        "Portfolios over several markets: the baselines trading agents and optimisers must beat.",
    )
    parser = sub.add_parser(
        "backtest", help="one weighting method, rebalanced every k bars after costs",
        description="Weights from the past returns only (Ledoit-Wolf shrunk covariance for min_variance and "
        "mean_variance; a model's walk-forward expected returns for forecast), long-only and fully invested, "
        "filled at the next open and rebalanced every --rebalance bars after fees; beside equal weight and "
        "buy-and-hold on the same bars.",
        epilog="Example: lydian portfolio backtest --symbols BTC,ETH,SOL --timeframe 1h --method min_variance --json",
    )
    parser.add_argument("--symbols", required=True, help="comma-separated symbols, or 'all' for every bundled market")
    parser.add_argument("--timeframe", choices=list(TIMEFRAMES), default="1h", metavar="TF", help="default 1h")
    parser.add_argument("--method", choices=METHOD_CHOICES, default="equal", help="default equal")
    parser.add_argument("--start", help="first candle open time to include, e.g. 2022-09-01 (UTC)")
    parser.add_argument("--end", help="last candle open time to include (UTC)")
    parser.add_argument("--rebalance", type=int, default=24, help="bars between rebalances (default 24)")
    parser.add_argument("--lookback", type=int, default=720, help="bars of returns behind each weighting (default 720)")
    add_test_start(parser, "first traded bar", "shared bars")
    parser.add_argument("--model", default="lightgbm", help="model for --method forecast (default lightgbm)")
    parser.add_argument("--refit-every", type=int, default=168, help="forecasts between refits (default 168)")
    add_execution_args(parser)
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--no-cache", action="store_true", help="recompute the forecasts even when cached")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.set_defaults(handler=portfolio_command)


def portfolio_command(args: argparse.Namespace) -> int:
    from core.data import bundled, load_candles
    from core.portfolio import backtest_portfolio
    from core.portfolio.walk import expected_returns

    if args.rebalance < 1 or args.lookback < 2:
        raise UsageError("--rebalance must be at least 1 and --lookback at least 2")
    execution = execution_from(args)
    words = bundled.symbols() if args.symbols.strip() == "all" else [s.strip() for s in args.symbols.split(",") if s.strip()]
    candles = {}
    for word in words:
        frame = load_candles(word, args.timeframe, args.start, args.end)
        candles[frame.attrs.get("symbol", word)] = frame
    forecasts = None
    if args.method == "forecast":
        forecasts = expected_returns(candles, args.model, timeframe=args.timeframe, start=args.test_start,
                                     refit_every=args.refit_every, seed=args.seed, cache=not args.no_cache)
    result = backtest_portfolio(candles, args.method, timeframe=args.timeframe, rebalance=args.rebalance,
                                lookback=args.lookback, execution=execution, start=args.test_start,
                                forecasts=forecasts, draws=args.bootstrap, seed=args.seed)
    payload: dict[str, Any] = {"symbols": list(candles), "timeframe": args.timeframe, "fee": execution.fee,
                               "rebalance": args.rebalance, "first": str(result.table.index[0]),
                               "last": str(result.table.index[-1]), **result.to_dict()}
    if args.method == "forecast":
        payload["model"] = args.model
    if args.json:
        print_json(payload)
        return 0
    print_rows(f"{args.method} portfolio of {len(candles)} markets, {args.timeframe}, {payload['first']} to "
               f"{payload['last']}, rebalanced every {args.rebalance} bars, {execution.cost_per_side:.2%} per side",
               {args.method: payload, **payload["baselines"]})
    print("Sharpe annualised for 24/7 markets, after costs; turnover in multiples of the book; trades = rebalances.")
    return 0
