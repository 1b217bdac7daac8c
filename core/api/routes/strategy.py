"""Trading the forecasts after costs (`core.policy`) and multi-market portfolios (`core.portfolio`).

The same figures as ``lydian strategy backtest`` and ``lydian portfolio backtest``. A request runs a
walk-forward (cached by the core once computed), so it is bounded to the most recent ``bars``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.schemas import Market, ModelName, Strict, Symbol, Timeframe
from core.policy.policies import POLICIES
from core.portfolio.weights import METHODS

router = APIRouter(tags=["strategy"])
Ctx = Annotated[Context, Depends(context)]
Reader = Annotated[Identity, Depends(reader)]


class Costs(Strict):
    fee: float = Field(0.001, ge=0, lt=0.1, description="fee per side as a fraction (0.001 = 0.1 %)")
    slippage: float = Field(0.0, ge=0, lt=0.1, description="slippage per side as a fraction")
    latency: int = Field(0, ge=0, le=24, description="extra bars between decision and fill")


class StrategyQuery(Market, Costs):
    model: ModelName = Field("lightgbm", description="the model whose walk-forward forecasts are traded")
    policy: Literal[POLICIES] = "threshold"  # type: ignore[valid-type]
    bars: int = Field(4000, ge=500, le=20_000, description="most recent bars; forecasts start half-way")


class PortfolioQuery(Costs):
    symbols: list[Symbol] = Field(min_length=2, max_length=20)
    timeframe: Timeframe = "1h"
    method: Literal[METHODS] = "equal"  # type: ignore[valid-type]
    model: ModelName = Field("lightgbm", description="forecasts for method=forecast")
    rebalance: int = Field(24, ge=1, le=10_000, description="bars between rebalances")
    lookback: int = Field(720, ge=24, le=10_000, description="bars of returns behind each weighting")
    bars: int = Field(8760, ge=500, le=40_000, description="most recent shared bars; trading starts half-way")


@router.get("/strategy/backtest", responses=READ_ERRORS,
            summary="A policy trading a model's out-of-sample forecasts after costs, beside buy-and-hold and random")
def strategy_backtest(query: Annotated[StrategyQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.policy import Execution
    from core.policy.walk import backtest_policy

    symbol = ctx.markets.check(query.symbol, query.timeframe)
    candles = ctx.markets.candles(symbol, query.timeframe).iloc[-query.bars:]
    result = backtest_policy(candles, query.model, query.policy, timeframe=query.timeframe, horizon=query.horizon,
                             execution=Execution(query.fee, query.slippage, latency=query.latency))
    return {"model": query.model, "symbol": symbol, "timeframe": query.timeframe, **result.to_dict()}


@router.get("/portfolio/backtest", responses=READ_ERRORS,
            summary="A long-only portfolio over several markets after costs, beside equal weight and buy-and-hold")
def portfolio_backtest(query: Annotated[PortfolioQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.policy import Execution
    from core.portfolio import backtest_portfolio
    from core.portfolio.backtest import align
    from core.portfolio.walk import expected_returns

    markets = {s: ctx.markets.candles(s, query.timeframe) for s in
               dict.fromkeys(ctx.markets.check(s, query.timeframe) for s in query.symbols)}
    shared = align(markets)[0].index[-query.bars:]
    markets = {s: c.loc[shared] for s, c in markets.items()}
    forecasts = expected_returns(markets, query.model, timeframe=query.timeframe) if query.method == "forecast" else None
    result = backtest_portfolio(markets, query.method, timeframe=query.timeframe, rebalance=query.rebalance,
                                lookback=query.lookback, forecasts=forecasts,
                                execution=Execution(query.fee, query.slippage, latency=query.latency))
    return {"symbols": list(markets), "timeframe": query.timeframe, **result.to_dict()}
