"""Does a model beat the linear references DLinear and NLinear on the same bars?

LTSF-Linear (Zeng et al., AAAI 2023) found one linear map over the window beating long-horizon
Transformers, so a board that holds a reference tests every other model against it on the same
out-of-sample forecasts: McNemar on direction (one-sided, the model right more often) and
Diebold-Mariano on the return forecast's squared errors (positive: the model's errors smaller),
each Holm-corrected over the models compared. ``beats`` is the direction verdict, the one the
board ranks by; ``beats_return`` the return forecast's.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.backtest.comparison import _right
from core.backtest.significance import ALPHA, diebold_mariano, holm, mcnemar

REFERENCES = ("dlinear", "nlinear")


def versus_references(models: dict[str, pd.DataFrame], horizon: int) -> dict[str, dict[str, dict[str, Any]]]:
    """``{model: {"vs_dlinear": {...}, "vs_nlinear": {...}}}`` for every non-reference model; {} without a reference."""
    others = [name for name in models if name not in REFERENCES]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for reference in (r for r in REFERENCES if r in models):
        base = models[reference]
        realised = base["realised_return"].to_numpy()
        tests = {}
        for name in others:
            own = models[name]
            if not own.index.equals(base.index):
                raise ValueError(f"{name} and {reference} were not forecast on the same bars")
            better, _ = mcnemar(_right(own), _right(base))
            dm, dm_p = diebold_mariano(own["expected_return"].to_numpy() - realised,
                                       base["expected_return"].to_numpy() - realised, horizon)
            tests[name] = (better, dm, dm_p)
        direction = holm([t[0] for t in tests.values()]) if tests else []
        returns = holm([t[2] if math.isfinite(t[2]) else 1.0 for t in tests.values()]) if tests else []
        for (name, (_, dm, dm_p)), p_dir, p_ret in zip(tests.items(), direction, returns, strict=True):
            out.setdefault(name, {})[f"vs_{reference}"] = {
                "mcnemar_p_holm": p_dir, "dm_stat": _finite(dm), "dm_p": _finite(dm_p), "dm_p_holm": p_ret,
                "beats": bool(p_dir < ALPHA), "beats_return": bool(p_ret < ALPHA and dm > 0),
            }
    return out


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
