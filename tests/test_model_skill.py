"""Known answers: every model finds a planted AR(1) signal and finds nothing in a random walk.

AR(1) returns with phi = 0.2 allow at most 0.5 + arcsin(0.2)/pi = 56.4% one-bar direction
accuracy; a random walk allows 50%. Scores are measured on the held-out last 20% only.
Seeds are fixed, so the outcome is deterministic on a given platform.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.models import registry
from core.models.dataset import prepare
from tests.synthetic import ar1_candles

OPTIMUM = 0.5 + math.asin(0.2) / math.pi
SMALL = {"lookback": 24, "max_epochs": 8, "patience": 2}  # keeps 16 nets x 2 series within CI minutes


def _held_out_accuracy(model_id: str, phi: float) -> tuple[float, int]:
    dataset = prepare(ar1_candles(8_000, phi, seed=7), horizon=1)
    split, index = dataset.split()
    overrides = SMALL if registry.spec(model_id).sequence else {}
    model = registry.create(model_id, **overrides)
    model.fit(*dataset.window(index[split.train]), *dataset.window(index[split.valid]), seed=0, device="cpu")
    x_test, y_test = dataset.window(index[split.test])
    p_up = model.predict(x_test)["p_up"].to_numpy()[model.context_rows :]
    truth = y_test["direction"].to_numpy()[model.context_rows :]
    return float(np.mean((p_up > 0.5) == (truth > 0.5))), len(truth)


@pytest.mark.slow
@pytest.mark.parametrize("model_id", registry.model_ids())
def test_planted_ar1_signal_is_learned(model_id: str) -> None:
    accuracy, n = _held_out_accuracy(model_id, phi=0.2)
    assert n > 1_400
    assert 0.53 < accuracy <= OPTIMUM + 0.03, f"{model_id}: {accuracy:.3f} on {n} held-out bars (optimum {OPTIMUM:.3f})"


@pytest.mark.slow
@pytest.mark.parametrize("model_id", registry.model_ids())
def test_random_walk_gives_no_edge(model_id: str) -> None:
    accuracy, n = _held_out_accuracy(model_id, phi=0.0)
    assert abs(accuracy - 0.5) < 0.04, f"{model_id}: {accuracy:.3f} on {n} held-out bars of a random walk"
