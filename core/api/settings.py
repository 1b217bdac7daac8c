"""API settings, read once from the environment so `lydian serve`, `make api` and tests agree.

| variable | default | meaning |
|---|---|---|
| ``LYDIAN_DATABASE_URL`` | SQLite file ``lydian.db`` in ``LYDIAN_HOME`` | jobs, ensemble configuration, audit log |
| ``LYDIAN_JWT_SECRET`` | unset (mutating endpoints answer 503) | HS256 secret of the bearer tokens, >= 32 bytes |
| ``LYDIAN_API_RATE_LIMIT`` | 100 | requests per minute per user (or per IP without a token); 0 = off |
| ``LYDIAN_API_PROTECT_READS`` | 0 | 1 = read endpoints need a token too |
| ``LYDIAN_API_CORS_ORIGINS`` | none | comma-separated origins allowed by CORS |
| ``LYDIAN_API_MAX_BODY`` | 65536 | largest request body in bytes (413 above) |
| ``LYDIAN_API_TRAIN_WORKERS`` | 1 | training processes at once (2 cores: one leaves a core for requests) |
| ``LYDIAN_API_AUTO_TRAIN`` | 1 | 0 = forecasts of untrained models answer 404, not 202 with a training job |
| ``LYDIAN_API_TRAIN_BARS`` | 17520 | recent candles that training on demand and ``--bootstrap`` fit on |
"""

from __future__ import annotations

import os
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
            rate_limit=_int("LYDIAN_API_RATE_LIMIT", 100, 0),
            protect_reads=_flag("LYDIAN_API_PROTECT_READS", False),
            cors_origins=origins,
            max_body_bytes=_int("LYDIAN_API_MAX_BODY", 65_536, 1_024),
            train_workers=_int("LYDIAN_API_TRAIN_WORKERS", 1, 1),
            auto_train=_flag("LYDIAN_API_AUTO_TRAIN", True),
            train_bars=_int("LYDIAN_API_TRAIN_BARS", RECENT_BARS, MIN_TRAIN_BARS),
        )
