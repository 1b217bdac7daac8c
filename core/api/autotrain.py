"""Training on demand: a forecast asked of a model that is not trained yet starts its training job.

Instead of a 404 the client gets 202 with the job and its URL (also in ``Location``); it polls the
job and asks again once it is done. Work is never queued twice: a queued or running job with a task
for that model on the market at this horizon (not failed or cancelled) is joined instead. At most
``MAX_ACTIVE`` jobs wait at once (429 beyond), so readers cannot flood the training workers, and
``LYDIAN_API_AUTO_TRAIN=0`` turns it off (the 404 then names the training endpoint). Each job fits
the recent ``train_bars`` candles; the ensemble's trains its members with it.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi.responses import JSONResponse

from core.api import jobs
from core.api.auth import Identity
from core.api.context import PREFIX, Context
from core.api.errors import ApiError, NotTrained
from core.api.responses import TrainingOut
from core import forecasters
from core.models import capabilities as cap
from core.models.store import Key, ModelStore

MAX_ACTIVE = 20
RETRY_SECONDS = 60
COVERING = ("queued", "running", "done")  # task states of a job that will have trained the model
_lock = threading.Lock()  # one request at a time looks for a job and creates it, so two never queue the same work


def wanted(ctx: Context, missing: NotTrained) -> bool:
    """Whether to train instead of answering 404: on unless turned off, only what training makes (no baselines),
    and only where nothing is stored (an ensemble stored with other members than the market's configuration is a
    404 that says so: a job training the defaults would not change the answer)."""
    return (ctx.settings.auto_train and cap.TRAINABLE in forecasters.spec(missing.model).tags
            and not trained_now(missing))


def trained_now(missing: NotTrained) -> bool:
    """Whether the model is on disk after all: the forecast service memoises versions for a second or two."""
    return bool(ModelStore().versions(Key(missing.symbol, missing.timeframe, missing.horizon), missing.model))


def url(job_id: int) -> str:
    return f"{PREFIX}/train/status/{job_id}"


def _covers(job: dict[str, Any], missing: NotTrained) -> bool:
    task = (missing.symbol, missing.timeframe, missing.model)
    return job["spec"]["horizon"] == missing.horizon and any(
        (t["symbol"], t["timeframe"], t["model"]) == task and t["state"] in COVERING for t in job["tasks"])


def _answer(missing: NotTrained, job: dict[str, Any]) -> dict[str, Any]:
    link = url(job["id"])
    detail = (f"{missing.model} is not trained on {missing.symbol} {missing.timeframe} horizon {missing.horizon} "
              f"yet; job {job['id']} trains it: poll {link} until its state is done, then ask again")
    return {"status": "training", "symbol": missing.symbol, "timeframe": missing.timeframe, "horizon": missing.horizon,
            "model": missing.model, "url": link, "detail": detail, "job": job}


def start(ctx: Context, who: Identity, missing: list[NotTrained], request: dict[str, Any]) -> list[dict[str, Any]]:
    """`TrainingOut` of each missing forecast (all of one model, timeframe and horizon), its job joined or queued."""
    first = missing[0]
    with _lock:
        active = jobs.active(ctx.db)
        chosen = {m.symbol: next((j for j in active if _covers(j, m)), None) for m in missing}
        new = [symbol for symbol, job in chosen.items() if job is None]
        if new:
            if len(active) >= MAX_ACTIVE:
                raise ApiError(429, "training_busy", f"{len(active)} training jobs are waiting already; ask again "
                               f"in {RETRY_SECONDS} s", headers={"Retry-After": str(RETRY_SECONDS)})
            spec = {"symbols": new, "timeframes": [first.timeframe], "models": [first.model], "horizon": first.horizon,
                    "epochs": None, "start": None, "bars": ctx.settings.train_bars}
            chosen.update(dict.fromkeys(new, jobs.create(ctx.db, spec, who, request, action="train.auto")))
    return [_answer(m, chosen[m.symbol]) for m in missing]


def accepted(answer: dict[str, Any]) -> JSONResponse:
    """The 202 of one forecast, with the job's URL in ``Location``."""
    return JSONResponse(answer, status_code=202, headers={"Location": answer["url"]})


ACCEPTED = {202: {"model": TrainingOut, "description": "the model is not trained on this market yet: its training job "
                  "was started (or joined); poll the job's url, then ask again",
                  "headers": {"Location": {"description": "the job's url", "schema": {"type": "string"}}}}}
