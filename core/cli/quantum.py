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
    solve.add_argument("--problem", choices=("portfolio",), default="portfolio", help="default portfolio")
    solve.add_argument("--symbols", required=True, help="comma-separated symbols")
    solve.add_argument("--timeframe", choices=list(TIMEFRAMES), default="1h", metavar="TF", help="default 1h")
    solve.add_argument("--k", type=int, required=True, help="how many symbols to choose")
    solve.add_argument("--solver", choices=SOLVER_CHOICES, default="exact", help="default exact")
    solve.add_argument("--lookback", type=int, default=720, help="bars of returns (default 720)")
    solve.add_argument("--risk-aversion", type=float, default=1.0, help="weight of variance against mean (default 1)")
    solve.add_argument("--end", help="last candle open time to read (UTC); nothing later is used")
    solve.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    solve.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    solve.set_defaults(handler=solve_command)
    listing = sub.add_parser("list", help="solvers and the methods not built, with reasons")
    listing.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    listing.set_defaults(handler=list_command)


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


def list_command(args: argparse.Namespace) -> int:
    from core.quantum import NOT_BUILT, PENDING, SOLVERS

    payload = {"solvers": {name: label for name, (_, label) in SOLVERS.items()}, "not_built": NOT_BUILT, "pending": list(PENDING),
               "simulated": True}
    if args.json:
        print_json(payload)
        return 0
    for name, label in payload["solvers"].items():
        print(f"{name:10} {label}")
    for name, reason in NOT_BUILT.items():
        print(f"{name:10} not built: {reason}")
    print(f"pending (meaningful, not built yet): {', '.join(payload['pending'])}")
    return 0
