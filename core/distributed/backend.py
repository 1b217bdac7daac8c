"""Where independent jobs run: one after another in this process, or as Ray tasks on a local Ray or a cluster.

A backend is only a map over jobs (Ray does the scheduling; we write none). A job is a plain function
``job(shared, item, progress)``: ``shared`` (a prepared market) is sent to Ray once, every job seeds its
own fit, so a result does not depend on the backend or the machine that computed it. Jobs write into the
driver's model store and results cache: the driver's ``LYDIAN_*`` settings travel with each task (a real
cluster therefore needs those folders on storage every node mounts at the same path).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.config import artifacts_dir, home_dir
from core.distributed.runtime import RayUnavailable, init_ray, ray_address, ray_running
from core.errors import LydianError

BACKENDS = ("serial", "ray")
Progress = Callable[[dict[str, Any]], None]
Job = Callable[[Any, Any, Progress | None], Any]
# what a job reads from the environment besides the two folders; LYDIAN_ARTIFACT_KEY is a secret (see README: TLS)
_PASSED_ON = ("LYDIAN_TORCH_THREADS", "LYDIAN_BOOSTER_THREADS", "LYDIAN_DATA_DIR", "LYDIAN_DEVICE", "LYDIAN_TRACKING",
              "LYDIAN_TENSORBOARD", "LYDIAN_ARTIFACT_KEY")


class BackendError(LydianError, ValueError):
    """An unknown backend name."""


@dataclass(frozen=True)
class Backend:
    """``serial`` (the default) or ``ray``; ``address`` joins a running cluster, else a local Ray is started."""

    name: str = "serial"
    address: str | None = None

    def map(self, job: Job, items: Sequence[Any], *, shared: Any = None, labels: Sequence[str] | None = None,
            progress: Progress | None = None) -> list[Any]:
        """``[job(shared, item, ...) for item in items]``, in the order of ``items``.

        Progress: serially a ``model`` event before each job and the job's own events (folds, epochs);
        on Ray a ``model`` event as each job finishes (index = jobs finished), since a task's inner
        events stay on its worker.
        """
        labels = list(labels) if labels is not None else [str(item) for item in items]
        if self.name == "serial":
            results = []
            for index, item in enumerate(items):
                if progress:
                    progress({"event": "model", "model": labels[index], "index": index, "total": len(items)})
                results.append(job(shared, item, progress))
            return results
        return _on_ray(job, items, shared, labels, progress, self.address)


def backend_for(name: str | None = None, address: str | None = None) -> Backend:
    """The chosen backend: the arguments, else ``LYDIAN_BACKEND`` / ``LYDIAN_RAY_ADDRESS``, else serial."""
    name = (name or os.environ.get("LYDIAN_BACKEND") or "serial").strip().lower()
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; use {' or '.join(BACKENDS)}")
    return Backend(name, (address or ray_address()) if name == "ray" else None)


def job_env() -> dict[str, str]:
    """The settings a job reads from the environment, as this process sees them (absolute folders)."""
    env = {"LYDIAN_HOME": str(home_dir().resolve()), "LYDIAN_ARTIFACTS": str(artifacts_dir().resolve())}
    return env | {key: os.environ[key] for key in _PASSED_ON if key in os.environ}


def run_with_env(job: Job, shared: Any, item: Any, env: dict[str, str]) -> Any:
    """Run one job on a Ray worker under the driver's settings, then restore the worker's own."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return job(shared, item, None)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _on_ray(job: Job, items: Sequence[Any], shared: Any, labels: list[str], progress: Progress | None,
            address: str | None) -> list[Any]:
    """Submit every job, collect them as they finish; a Ray this call started is stopped afterwards."""
    started_here = not ray_running()
    ray = init_ray(address)
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(run_with_env)
        env, shared_ref = job_env(), ray.put(shared)
        pending = {task.remote(job, shared_ref, item, env): index for index, item in enumerate(items)}
        results: list[Any] = [None] * len(items)
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready)
            results[index] = _result(ray, ready)
            if progress:
                progress({"event": "model", "model": f"{labels[index]} done", "index": len(items) - len(pending),
                          "total": len(items)})
        return results
    finally:
        if started_here:
            ray.shutdown()


def _result(ray: Any, ref: Any) -> Any:
    """A job's value; its LydianError is raised as itself, a lost cluster as `RayUnavailable`."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        cause = error.as_instanceof_cause()
        if isinstance(cause, LydianError):
            raise cause from None
        raise
    except (ray.exceptions.RayError, ConnectionError) as error:
        raise RayUnavailable(f"the Ray cluster failed while running a job: {error}") from error
