"""The training worker: ``python -m core.api.worker JOB_ID SERVER_PID``, started by the API's job runner.

It trains each (symbol, timeframe, model) task of the job with `core.models.training.train_models`
— the call ``lydian train`` makes — and writes per-task progress (epoch, validation loss, version)
to the job's row. A task that fails is recorded and the next one runs. Every write is conditional
on the job still being ``running``: when it was cancelled, or failed by a server restart, the
worker stops at its next write. It also stops when the server that started it is gone.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from typing import Any

from sqlalchemy import update

from core.db import Database, Job, now
from core.api.redact import clean

WRITE_EVERY = 0.5  # seconds between epoch progress writes; state changes are written at once


class Stopped(Exception):
    """The job is no longer running (cancelled, or failed by a restart)."""


def _watch_parent(parent: int) -> None:
    """Exit when the API server dies: an orphaned worker would train for a job already marked failed.

    The server passes its pid, so a server that died while this process was still starting is
    noticed too (``os.getppid()`` read at start would already be the new parent's)."""
    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(3)
            time.sleep(1.0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Tracker:
    """The job's task list in memory, written to the database as training goes."""

    def __init__(self, db: Database, job_id: int, tasks: list[dict[str, Any]]) -> None:
        self.db, self.job_id, self.tasks = db, job_id, tasks
        self.errors: list[str] = []
        self._last = 0.0

    def write(self, force: bool = True, **values: Any) -> None:
        if not force and time.monotonic() - self._last < WRITE_EVERY:
            return
        with self.db() as session:
            changed = session.execute(update(Job).where(Job.id == self.job_id, Job.state == "running").values(
                tasks=[dict(t) for t in self.tasks], errors=list(self.errors), **values)).rowcount
            session.commit()
        self._last = time.monotonic()
        if not changed:
            raise Stopped()

    def progress(self, task: dict[str, Any]) -> Any:
        def on_event(event: dict[str, Any]) -> None:
            if "epoch" in event:
                task.update(epoch=int(event["epoch"]), epochs=int(event["epochs"]),
                            valid_loss=float(event["valid_loss"]))
                self.write(force=False)

        return on_event

    def fail(self, task: dict[str, Any], message: str) -> None:
        task.update(state="failed", error=message)
        self.errors.append(f"{task['symbol']} {task['timeframe']} {task['model']}: {message}")
        self.write()


def _train(task: dict[str, Any], spec: dict[str, Any], tracker: Tracker, device: str) -> None:
    from core import forecasters  # the ensemble too
    from core.data import load_candles
    from core.models.store import Key
    from core.models.training import train_models

    candles = load_candles(task["symbol"], task["timeframe"], start=spec.get("start"))
    if spec.get("bars"):  # training on demand fits the recent bars only (core.api.autotrain)
        candles = candles.iloc[-int(spec["bars"]):]
    overrides = {}
    if spec.get("epochs") and forecasters.spec(task["model"]).sequence:
        overrides = {task["model"]: {"max_epochs": int(spec["epochs"])}}
    key = Key(task["symbol"], task["timeframe"], int(spec["horizon"]))
    [report] = train_models(candles, key, [task["model"]], source="bundled", device=device,
                            progress=tracker.progress(task), overrides=overrides)
    task.update(state="done", version=report.version, valid_accuracy=report.valid_accuracy)


def run(db: Database, job_id: int) -> str:
    """Train every task of the job; returns the final state."""
    from core.models.device import configure_threads, pick_device

    with db() as session:
        job = session.get(Job, job_id)
        if job is None or job.state != "running":
            return "gone"
        spec, tasks = job.spec, [dict(t) for t in job.tasks]
    tracker = Tracker(db, job_id, tasks)
    configure_threads()
    device = str(pick_device())
    try:
        for task in tasks:
            task.update(state="running")
            tracker.write()
            try:
                _train(task, spec, tracker, device)
            except Stopped:
                raise
            except Exception as exc:  # one task's failure is recorded; the others still run
                traceback.print_exc(file=sys.stderr)
                tracker.fail(task, clean(f"{type(exc).__name__}: {exc}", 300))
                continue
            tracker.write()
        state = "failed" if tracker.errors else "done"
        tracker.write(state=state, finished=now())
        return state
    except Stopped:
        return "stopped"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    _watch_parent(int(argv[1]))
    db = Database(os.environ["LYDIAN_DATABASE_URL"])
    state = run(db, int(argv[0]))
    logging.info("job %s: %s", argv[0], state)
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
