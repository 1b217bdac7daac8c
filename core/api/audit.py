"""The audit log: who asked for which prediction or change, when, and what came back.

Changes (ensemble configuration, training jobs) are written in the same transaction as the change
itself, so a change is never without its record. Predictions are many and read-only: one writer
thread inserts them in batches, so a request never waits for a commit; `AuditLog.close` flushes
what is left when the server stops.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.db import AuditEntry, Database, now

log = logging.getLogger("lydian.api")
BATCH = 500  # rows per insert
FLUSH_SECONDS = 0.2  # how often pending prediction records are written


def entry(user: str, client: str, action: str, status: int, request: dict[str, Any],
          result: dict[str, Any]) -> dict[str, Any]:
    return {"at": now(), "user": user[:64], "client": client[:64], "action": action, "status": status,
            "request": request, "result": result}


def record_change(session: Session, user: str, client: str, action: str, request: dict[str, Any],
                  result: dict[str, Any], status: int = 200) -> None:
    """Add the record of a change to the caller's transaction."""
    session.add(AuditEntry(**entry(user, client, action, status, request, result)))


class AuditLog:
    """Batched, asynchronous writer of prediction records.

    ``record`` only appends to a deque (atomic, and it wakes no thread: a queue that signalled
    the writer on every put cost a GIL hand-over per request); the writer wakes every
    ``FLUSH_SECONDS`` and inserts what has gathered, ``BATCH`` rows at a time.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: deque[dict[str, Any]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lydian-audit", daemon=True)
        self._thread.start()

    def record(self, user: str, client: str, action: str, request: dict[str, Any], result: dict[str, Any],
               status: int = 200) -> None:
        self._pending.append(entry(user, client, action, status, request, result))

    def _flush(self) -> None:
        while self._pending:
            rows = [self._pending.popleft() for _ in range(min(BATCH, len(self._pending)))]
            try:
                with self.db() as session:
                    session.execute(insert(AuditEntry), rows)
                    session.commit()
            except Exception:  # the log must not take the API down; the failure is in the server log
                log.exception("could not write %d audit rows", len(rows))

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self._flush()
        self._flush()

    def close(self, timeout: float = 10.0) -> None:
        """Write every pending record, then stop the writer."""
        self._stop.set()
        self._thread.join(timeout)
