"""The ensemble configuration of each market, in one store that the dashboard, the CLI and the API share.

Every save adds a row to the database (`core.db`, SQLite by default, PostgreSQL by URL); the newest
row of a market is the configuration in force, older rows are its history. A market never
configured uses the core defaults. The API records an audit entry in the same transaction
(``on_saved``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import Database, EnsembleSetting, default_url, iso, now
from core.ensemble import EnsembleConfig, SignalSettings

DEFAULTS: dict[str, Any] = {
    "method": EnsembleConfig.method, "calibration": EnsembleConfig.calibration, "user_weights": None, "members": None,
    "min_confidence": EnsembleConfig.min_confidence, "sl_atr": SignalSettings.sl_atr, "tp_atr": SignalSettings.tp_atr,
    "volatility": SignalSettings.volatility,
}
FIELDS = tuple(DEFAULTS)


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    return Database(url)


def database(db: Database | None = None) -> Database:
    """The given database, else the default one (opened once per process)."""
    return db or _database(default_url())


def stored(symbol: str, timeframe: str, horizon: int, db: Database | None = None) -> dict[str, Any]:
    """The values in force for one market (the defaults when never configured), who set them and when."""
    with database(db)() as session:
        market = (EnsembleSetting.symbol == symbol, EnsembleSetting.timeframe == timeframe,
                  EnsembleSetting.horizon == horizon)
        row = session.scalars(select(EnsembleSetting).where(*market).order_by(EnsembleSetting.id.desc()).limit(1)).first()
    return _values(row)


def _values(row: EnsembleSetting | None) -> dict[str, Any]:
    values = {f: getattr(row, f) for f in FIELDS} if row is not None else dict(DEFAULTS)
    return values | {"updated_by": row.user if row is not None else None,
                     "updated": iso(row.created) if row is not None else None}


def config_of(values: dict[str, Any], horizon: int) -> EnsembleConfig:
    """The `EnsembleConfig` that stored values describe."""
    members = tuple(values["members"]) if values.get("members") else EnsembleConfig.members
    return EnsembleConfig(members=members, method=values["method"], calibration=values["calibration"],
                          user_weights=values["user_weights"] or None, min_confidence=values["min_confidence"],
                          horizon=horizon)


def current(symbol: str, timeframe: str, horizon: int, db: Database | None = None) -> EnsembleConfig:
    return config_of(stored(symbol, timeframe, horizon, db), horizon)


def signal_settings(symbol: str, timeframe: str, horizon: int, db: Database | None = None) -> SignalSettings:
    return settings_of(stored(symbol, timeframe, horizon, db))


def settings_of(values: dict[str, Any]) -> SignalSettings:
    """The signal settings that stored values describe."""
    return SignalSettings(values["min_confidence"], values["sl_atr"], values["tp_atr"], values["volatility"])


def save(symbol: str, timeframe: str, horizon: int, values: dict[str, Any], user: str, db: Database | None = None,
         on_saved: Callable[[Session, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Validate (by building the configuration) and store; ``on_saved`` runs in the same transaction."""
    values = {f: values.get(f, DEFAULTS[f]) for f in FIELDS}
    config_of(values, horizon)  # an impossible configuration fails here, before anything is written
    settings_of(values)
    with database(db)() as session:
        row = EnsembleSetting(symbol=symbol, timeframe=timeframe, horizon=horizon, user=user, created=now(),
                              **{k: (list(v) if k == "members" and v else v) for k, v in values.items()})
        session.add(row)
        session.flush()
        result = _values(row)
        if on_saved:
            on_saved(session, result)
        session.commit()
    return result
