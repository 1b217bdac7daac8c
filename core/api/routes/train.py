"""Training jobs: schedule (symbols x timeframes x models), follow, list and cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from core.api import jobs
from core.api.auth import Identity, reader, writer
from core.api.context import READ_ERRORS, WRITE_ERRORS, Context, context
from core.api.responses import HistoryOut, JobOut
from core.api.schemas import HistoryQuery, ScheduleRequest
from core.models import registry

router = APIRouter(tags=["training"])
Ctx = Annotated[Context, Depends(context)]
JobId = Annotated[int, Path(ge=1, le=2_147_483_647, description="the id returned by /train/schedule")]


@router.post("/train/schedule", response_model=JobOut, status_code=202, responses=WRITE_ERRORS,
             summary="Queue training of every (symbol, timeframe, model); returns the job at once")
def schedule(body: ScheduleRequest, ctx: Ctx, who: Annotated[Identity, Depends(writer)]) -> dict[str, Any]:
    models = registry.resolve_ids(",".join(body.models))
    symbols: list[str] = []
    for text in body.symbols:
        for timeframe in body.timeframes:
            symbol = ctx.markets.check(text, timeframe)
        symbols += [symbol] if symbol not in symbols else []
    timeframes = list(dict.fromkeys(body.timeframes))
    spec = {"symbols": symbols, "timeframes": timeframes, "models": models, "horizon": body.horizon,
            "epochs": body.epochs, "start": body.start.isoformat() if body.start else None}
    return jobs.create(ctx.db, spec, who, body.model_dump(mode="json"))


@router.get("/train/status/{job_id}", response_model=JobOut, responses=READ_ERRORS,
            summary="State, progress per task (epoch, validation loss, version) and errors of a job")
def status(job_id: JobId, ctx: Ctx, _: Annotated[Identity, Depends(reader)]) -> dict[str, Any]:
    return jobs.get(ctx.db, job_id)


@router.get("/train/history", response_model=HistoryOut, responses=READ_ERRORS, summary="Recent jobs, newest first")
def history(query: Annotated[HistoryQuery, Query()], ctx: Ctx, _: Annotated[Identity, Depends(reader)]) -> dict[str, Any]:
    return {"jobs": jobs.history(ctx.db, query.limit, query.state)}


@router.post("/train/cancel/{job_id}", response_model=JobOut, responses=WRITE_ERRORS,
             summary="Cancel a queued or running job (its worker process is stopped)")
def cancel(job_id: JobId, ctx: Ctx, who: Annotated[Identity, Depends(writer)]) -> dict[str, Any]:
    result = jobs.cancel(ctx.db, job_id, who)
    ctx.runner.terminate(job_id)
    return result
