"""Progress bars on stderr for walk-forward work: one over the models, one over the folds of each."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

Progress = Callable[[dict[str, Any]], None]


def tqdm_bars(total_models: int) -> tuple[Progress, Callable[[], None]]:
    """A callback for ``model`` and ``fold`` events, and the function that closes the bars."""
    from tqdm import tqdm

    models = tqdm(total=total_models, desc="models", unit="model", file=sys.stderr, position=0)
    folds: list[Any] = []

    def close_folds() -> None:
        while folds:
            folds.pop().close()

    def update(event: dict[str, Any]) -> None:
        if event.get("event") == "model":
            close_folds()
            if event["index"]:
                models.update()
            models.set_postfix_str(event["model"])
        elif event.get("event") == "fold":
            if not folds:
                folds.append(tqdm(total=event["folds"], desc=event["model"], unit="fold", file=sys.stderr,
                                  position=1, leave=False))
            folds[0].update()

    def close() -> None:
        close_folds()
        models.update(models.total - models.n)
        models.close()

    return update, close
