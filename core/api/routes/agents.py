"""Reinforcement-learning agents (`core.agents`): the list and a bounded walk-forward backtest.

The same figures as ``lydian agents list|backtest``. A request trains every fold's agent inside the
call, so its budget (bars, steps, seeds) is capped to answer in well under a minute; the full
walk-forward budget belongs to the CLI and ``benchmarks/agents.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.schemas import ModelName, Strict, Symbol, Timeframe
from core.errors import LydianError
from core.models.registry import UnknownModelError

router = APIRouter(tags=["agents"])
Ctx = Annotated[Context, Depends(context)]
Reader = Annotated[Identity, Depends(reader)]


class AgentBacktestQuery(Strict):
    symbol: Symbol = Field(description="BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    timeframe: Timeframe = "1h"
    agents: list[ModelName] = Field(min_length=1, max_length=4, description="agent ids, see /agents/list")
    seeds: int = Field(2, ge=1, le=5)
    steps: int = Field(2000, ge=64, le=10_000, description="environment steps per fold")
    fee: float = Field(0.001, ge=0, lt=0.1, description="fee per side as a fraction")
    latency: int = Field(0, ge=0, le=24, description="extra bars between decision and fill")
    bars: int = Field(1500, ge=300, le=5000, description="most recent bars; the first 60 % train the first fold")
    reward: Literal["log_return", "differential_sharpe"] = "log_return"


@router.get("/agents/list", responses=READ_ERRORS,
            summary="Every named RL method: family, library, and why a method is not available")
def agents_list(_: Reader) -> list[dict[str, Any]]:
    from core.agents import AGENTS

    return [spec.describe() for spec in AGENTS.values()]


@router.get("/agents/backtest", responses=READ_ERRORS,
            summary="Walk-forward after-cost agents over seeds, with deflated Sharpe, beside buy-and-hold")
def agents_backtest(query: Annotated[AgentBacktestQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.agents import WalkConfig, agent_spec, walk_forward
    from core.policy import Execution

    for agent_id in query.agents:
        try:
            agent_spec(agent_id)
        except LydianError as exc:  # an id that is not an agent here: 404, as for an unknown model
            raise UnknownModelError(str(exc)) from None
    symbol = ctx.markets.check(query.symbol, query.timeframe)
    candles = ctx.markets.candles(symbol, query.timeframe).iloc[-query.bars:]
    train = int(len(candles) * 0.6)
    config = WalkConfig(train, max(1, (len(candles) - train) // 2), query.steps, query.seeds, 16, query.reward)
    result = walk_forward(candles, query.agents, config, Execution(query.fee, latency=query.latency), query.timeframe)
    return {"symbol": symbol, "timeframe": query.timeframe, **result}
