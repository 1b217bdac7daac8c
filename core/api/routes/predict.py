"""Prediction endpoints: read-only, open unless reads are protected, each forecast audited.

They are async: a forecast already in memory is answered on the event loop, and only a miss
(reading a model, computing features) goes to a worker thread, so under load cached answers
never wait behind a computation. They also accept curl's ``-d '{...}'`` (JSON labelled as form
data): see `core.api.middleware`.

A forecast of a model not trained on the market yet answers 202 with its training job (single,
model and ensemble routes; per symbol in a batch's ``training`` list): see `core.api.autotrain`.
The top-100 ranking only ranks what is trained: it never starts a hundred jobs.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.api import autotrain
from core.api.auth import Identity, reader
from core.api.context import READ_ERRORS, Context, context
from core.api.errors import ApiError, NotTrained, core_error
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


AUDITED = ("symbol", "timeframe", "horizon", "model", "version", "candle_time", "p_up",
           "expected_return", "cached")


def _audited(result: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a forecast: enough to say what was answered, not the whole body."""
    kept = {k: result[k] for k in AUDITED}
    return kept | ({"action": result["signal"]["action"]} if result.get("signal") else {})


async def _forecast(ctx: Context, symbol: str, timeframe: str, model: str, horizon: int, **options: Any) -> dict[str, Any]:
    """From memory when possible, else computed in a worker thread."""
    try:
        return ctx.predictor.predict(symbol, timeframe, model, horizon, peek=True, **options)
    except (Miss, NotTrained):  # untrained by the memo's account: `_computed` looks on disk
        return await run_in_threadpool(partial(_computed, ctx, symbol, timeframe, model, horizon, **options))


def _computed(ctx: Context, *market: Any, **options: Any) -> dict[str, Any]:
    """The forecast; a model that a job trained after its versions were memoised is served at once."""
    try:
        return ctx.predictor.predict(*market, **options)
    except NotTrained as missing:
        if not autotrain.trained_now(missing):
            raise
        ctx.predictor.forget_versions()
        return ctx.predictor.predict(*market, **options)


async def _single(ctx: Context, who: Identity, action: str, request: dict[str, Any], symbol: str, timeframe: str,
                  model: str, horizon: int, **options: Any) -> dict[str, Any] | JSONResponse:
    """One forecast, audited; 202 with its training job when the model is not trained on the market yet."""
    try:
        result = await _forecast(ctx, symbol, timeframe, model, horizon, **options)
    except NotTrained as missing:
        if options.get("version") is not None or not autotrain.wanted(ctx, missing):  # no job makes a given version
            raise
        [answer] = await run_in_threadpool(autotrain.start, ctx, who, [missing], request)
        return autotrain.accepted(answer)
    ctx.audit.record(who.name, who.client, action, request, _audited(result))
    return result


async def _attempt(ctx: Context, symbol: str, timeframe: str, model: str, horizon: int) -> dict[str, Any] | ApiError:
    """The prediction or the error of one symbol: one bad symbol must not fail a batch."""
    try:
        return await _forecast(ctx, symbol, timeframe, model, horizon)
    except (ApiError, LydianError) as exc:
        error = exc if isinstance(exc, ApiError) else core_error(exc)
        if error.status >= 500:
            raise
        return error


def _row(symbol: str, error: ApiError) -> dict[str, str]:
    return {"symbol": symbol, "error": error.code, "detail": error.detail}


SINGLE = {**READ_ERRORS, **autotrain.ACCEPTED}


@router.post("/predict/single", response_model=PredictionOut, responses=SINGLE,
             summary="Forecast of one market by one model or the ensemble (202 while an untrained model trains)")
async def predict_single(body: SingleRequest, ctx: Ctx, who: Reader) -> dict[str, Any] | JSONResponse:
    return await _single(ctx, who, "predict.single", body.model_dump(mode="json"), body.symbol, body.timeframe,
                         body.model, body.horizon, version=body.version)


@router.post("/models/{model_id}/predict", response_model=PredictionOut, responses=SINGLE,
             summary="Forecast of one market by the model of the path (202 while it trains)")
async def predict_model(model_id: Annotated[ModelName, Path()], body: ModelPredictRequest, ctx: Ctx,
                        who: Reader) -> dict[str, Any] | JSONResponse:
    request = {"model": model_id, **body.model_dump(mode="json")}
    return await _single(ctx, who, "predict.model", request, body.symbol, body.timeframe, model_id, body.horizon,
                         version=body.version)


@router.post("/predict/ensemble", response_model=PredictionOut, responses=SINGLE,
             summary="The ensemble's BUY/SELL/HOLD signal, with the stored configuration unless overridden "
             "(202 while it trains)")
async def predict_ensemble(body: EnsembleRequest, ctx: Ctx, who: Reader) -> dict[str, Any] | JSONResponse:
    return await _single(ctx, who, "predict.ensemble", body.model_dump(mode="json"), body.symbol, body.timeframe,
                         ENSEMBLE, body.horizon, method=body.method, calibration=body.calibration)


@router.post("/predict/batch", response_model=BatchOut, responses=READ_ERRORS,
             summary="Forecasts of up to 100 symbols in one call; failures are listed in errors, and symbols "
             "whose model is not trained yet in training (with the job that trains it)")
async def predict_batch(body: BatchRequest, ctx: Ctx, who: Reader) -> dict[str, Any]:
    request = body.model_dump(mode="json")
    predictions, failures, missing = [], [], []
    for symbol in body.symbols:
        outcome = await _attempt(ctx, symbol, body.timeframe, body.model, body.horizon)
        if isinstance(outcome, NotTrained) and autotrain.wanted(ctx, outcome):
            missing.append((symbol, outcome))
        elif isinstance(outcome, ApiError):
            failures.append(_row(symbol, outcome))
        else:
            predictions.append(outcome)
    training: list[dict[str, Any]] = []
    if missing:
        try:
            training = await run_in_threadpool(autotrain.start, ctx, who, [m for _, m in missing], request)
        except ApiError as refused:  # too many jobs waiting: each of these symbols says so
            failures += [_row(symbol, refused) for symbol, _ in missing]
    answer = {"predictions": predictions, "errors": failures, "training": training}
    ctx.audit.record(who.name, who.client, "predict.batch", request,
                     {"predictions": [_audited(p) for p in predictions], "errors": failures,
                      "training": [{"symbol": t["symbol"], "job": t["job"]["id"]} for t in training]})
    return answer


async def _top(body: TopRequest, ctx: Context, who: Identity) -> dict[str, Any]:
    if body.model != ENSEMBLE:
        registry.spec(body.model)  # an unknown id is one 404, not one error row per symbol
    ranked, skipped = [], []
    for symbol in await run_in_threadpool(ctx.markets.symbols, body.timeframe):
        outcome = await _attempt(ctx, symbol, body.timeframe, body.model, body.horizon)
        if isinstance(outcome, ApiError):
            skipped.append(_row(symbol, outcome))
        else:
            ranked.append(outcome)
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
