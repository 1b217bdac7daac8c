"""The API's view of the stored ensemble configurations (`core.ensemble_configs`): shaped and audited.

Every ``POST /ensemble/configure`` adds a row and an audit record, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from core import ensemble_configs
from core.api.audit import record_change
from core.db import Database

FIELDS = ensemble_configs.FIELDS


def current(db: Database, symbol: str, timeframe: str, horizon: int) -> dict[str, Any]:
    """The configuration in force for one market (the defaults when never configured)."""
    return {"symbol": symbol, "timeframe": timeframe, "horizon": horizon,
            **ensemble_configs.stored(symbol, timeframe, horizon, db)}


def save(db: Database, symbol: str, timeframe: str, horizon: int, values: dict[str, Any], user: str,
         client: str, request: dict[str, Any]) -> dict[str, Any]:
    """Store a validated configuration and its audit record together."""
    def audit(session: Any, result: dict[str, Any]) -> None:
        record_change(session, user, client, "ensemble.configure", request,
                      {"symbol": symbol, "timeframe": timeframe, "horizon": horizon, **result})

    result = ensemble_configs.save(symbol, timeframe, horizon, values, user, db, on_saved=audit)
    return {"symbol": symbol, "timeframe": timeframe, "horizon": horizon, **result}

