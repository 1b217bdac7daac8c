"""Why a forecast says what it says (SHAP of a stored model) and which patterns are on the chart.

Both are read-only and open unless reads are protected. A pattern report over a whole series
takes about a second, so reports are kept per (market, last candle, settings); explanations are
cached by `core.explain` itself, keyed by model version and data.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.errors import ApiError
from core.api.responses import ExplanationOut, PatternsOut
from core.api.schemas import ExplainQuery, PatternsQuery
from core.api.service import finite
from core.lru import Lru
from core.models import registry
from core.models.store import Key, ModelStore

router = APIRouter(tags=["insight"])
Ctx = Annotated[Context, Depends(context)]
Reader = Annotated[Identity, Depends(reader)]
_REPORTS: Lru[dict[str, Any]] = Lru(32)


@router.get("/patterns", response_model=PatternsOut, responses=READ_ERRORS,
            summary="Recent candlestick and chart patterns, and what followed each pattern historically")
def patterns(query: Annotated[PatternsQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core import service

    symbol = ctx.markets.check(query.symbol, query.timeframe)
    candles = ctx.markets.candles(symbol, query.timeframe)
    key = (symbol, query.timeframe, candles.index[-1].value, query.last, query.threshold)
    report = _REPORTS.get(key)
    if report is None:
        report = finite(service.patterns(candles, last=query.last, threshold=query.threshold).to_dict())
        _REPORTS.put(key, report)
    return report


@router.get("/explain", response_model=ExplanationOut, responses=READ_ERRORS,
            summary="SHAP values of a stored model's forecast, by feature, feature group and look-back bar")
def explain(query: Annotated[ExplainQuery, Query()], ctx: Ctx, _: Reader) -> dict[str, Any]:
    from core import service

    registry.spec(query.model)  # unknown ids: 404 with the list of known ones
    symbol = ctx.markets.check(query.symbol, query.timeframe)
    key = Key(symbol, query.timeframe, query.horizon)
    store = ModelStore()
    if not store.versions(key, query.model):
        raise ApiError(404, "not_trained", f"no trained {query.model} for {symbol} {query.timeframe} horizon "
                       f"{query.horizon}; train it with POST /api/ai/models/{query.model}/train")
    version = service.model(key, query.model, store=store).meta_["version"]
    result = service.explain(ctx.markets.candles(symbol, query.timeframe), key, query.model, version, at=query.at,
                             store=store)
    return finite({"symbol": symbol, "timeframe": query.timeframe, "horizon": query.horizon,
                   "version": version, **result.to_dict(), "top": result.top(query.top)})
