"""`lydian quantum solve|list`: budgeted selections solved exactly, by annealing and by simulated quantum algorithms."""

from __future__ import annotations

import argparse

from core.cli._common import add_group, print_json
from core.data.timeframes import TIMEFRAMES

SOLVER_CHOICES = ("exact", "annealing", "qaoa", "vqe", "grover")


def add_commands(commands: argparse._SubParsersAction) -> None:
    sub = add_group(
        commands, "quantum", "quantum(-inspired) optimisation, classically simulated",
        "Choose k items with exact, annealing, QAOA, VQE or Grover solvers; every answer beside the exact optimum. "
        "No quantum computer is used: the quantum algorithms are classical simulations.",
    )
    solve = sub.add_parser(
        "solve", help="choose k symbols for an equal-weight portfolio",
        description="Mean-variance QUBO (Ledoit-Wolf covariance of the last --lookback shared bars) with the "
        "budget sum(x)=k as a penalty; the answer is scored against the exact optimum over every k-subset.",
        epilog="Example: lydian quantum solve --problem portfolio --symbols BTC,ETH,SOL,BNB --timeframe 1h --k 2 "
        "--solver qaoa --json",
    )
    _selection_arguments(solve, "exact")
    solve.add_argument("--end", help="last candle open time to read (UTC); nothing later is used")
    solve.set_defaults(handler=solve_command)
    judge = sub.add_parser(
        "backtest", help="quantum- against classically chosen portfolios, out of sample after costs",
        description="Along the test bars, every --rebalance bars the --solver and the exact solver each choose k "
        "symbols from the last --lookback returns (the same QUBO as solve), held equally weighted; both books, "
        "core.portfolio's mean-variance weights and equal weight are judged after costs by the policy layer.",
        epilog="Example: lydian quantum backtest --problem portfolio --symbols BTC,ETH,SOL,BNB --timeframe 1h --k 2 "
        "--solver qaoa --json",
    )
    _selection_arguments(judge, "qaoa")
    judge.add_argument("--rebalance", type=int, default=168, help="bars between selections (default 168)")
    judge.add_argument("--start", type=float, default=0.5, help="fraction of the shared bars before the test (default 0.5)")
    judge.add_argument("--fee", type=float, default=0.001, help="cost per side (default 0.001)")
    judge.set_defaults(handler=backtest_command)
    listing = sub.add_parser("list", help="solvers and the methods not built, with reasons")
    listing.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    listing.set_defaults(handler=list_command)


def _selection_arguments(parser: argparse.ArgumentParser, solver: str) -> None:
    """The problem's arguments, shared by solve and backtest."""
    parser.add_argument("--problem", choices=("portfolio",), default="portfolio", help="default portfolio")
    parser.add_argument("--symbols", required=True, help="comma-separated symbols")
    parser.add_argument("--timeframe", choices=list(TIMEFRAMES), default="1h", metavar="TF", help="default 1h")
    parser.add_argument("--k", type=int, required=True, help="how many symbols to choose")
    parser.add_argument("--solver", choices=SOLVER_CHOICES, default=solver, help=f"default {solver}")
    parser.add_argument("--lookback", type=int, default=720, help="bars of returns per choice (default 720)")
    parser.add_argument("--risk-aversion", type=float, default=1.0, help="weight of variance against mean (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def solve_command(args: argparse.Namespace) -> int:
    from core.quantum import solve
    from core.quantum.problems import portfolio_problem

    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    problem = portfolio_problem(symbols, args.timeframe, args.k, args.lookback, args.risk_aversion, args.end)
    result = solve(problem, args.solver, seed=args.seed).to_dict()
    if args.json:
        print_json(result)
        return 0
    ratio = "n/a (budget broken)" if result["approximation_ratio"] is None else f"{result['approximation_ratio']:.3f}"
    print(f"{result['solver']} ({result['label']}): {', '.join(result['selection'])}")
    print(f"objective {result['objective']:.6g} vs optimum {result['optimum']:.6g}, ratio {ratio}, "
          f"P(optimum) {result['p_optimal']:.4f}, {result['qubits']} qubits, depth {result['depth']}, {result['wall_s']:.2f} s")
    return 0


def backtest_command(args: argparse.Namespace) -> int:
    from core.data import load_candles
    from core.policy.execution import Execution
    from core.quantum.judge import judge_portfolio

    candles = {}
    for word in [s.strip() for s in args.symbols.split(",") if s.strip()]:
        frame = load_candles(word, args.timeframe)
        candles[frame.attrs.get("symbol", word)] = frame
    result = judge_portfolio(candles, args.k, args.solver, timeframe=args.timeframe, rebalance=args.rebalance,
                             lookback=args.lookback, risk_aversion=args.risk_aversion, execution=Execution(fee=args.fee),
                             start=args.start, seed=args.seed)
    if args.json:
        print_json(result)
        return 0
    quality = result["solver_quality"]
    print(f"{result['bars']} test bars from {result['first_bar']}, {result['rebalances']} selections of {args.k}, "
          f"{args.solver} ({result['label']}) chose as exact {quality['same_selection_as_exact']:.0%} of the time")
    for name, stats in result["books"].items():
        print(f"{name:17} return {stats['total_return']:+.2%}  Sharpe {stats['sharpe']:.2f} "
              f"[{stats['sharpe_ci_low']:.2f}, {stats['sharpe_ci_high']:.2f}]  deflated {stats['deflated_sharpe']:.2f}  "
              f"fees {stats['fees_paid']:.4f}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from core.quantum import catalogue

    payload = catalogue()
    if args.json:
        print_json(payload)
        return 0
    for group in ("solvers", "forecasters", "regime_detectors"):
        for name, label in payload[group].items():
            print(f"{name:15} {label}")
    for name, reason in payload["too_slow"].items():
        print(f"{name:15} too slow, not shipped: {reason}")
    for name, reason in payload["not_built"].items():
        print(f"{name:15} not built: {reason}")
    print(f"pending (meaningful, not built yet): {', '.join(payload['pending'])}")
    return 0
