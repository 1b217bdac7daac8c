"""Lydian's database: training jobs, ensemble configurations and the audit log, through SQLAlchemy.

SQLite (a file in ``LYDIAN_HOME``, zero set-up) by default, PostgreSQL with ``LYDIAN_DATABASE_URL``.
The API server, its training worker processes, the dashboard and the CLI share it: SQLite runs in WAL mode with a busy
timeout so a worker's progress write never fails a request's read.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from core.config import home_dir
from core.errors import LydianError


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """UTC ISO text; SQLite hands back naive datetimes, which are UTC by construction here."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat(timespec="seconds")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class Job(Base):
    """One training request: the spec, the state machine and per-task progress."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued running done failed cancelled
    spec: Mapped[dict[str, Any]]
    tasks: Mapped[list[Any]]  # [{symbol, timeframe, model, state, epoch, ..., version, error}]
    errors: Mapped[list[Any]]
    created: Mapped[datetime]
    started: Mapped[datetime | None]
    finished: Mapped[datetime | None]
    pid: Mapped[int | None]


class EnsembleSetting(Base):
    """One stored ensemble configuration of a market; the newest row is the one in force."""

    __tablename__ = "ensemble_configs"
    __table_args__ = (Index("ix_ensemble_market", "symbol", "timeframe", "horizon", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32))
    timeframe: Mapped[str] = mapped_column(String(4))
    horizon: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    calibration: Mapped[str] = mapped_column(String(16))
    user_weights: Mapped[dict[str, Any] | None]
    members: Mapped[list[Any] | None]  # None: the default members
    min_confidence: Mapped[float] = mapped_column(Float)
    sl_atr: Mapped[float] = mapped_column(Float)
    tp_atr: Mapped[float] = mapped_column(Float)
    volatility: Mapped[str] = mapped_column(String(8), default="atr", server_default="atr")  # or "garch"
    user: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime]


class AuditEntry(Base):
    """Who did what, when, with which request and which result: every prediction and every change."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48), index=True)
    status: Mapped[int]
    request: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]


def default_url() -> str:
    """``LYDIAN_DATABASE_URL``, else the SQLite file ``lydian.db`` in ``LYDIAN_HOME``."""
    return os.environ.get("LYDIAN_DATABASE_URL") or f"sqlite:///{home_dir() / 'lydian.db'}"


def _add_missing_columns(engine: Engine) -> None:
    """Columns added since a database was created (``create_all`` makes only missing tables)."""
    have = {c["name"] for c in inspect(engine).get_columns("ensemble_configs")}
    if "members" not in have:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE ensemble_configs ADD COLUMN members JSON"))
    if "volatility" not in have:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE ensemble_configs ADD COLUMN volatility VARCHAR(8) DEFAULT 'atr'"))


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the driver Lydian installs), not SQLAlchemy's psycopg2 default."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes, fast commits
        cursor.close()


class Database:
    """An engine, its tables (created when missing) and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.kind = "postgresql" if self.url.startswith("postgresql") else self.url.split(":", 1)[0].split("+")[0]
        try:
            if self.kind == "sqlite":
                self.engine = create_engine(self.url, connect_args={"check_same_thread": False, "timeout": 10})
                _sqlite_pragmas(self.engine)
            else:
                self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10)
            Base.metadata.create_all(self.engine)
            _add_missing_columns(self.engine)
        except Exception as exc:  # a bad URL or an unreachable server: say so once, without the password
            safe = self.url.split("@")[-1] if "@" in self.url else self.url
            raise LydianError(f"cannot open the database {safe}: {type(exc).__name__}") from None
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def __call__(self) -> Session:
        return self.session()

    def dispose(self) -> None:
        self.engine.dispose()
