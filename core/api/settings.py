"""API settings, read once from the environment so `lydian serve`, `make api` and tests agree.

| variable | default | meaning |
|---|---|---|
| ``LYDIAN_DATABASE_URL`` | SQLite file ``lydian.db`` in ``LYDIAN_HOME`` | jobs, ensemble configuration, audit log |
| ``LYDIAN_JWT_SECRET`` | unset (mutating endpoints answer 403 writes_disabled) | HS256 secret of the bearer tokens, >= 32 bytes |
| ``LYDIAN_API_RATE_LIMIT`` | 100 | requests per user (per IP without a token): ``100``, ``100/min``, ``10/s``, ``6000/hour``; 0 = off |
| ``LYDIAN_API_PROTECT_READS`` | 0 | 1 = read endpoints need a token too |
| ``LYDIAN_API_CORS_ORIGINS`` | none | comma-separated origins allowed by CORS |
| ``LYDIAN_API_MAX_BODY`` | 65536 | largest request body in bytes (413 above) |
| ``LYDIAN_API_TRAIN_WORKERS`` | 1 | training processes at once (2 cores: one leaves a core for requests) |
| ``LYDIAN_API_AUTO_TRAIN`` | 1 | 0 = forecasts of untrained models answer 404, not 202 with a training job |
| ``LYDIAN_API_TRAIN_BARS`` | 17520 | recent candles that training on demand and ``--bootstrap`` fit on |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from core.db import default_url
from core.defaults import RECENT_BARS
from core.errors import LydianError

MIN_TRAIN_BARS = 1_000  # fewer leaves the validation and test windows too short to mean anything
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash output


def _int(name: str, default: int, low: int) -> int:
    text = os.environ.get(name, "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        raise LydianError(f"{name}={text!r} is not a whole number") from None
    if value < low:
        raise LydianError(f"{name} must be at least {low}, got {value}")
    return value


_PER = {"s": 60, "sec": 60, "second": 60, "m": 1, "min": 1, "minute": 1, "h": 1 / 60, "hr": 1 / 60, "hour": 1 / 60}
_RATE = re.compile(r"^(\d+)\s*(?:/\s*([a-z]+))?$")
RATE_FORMS = "100 (a minute), 100/min, 100/minute, 2/s, 2/sec, 2/second, 6000/h or 6000/hour; 0 turns the limit off"


def rate_per_minute(text: str) -> int:
    """Requests a minute from the forms people write; a clear refusal naming the accepted forms otherwise."""
    found = _RATE.match(text.strip().lower())
    unit = (found.group(2) or "minute") if found else None
    if found is None or unit not in _PER:
        raise LydianError(f"LYDIAN_API_RATE_LIMIT={text!r} is not a rate; write {RATE_FORMS}")
    count = int(found.group(1))
    per_minute = count * _PER[unit]
    if count and per_minute < 1:
        raise LydianError(f"LYDIAN_API_RATE_LIMIT={text!r} is below one request a minute, the finest step the "
                          "limiter counts; use at least 60/hour")
    return int(per_minute)


def _flag(name: str, default: bool) -> bool:
    text = os.environ.get(name, "").strip().lower()
    return text in ("1", "true", "yes") if text else default


def check_secret(secret: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise LydianError(f"LYDIAN_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long "
                          "(e.g. the output of: python -c 'import secrets; print(secrets.token_hex(32))')")
    return secret


@dataclass(frozen=True)
class ApiSettings:
    database_url: str
    jwt_secret: str | None = None
    rate_limit: int = 100  # requests per minute per identity; 0 turns the limit off
    protect_reads: bool = False
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 65_536  # a 100-symbol batch is ~3 KB; 64 KB leaves room, refuses floods
    train_workers: int = 1
    auto_train: bool = True  # a forecast of an untrained model queues its training (core.api.autotrain)
    train_bars: int = RECENT_BARS

    @classmethod
    def from_env(cls) -> ApiSettings:
        secret = os.environ.get("LYDIAN_JWT_SECRET") or None
        origins = tuple(o.strip() for o in os.environ.get("LYDIAN_API_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            database_url=default_url(),
            jwt_secret=check_secret(secret) if secret else None,
            rate_limit=rate_per_minute(os.environ.get("LYDIAN_API_RATE_LIMIT", "").strip() or "100"),
            protect_reads=_flag("LYDIAN_API_PROTECT_READS", False),
            cors_origins=origins,
            max_body_bytes=_int("LYDIAN_API_MAX_BODY", 65_536, 1_024),
            train_workers=_int("LYDIAN_API_TRAIN_WORKERS", 1, 1),
            auto_train=_flag("LYDIAN_API_AUTO_TRAIN", True),
            train_bars=_int("LYDIAN_API_TRAIN_BARS", RECENT_BARS, MIN_TRAIN_BARS),
        )
