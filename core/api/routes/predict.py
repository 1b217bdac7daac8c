"""Prediction endpoints: read-only, open unless reads are protected, each forecast audited.

They are async: a forecast already in memory is answered on the event loop, and only a miss
(reading a model, computing features) goes to a worker thread, so under load cached answers
never wait behind a computation. They also accept curl's ``-d '{...}'`` (JSON labelled as form
data): see `core.api.middleware`.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.errors import ApiError, core_error
from core.api.markets import Miss
from core.api.responses import BatchOut, PredictionOut, TopOut
from core.api.schemas import (
    BatchRequest,
    EnsembleRequest,
    ModelName,
    ModelPredictRequest,
    SingleRequest,
    TopRequest,
)
from core.api.service import ENSEMBLE
from core.errors import LydianError
from core.models import registry

router = APIRouter(tags=["predictions"])
Reader = Annotated[Identity, Depends(reader)]
Ctx = Annotated[Context, Depends(context)]


AUDITED = ("symbol", "timeframe", "horizon", "model", "version", "member_versions", "candle_time", "p_up",
           "expected_return", "cached")


def _audited(result: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a forecast: enough to say what was answered, not the whole body."""
    kept = {k: result[k] for k in AUDITED}
    return kept | ({"action": result["signal"]["action"]} if result.get("signal") else {})


async def _forecast(ctx: Context, symbol: str, timeframe: str, model: str, horizon: int, **options: Any) -> dict[str, Any]:
    """From memory when possible, else computed in a worker thread."""
    try:
        return ctx.predictor.predict(symbol, timeframe, model, horizon, peek=True, **options)
    except Miss:
        return await run_in_threadpool(partial(ctx.predictor.predict, symbol, timeframe, model, horizon, **options))


async def _attempt(ctx: Context, symbol: str, timeframe: str, model: str, horizon: int) -> tuple[dict | None, dict | None]:
    """(prediction, None) or (None, error row): one bad symbol must not fail a batch."""
    try:
        return await _forecast(ctx, symbol, timeframe, model, horizon), None
    except (ApiError, LydianError) as exc:
        error = exc if isinstance(exc, ApiError) else core_error(exc)
        if error.status >= 500:
            raise
        return None, {"symbol": symbol, "error": error.code, "detail": error.detail}


@router.post("/predict/single", response_model=PredictionOut, responses=READ_ERRORS,
             summary="Forecast of one market by one model or the ensemble")
async def predict_single(body: SingleRequest, ctx: Ctx, who: Reader) -> dict[str, Any]:
    result = await _forecast(ctx, body.symbol, body.timeframe, body.model, body.horizon, version=body.version)
    ctx.audit.record(who.name, who.client, "predict.single", body.model_dump(mode="json"), _audited(result))
    return result


@router.post("/models/{model_id}/predict", response_model=PredictionOut, responses=READ_ERRORS,
             summary="Forecast of one market by the model of the path")
async def predict_model(model_id: Annotated[ModelName, Path()], body: ModelPredictRequest, ctx: Ctx,
                        who: Reader) -> dict[str, Any]:
    result = await _forecast(ctx, body.symbol, body.timeframe, model_id, body.horizon, version=body.version)
    request = {"model": model_id, **body.model_dump(mode="json")}
    ctx.audit.record(who.name, who.client, "predict.model", request, _audited(result))
    return result


@router.post("/predict/ensemble", response_model=PredictionOut, responses=READ_ERRORS,
             summary="The ensemble's BUY/SELL/HOLD signal, with the stored configuration unless overridden")
async def predict_ensemble(body: EnsembleRequest, ctx: Ctx, who: Reader) -> dict[str, Any]:
    result = await _forecast(ctx, body.symbol, body.timeframe, ENSEMBLE, body.horizon, method=body.method,
                             calibration=body.calibration)
    ctx.audit.record(who.name, who.client, "predict.ensemble", body.model_dump(mode="json"), _audited(result))
    return result


@router.post("/predict/batch", response_model=BatchOut, responses=READ_ERRORS,
             summary="Forecasts of up to 100 symbols in one call; symbols that fail are listed in errors")
async def predict_batch(body: BatchRequest, ctx: Ctx, who: Reader) -> dict[str, Any]:
    predictions, failures = [], []
    for symbol in body.symbols:
        result, error = await _attempt(ctx, symbol, body.timeframe, body.model, body.horizon)
        predictions += [result] if result else []
        failures += [error] if error else []
    answer = {"predictions": predictions, "errors": failures}
    ctx.audit.record(who.name, who.client, "predict.batch", body.model_dump(mode="json"),
                     {"predictions": [_audited(p) for p in predictions], "errors": failures})
    return answer


async def _top(body: TopRequest, ctx: Context, who: Identity) -> dict[str, Any]:
    if body.model != ENSEMBLE:
        registry.spec(body.model)  # an unknown id is one 404, not one error row per symbol
    ranked, skipped = [], []
    for symbol in await run_in_threadpool(ctx.markets.symbols, body.timeframe):
        result, error = await _attempt(ctx, symbol, body.timeframe, body.model, body.horizon)
        ranked += [result] if result else []
        skipped += [error] if error else []
    ranked.sort(key=lambda r: r["confidence"], reverse=True)
    answer = {"ranked": ranked[: body.limit], "skipped": skipped}
    ctx.audit.record(who.name, who.client, "predict.top100", body.model_dump(mode="json"),
                     {"ranked": [_audited(r) for r in answer["ranked"]], "skipped": skipped})
    return answer


@router.get("/predict/top100", response_model=TopOut, responses=READ_ERRORS,
            summary="Every available symbol ranked by confidence (at most 100)")
async def top_get(query: Annotated[TopRequest, Query()], ctx: Ctx, who: Reader) -> dict[str, Any]:
    return await _top(query, ctx, who)


@router.post("/predict/top100", response_model=TopOut, responses=READ_ERRORS,
             summary="Every available symbol ranked by confidence (at most 100)")
async def top_post(body: TopRequest, ctx: Ctx, who: Reader) -> dict[str, Any]:
    return await _top(body, ctx, who)
