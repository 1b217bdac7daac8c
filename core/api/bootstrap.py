"""``lydian serve --bootstrap``: train what a fresh server will be asked for, before it opens.

By default `core.defaults.DEFAULT_MODELS` (the fast boosters and their ensemble) on every bundled
market's hourly candles, each fitted on the recent ``bars`` candles. A (market, model) already trained is skipped, so a restart with ``--bootstrap`` costs a
directory listing. Progress goes to the ``lydian.api`` log: a line as each model starts, and one
per market with the versions made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from core import forecasters
from core.data import available, load_candles, normalize_symbol
from core.defaults import DEFAULT_HORIZON, DEFAULT_MODELS, DEFAULT_TIMEFRAME, RECENT_BARS
from core.errors import LydianError, UnknownSymbolError
from core.models.store import Key, ModelStore
from core.models.training import train_models

log = logging.getLogger("lydian.api")


def markets(symbols: Sequence[str] | None, timeframe: str) -> list[str]:
    """The canonical symbols to train (default: every bundled one with this timeframe)."""
    table = available()
    have = sorted(set(table[(table["source"] == "bundled") & (table["timeframe"] == timeframe)]["symbol"]))
    if not symbols:
        return have
    chosen = [normalize_symbol(s) for s in symbols]
    unknown = [s for s in chosen if s not in have]
    if unknown:
        raise UnknownSymbolError(f"no bundled {timeframe} candles for {', '.join(unknown)}; "
                                 f"available: {', '.join(have)}")
    return list(dict.fromkeys(chosen))


def bootstrap(symbols: Sequence[str] | None = None, models: Sequence[str] = DEFAULT_MODELS,
              timeframe: str = DEFAULT_TIMEFRAME, horizon: int = DEFAULT_HORIZON, bars: int = RECENT_BARS) -> int:
    """Train every missing (market, model); returns how many could not be trained (each is logged)."""
    models = forecasters.resolve_ids(",".join(models))  # unknown ids fail here, before any training
    store = ModelStore()
    todo = {s: [m for m in models if not store.versions(Key(s, timeframe, horizon), m)]
            for s in markets(symbols, timeframe)}
    total, started = sum(map(len, todo.values())), 0
    log.info("bootstrap: %d of %d models to train (%s on %d %s markets, the last %d bars each)", total,
             len(todo) * len(models), ", ".join(models), len(todo), timeframe, bars)
    clock = time.monotonic()
    for symbol, missing in todo.items():
        if not missing:
            continue

        def announce(event: dict[str, Any], symbol: str = symbol) -> None:
            nonlocal started
            if event.get("event") == "model":
                started += 1
                log.info("bootstrap %d/%d: training %s on %s %s", started, total, event["model"], symbol, timeframe)

        try:
            candles = load_candles(symbol, timeframe).iloc[-bars:]
            reports = train_models(candles, Key(symbol, timeframe, horizon), missing, source="bundled",
                                   progress=announce)
        except LydianError as exc:
            log.error("bootstrap: %s %s not trained: %s", symbol, timeframe, exc)
            continue
        log.info("bootstrap: %s %s ready: %s", symbol, timeframe,
                 ", ".join(f"{r.model_id} v{r.version} ({r.fit_seconds:.1f} s)" for r in reports))
    trained = sum(bool(store.versions(Key(s, timeframe, horizon), m)) for s, ms in todo.items() for m in ms)
    log.info("bootstrap: %d of %d trained in %.0f s", trained, total, time.monotonic() - clock)
    return total - trained
