"""Budgeted selections solved exactly, by annealing and by simulated quantum algorithms (`core.quantum`).

The same answers as ``lydian quantum solve|list``. Every result carries ``simulated: true`` and its
label: no quantum computer is reachable, the quantum algorithms run on a classical simulator.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.schemas import Strict, Symbol, Timeframe

router = APIRouter(tags=["quantum"])
MAX_CIRCUIT_ITEMS = 6  # a request must answer in seconds: larger circuits belong to `lydian quantum solve`
Ctx = Annotated[Context, Depends(context)]
Reader = Annotated[Identity, Depends(reader)]


class SolveQuery(Strict):
    symbols: list[Symbol] = Field(min_length=2, max_length=12, description="markets to choose from")
    timeframe: Timeframe = "1h"
    k: int = Field(ge=1, le=11, description="how many markets to choose")
    solver: Literal["exact", "annealing", "qaoa", "vqe", "grover"] = "exact"
    lookback: int = Field(720, ge=24, le=5_000, description="bars of returns behind the mean and covariance")
    risk_aversion: float = Field(1.0, ge=0, le=1000, description="weight of variance against mean")
    seed: int = Field(0, ge=0, le=2**31 - 1)


def _candles(query: SolveQuery, ctx: Context, command: str) -> dict[str, Any]:
    """The queried markets' candles, refused past the circuit size a request may simulate."""
    from core.quantum import SolverError

    candles = {s: ctx.markets.candles(s, query.timeframe)
               for s in dict.fromkeys(ctx.markets.check(s, query.timeframe) for s in query.symbols)}
    if query.solver in ("qaoa", "vqe", "grover") and len(candles) > MAX_CIRCUIT_ITEMS:
        raise SolverError(f"the API simulates circuits for at most {MAX_CIRCUIT_ITEMS} markets; "
                          f"use 'lydian quantum {command}' for {len(candles)}")
    return candles


@router.get("/quantum/solve", responses=READ_ERRORS,
            summary="Choose k markets (mean-variance QUBO) with one solver, scored against the exact optimum")
def quantum_solve(query: Annotated[SolveQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.quantum import solve
    from core.quantum.problems import shared_returns, window_problem

    candles = _candles(query, ctx, "solve")
    labels, returns = shared_returns(candles, query.lookback, query.timeframe)
    problem = window_problem(labels, returns, query.k, query.risk_aversion)
    return solve(problem, query.solver, seed=query.seed).to_dict()


@router.get("/quantum/list", summary="Solvers, forecasters and detectors, and the named methods not built or too slow, why")
def quantum_list(_: Reader) -> dict[str, Any]:
    from core.quantum import catalogue

    return catalogue()


class BacktestQuery(SolveQuery):
    solver: Literal["exact", "annealing", "qaoa", "vqe", "grover"] = "annealing"
    rebalance: int = Field(336, ge=24, le=5_000, description="bars between selections")
    start: float = Field(0.5, gt=0, lt=1, description="fraction of the shared bars before the test")
    fee: float = Field(0.001, ge=0, le=0.05, description="cost per side")


@router.get("/quantum/backtest", responses=READ_ERRORS,
            summary="The solver-chosen and exactly chosen k markets, held along the test bars, judged after costs")
def quantum_backtest(query: Annotated[BacktestQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.policy.execution import Execution
    from core.quantum.judge import judge_portfolio

    candles = _candles(query, ctx, "backtest")
    return judge_portfolio(candles, query.k, query.solver, timeframe=query.timeframe, rebalance=query.rebalance,
                           lookback=query.lookback, risk_aversion=query.risk_aversion,
                           execution=Execution(fee=query.fee), start=query.start, seed=query.seed)
