"""Training jobs: records in the database, run one by one in worker processes, never in a request.

States: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``. Every state change is a
conditional update (``WHERE state = ...``), so the server, a cancel request and the worker can race
without corrupting a job, and a worker whose job was cancelled or failed under it stops at its next
progress write. A job left ``running`` by a server that died is marked failed when the next server
starts (`recover`); jobs still ``queued`` then simply run.
"""

from __future__ import annotations

import itertools
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from core.api.audit import record_change
from core.api.auth import Identity
from core.db import Database, Job, iso, now
from core.api.errors import ApiError
from core.config import home_dir

log = logging.getLogger("lydian.api")
ACTIVE = ("queued", "running")
INTERRUPTED = "interrupted: the API server stopped while the job ran"
POLL_SECONDS = 0.25


def tasks_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"symbol": s, "timeframe": t, "model": m, "state": "queued"}
            for s, t, m in itertools.product(spec["symbols"], spec["timeframes"], spec["models"])]


def out(job: Job) -> dict[str, Any]:
    """The `JobOut` fields of a job."""
    finished = sum(1 for t in job.tasks if t["state"] in ("done", "failed", "cancelled"))
    return {"id": job.id, "state": job.state, "user": job.user, "spec": job.spec, "tasks": job.tasks,
            "progress": round(finished / len(job.tasks), 4) if job.tasks else 1.0, "errors": job.errors,
            "created": iso(job.created), "started": iso(job.started), "finished": iso(job.finished)}


def create(db: Database, spec: dict[str, Any], who: Identity, request: dict[str, Any],
           action: str = "train.schedule") -> dict[str, Any]:
    """Queue a job and audit it in one transaction."""
    with db() as session:
        job = Job(user=who.name, state="queued", spec=spec, tasks=tasks_of(spec), errors=[], created=now())
        session.add(job)
        session.flush()
        result = out(job)
        record_change(session, who.name, who.client, action, request, {"job": job.id}, status=202)
        session.commit()
    return result


def get(db: Database, job_id: int) -> dict[str, Any]:
    with db() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise ApiError(404, "unknown_job", f"no training job {job_id}")
        return out(job)


def active(db: Database) -> list[dict[str, Any]]:
    """Queued and running jobs, oldest first."""
    with db() as session:
        return [out(j) for j in session.scalars(select(Job).where(Job.state.in_(ACTIVE)).order_by(Job.id))]


def history(db: Database, limit: int, state: str | None) -> list[dict[str, Any]]:
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    with db() as session:
        return [out(j) for j in session.scalars(query.where(Job.state == state) if state else query)]


def _fail_tasks(tasks: list[dict[str, Any]], state: str, error: str | None = None) -> list[dict[str, Any]]:
    return [t if t["state"] in ("done", "failed") else {**t, "state": state, "error": error} for t in tasks]


def mark(db: Database, job_id: int, state: str, error: str | None, only_from: tuple[str, ...] = ACTIVE) -> bool:
    """Move a job (and its unfinished tasks) to ``state`` unless it already left ``only_from``."""
    with db() as session:
        job = session.get(Job, job_id)
        if job is None or job.state not in only_from:
            return False
        changed = session.execute(
            update(Job).where(Job.id == job_id, Job.state == job.state).values(
                state=state, finished=now(), errors=job.errors + ([error] if error else []),
                tasks=_fail_tasks(job.tasks, "cancelled" if state == "cancelled" else "failed", error))
        ).rowcount
        session.commit()
    return bool(changed)


def cancel(db: Database, job_id: int, who: Identity) -> dict[str, Any]:
    get(db, job_id)  # 404 for an unknown id
    if not mark(db, job_id, "cancelled", f"cancelled by {who.name}"):
        raise ApiError(409, "job_finished",
                       f"job {job_id} has already finished; only queued or running jobs can be cancelled")
    with db() as session:
        record_change(session, who.name, who.client, "train.cancel", {"job": job_id}, {"state": "cancelled"})
        session.commit()
    return get(db, job_id)


def recover(db: Database) -> int:
    """Mark jobs that a previous server left running as failed; returns how many. A job whose training
    process still runs under its live API worker belongs to a sibling (``lydian serve --workers N``)."""
    with db() as session:
        rows = list(session.execute(select(Job.id, Job.pid).where(Job.state == "running")))
    return sum(mark(db, i, "failed", "interrupted by an API restart; schedule it again", ("running",))
               for i, pid in rows if not _served(pid))


def _served(pid: int | None) -> bool:
    """Whether training process ``pid`` runs (not a zombie) and is still the child of the API worker that
    started it, whose pid is its last argument (an orphan's parent has changed; it exits within a second)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        args = [a for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
        state, parent = stat.rsplit(") ", 1)[1].split()[:2]
        return state != "Z" and b"core.api.worker" in args and int(parent) == int(args[-1])
    except (OSError, ValueError, IndexError):  # gone, or no /proc: not served
        return False


def _claim_next(db: Database) -> int | None:
    with db() as session:
        for job_id in session.scalars(select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(5)):
            claimed = session.execute(update(Job).where(Job.id == job_id, Job.state == "queued")
                                      .values(state="running", started=now())).rowcount
            session.commit()
            if claimed:
                return job_id
    return None


class Runner:
    """Starts a worker process for each queued job (``workers`` at once) and reaps them."""

    def __init__(self, db: Database, workers: int = 1) -> None:
        self.db, self.workers = db, workers
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="lydian-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def running(self) -> int:
        return len(self.procs)  # no lock: /health must not wait for a tick's database round trip

    def _spawn(self, job_id: int) -> None:
        logs = home_dir() / "logs"
        logs.mkdir(exist_ok=True)
        env = {**os.environ, "LYDIAN_DATABASE_URL": self.db.url}
        with open(logs / f"job-{job_id}.log", "ab") as stderr:
            proc = subprocess.Popen([sys.executable, "-m", "core.api.worker", str(job_id), str(os.getpid())], env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        self.procs[job_id] = proc
        with self.db() as session:
            session.execute(update(Job).where(Job.id == job_id).values(pid=proc.pid))
            session.commit()

    def _tick(self) -> None:
        with self._lock:
            for job_id, proc in list(self.procs.items()):
                if proc.poll() is not None:
                    del self.procs[job_id]
                    message = f"the training worker exited with code {proc.returncode}"
                    mark(self.db, job_id, "failed", message, ("running",))
            while len(self.procs) < self.workers and not self._stop.is_set():
                job_id = _claim_next(self.db)
                if job_id is None:
                    break
                try:
                    self._spawn(job_id)
                except OSError as exc:
                    mark(self.db, job_id, "failed", f"could not start a training worker: {exc.strerror}")

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self._tick()
            except Exception:  # a database hiccup must not end the loop; it is retried next tick
                log.exception("job runner tick failed")

    def terminate(self, job_id: int) -> None:
        with self._lock:
            proc = self.procs.get(job_id)
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def stop(self, grace: float = 5.0) -> None:
        """Stop starting jobs, end running workers and mark their jobs failed (interrupted)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(grace)
        with self._lock:
            for job_id, proc in self.procs.items():
                proc.terminate()
                try:
                    proc.wait(grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
                mark(self.db, job_id, "failed", INTERRUPTED, ("running",))
            self.procs.clear()
