"""`tracked_run`: one MLflow run around a piece of work, that can never break the work.

Every call into MLflow goes through `Run._safely`: the first failure logs a warning and turns the
run into a no-op, so a locked store or a dead server costs a line in the log, not a training.
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from core.tracking import _mlflow
from core.tracking.settings import enabled

KINDS = ("train", "backtest", "tune")
MAX_PARAM = 6000  # MLflow's limit on a parameter value
log = logging.getLogger("lydian.tracking")
_active: contextvars.ContextVar[Run | None] = contextvars.ContextVar("lydian_tracked_run", default=None)


class Run:
    """A handle on one run; every method is a no-op once tracking is off or has failed."""

    def __init__(self, kind: str, name: str, run_id: str | None, curves: bool) -> None:
        self.kind, self.name, self.id, self.curves = kind, name, run_id, curves
        self._steps: dict[str, int] = {}

    @property
    def active(self) -> bool:
        return self.id is not None

    def params(self, values: Mapping[str, Any]) -> None:
        """Parameters (lists and dicts as JSON text, cut at MLflow's 6,000 characters)."""
        if not self.active:
            return
        from mlflow.entities import Param

        self._safely("params", lambda c: c.log_batch(self.id, params=[Param(k, _text(v)) for k, v in values.items()]))

    def metrics(self, values: Mapping[str, Any], step: int = 0) -> None:
        """Summary numbers; None, NaN and non-numbers are left out (MLflow refuses them)."""
        if not self.active:
            return
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        rows = [Metric(k, float(v), stamp, step) for k, v in values.items() if _number(v)]
        self._safely("metrics", lambda c: c.log_batch(self.id, metrics=rows) if rows else None)

    def table(self, name: str, frame: pd.DataFrame) -> None:
        """A long series as ``tables/<name>.parquet`` (one file, not thousands of metric rows)."""
        def write(client: Any) -> None:
            with tempfile.TemporaryDirectory(prefix="lydian-track-") as folder:
                path = Path(folder) / f"{name}.parquet"
                frame.to_parquet(path)
                client.log_artifact(self.id, str(path), artifact_path="tables")

        self._safely(f"table {name}", write)

    def tags(self, values: Mapping[str, Any]) -> None:
        self._safely("tags", lambda c: [c.set_tag(self.id, k, _text(v)) for k, v in values.items()])

    def next_step(self, series: str) -> int:
        """A counter per series, so several fits in one run get their own TensorBoard folders."""
        self._steps[series] = self._steps.get(series, 0) + 1
        return self._steps[series]

    def _safely(self, what: str, call: Any) -> None:
        if self.id is None:
            return
        try:
            call(_mlflow.client())
        except Exception as exc:
            log.warning("tracking: %s of run %s failed (%s: %s); the run goes on untracked", what, self.name,
                        type(exc).__name__, exc)
            self.id = None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text[:MAX_PARAM]


def _start(kind: str, name: str, parent: Run | None, started: float | None) -> str | None:
    tags = {_mlflow.KIND_TAG: kind}
    if parent is not None and parent.id is not None:
        tags["mlflow.parentRunId"] = parent.id
    try:
        run = _mlflow.client().create_run(_mlflow.experiment_id(), run_name=name, tags=tags,
                                          start_time=int(started * 1000) if started else None)
    except Exception as exc:
        log.warning("tracking: could not start a %s run (%s: %s); going on untracked", kind, type(exc).__name__, exc)
        return None
    return run.info.run_id


@contextmanager
def tracked_run(kind: str, name: str, params: Mapping[str, Any] | None = None, *, parent: Run | None = None,
                curves: bool | None = None, started: float | None = None) -> Iterator[Run]:
    """A run of ``kind`` (train, backtest, tune) around the block; FINISHED, or FAILED if the block raises.

    ``parent``: the run this one belongs to (default: the run open around it, e.g. a tuning session);
    ``started``: the work's start (``time.time()``) when the run is recorded after the fact.
    """
    if kind not in KINDS:
        raise ValueError(f"tracking kind {kind!r}: use one of {', '.join(KINDS)}")
    parent = parent if parent is not None else _active.get()
    run_id = _start(kind, name, parent, started) if enabled() else None
    run = Run(kind, name, run_id, kind == "train" if curves is None else curves)
    if params:
        run.params(params)
    token = _active.set(run)
    status = "FAILED"
    try:
        yield run
        status = "FINISHED"
    finally:
        _active.reset(token)
        run._safely("end", lambda c: c.set_terminated(run.id, status=status))


def active_run() -> Run | None:
    """The innermost tracked run of this thread or task, if any."""
    return _active.get()
