"""Point-in-time sentiment of one market and the scorers: the same core as `lydian sentiment` and the page.

A report scores the texts of a bounded window (``days``), so its cost is bounded; reports are kept
per (market, last candle, settings).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.schemas import Strict, Symbol, Timeframe
from core.api.service import finite
from core.lru import Lru

router = APIRouter(tags=["sentiment"])
Ctx = Annotated[Context, Depends(context)]
Reader = Annotated[Identity, Depends(reader)]
_REPORTS: Lru[dict[str, Any]] = Lru(16)


class SentimentQuery(Strict):
    symbol: Symbol = Field(description="BTC/USDT, BTC-USDT or BTC (quote defaults to USDT)")
    timeframe: Timeframe = "1h"
    source: Literal["news", "reddit"] = Field("news", description="bundled texts: news headlines or Reddit posts")
    days: int = Field(120, ge=14, le=180, description="the last this-many days the texts cover")
    latency_minutes: float = Field(0.0, ge=0, le=10_000, allow_inf_nan=False,
                                   description="a text counts only this long before a bar's close")
    scorer: Literal["vader", "phrasebank"] = "vader"
    last: int = Field(48, ge=1, le=2000, description="how many recent bars of features to return")


@router.get("/sentiment/scorers", responses=READ_ERRORS, summary="Text scorers, whether each is ready and why not")
def scorers_list(_: Reader) -> list[dict[str, Any]]:
    from core.text import scorers

    return [asdict(row) for row in scorers.status()]


@router.get("/sentiment", responses=READ_ERRORS,
            summary="Per-bar sentiment features (point in time) and the walk-forward ablation with and without them")
def sentiment(query: Annotated[SentimentQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core.text import market

    symbol = ctx.markets.check(query.symbol, query.timeframe)
    candles = ctx.markets.candles(symbol, query.timeframe)
    key = (symbol, query.timeframe, candles.index[-1].value, *query.model_dump().values())
    body = _REPORTS.get(key)
    if body is None:
        result = market.report(candles, query.timeframe, source=query.source, days=query.days,
                               latency_minutes=query.latency_minutes, scorer=query.scorer)
        recent = result["features"].tail(query.last)
        body = finite({"symbol": symbol, "timeframe": query.timeframe, "source": query.source, "scorer": query.scorer,
                       "latency_minutes": query.latency_minutes, "texts": len(result["texts"]),
                       "ablation": result["ablation"],
                       "features": [{"timestamp": str(t), **row} for t, row in zip(recent.index, recent.to_dict("records"))]})
        _REPORTS.put(key, body)
    return body
