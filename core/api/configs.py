"""Stored ensemble configurations: method, calibration, user weights and signal thresholds per market.

Every ``POST /ensemble/configure`` adds a row (and an audit record, in the same transaction); the
newest row of a market is the configuration in force, older rows are its history. A market never
configured uses the core defaults.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.api.audit import record_change
from core.api.db import Database, EnsembleSetting, iso, now
from core.ensemble import SignalSettings

DEFAULTS = {"method": "weighted", "calibration": "platt", "user_weights": None,
            "min_confidence": SignalSettings().min_confidence, "sl_atr": SignalSettings().sl_atr,
            "tp_atr": SignalSettings().tp_atr}
FIELDS = tuple(DEFAULTS)


def _out(symbol: str, timeframe: str, horizon: int, row: EnsembleSetting | None) -> dict[str, Any]:
    values = {f: getattr(row, f) for f in FIELDS} if row is not None else dict(DEFAULTS)
    return {"symbol": symbol, "timeframe": timeframe, "horizon": horizon, **values,
            "updated_by": row.user if row is not None else None,
            "updated": iso(row.created) if row is not None else None}


def current(db: Database, symbol: str, timeframe: str, horizon: int) -> dict[str, Any]:
    """The configuration in force for one market (the defaults when never configured)."""
    with db() as session:
        market = (EnsembleSetting.symbol == symbol, EnsembleSetting.timeframe == timeframe,
                  EnsembleSetting.horizon == horizon)
        row = session.scalars(select(EnsembleSetting).where(*market).order_by(EnsembleSetting.id.desc()).limit(1)).first()
    return _out(symbol, timeframe, horizon, row)


def save(db: Database, symbol: str, timeframe: str, horizon: int, values: dict[str, Any], user: str,
         client: str, request: dict[str, Any]) -> dict[str, Any]:
    """Store a validated configuration and its audit record together."""
    with db() as session:
        row = EnsembleSetting(symbol=symbol, timeframe=timeframe, horizon=horizon, user=user, created=now(),
                              **{f: values[f] for f in FIELDS})
        session.add(row)
        session.flush()
        result = _out(symbol, timeframe, horizon, row)
        record_change(session, user, client, "ensemble.configure", request, result)
        session.commit()
    return result


def settings_of(config: dict[str, Any]) -> SignalSettings:
    return SignalSettings(config["min_confidence"], config["sl_atr"], config["tp_atr"])
