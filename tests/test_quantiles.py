"""Quantile outputs (capability ``quantiles``): pinball loss and the measured coverage of their intervals.

Known answers: the pinball loss is minimised at the empirical quantile; on Gaussian returns (a
random walk) the TFT's 80 % interval, walked forward out of sample, covers close to 80 % of the test
bars, and the coverage's interval is reported beside it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.backtest.walkforward import walk_forward
from core.models import capabilities as cap
from core.models import registry
from core.models.nets._outputs import extra_loss
from tests.synthetic import ar1_candles

TINY = {"hidden": 16, "heads": 2, "lookback": 12, "max_epochs": 2}


def test_pinball_loss_is_smallest_at_the_empirical_quantiles() -> None:
    levels = (0.1, 0.5, 0.9)
    loss = extra_loss((1,), levels, return_weight=0.5)
    returns = torch.from_numpy(np.random.default_rng(0).standard_normal(4000).astype(np.float32))
    targets = torch.stack([torch.ones_like(returns), returns], dim=1)
    best = torch.quantile(returns, torch.tensor(levels))

    def at(q: torch.Tensor) -> float:
        return float(loss(torch.cat([torch.zeros(len(returns), 2), q.expand(len(returns), -1)], dim=1), targets))

    assert all(at(best) < at(best + shift) for shift in (torch.tensor([0.2, 0, 0]), torch.tensor([0, -0.2, 0]),
                                                         torch.tensor([0, 0, 0.2])))


def test_tft_declares_quantile_intervals() -> None:
    tags = registry.spec("transformer_tft").tags
    assert {cap.QUANTILES, cap.PROBABILISTIC} <= tags  # the Forecast page's fan and the API's intervals read these
    assert "transformer_tft" in registry.forecaster_ids(having=cap.PROBABILISTIC)


@pytest.mark.parametrize("seed", [3])
def test_walk_forward_coverage_of_the_80_interval_is_near_80_on_gaussian_returns(seed: int) -> None:
    candles = ar1_candles(1300, 0.0, seed=seed)  # iid Gaussian log returns
    result = walk_forward("transformer_tft", candles, 1, start=600, refit_every=150, cache=False, overrides=TINY,
                          timeframe="1h")
    m = result.metrics
    assert m["n"] >= 400 and abs(m["own_80_coverage"] - 0.8) < 0.06, m["own_80_coverage"]
    assert m["own_80_coverage_ci_low"] < m["own_80_coverage"] < m["own_80_coverage_ci_high"]
    assert m["own_80_coverage_ci_high"] - m["own_80_coverage_ci_low"] < 0.1
    assert abs(m["own_95_coverage"] - 0.95) < 0.05
    table = result.predictions
    assert (table["lo_95"] <= table["lo_80"]).all() and (table["lo_80"] <= table["hi_80"]).all()
    assert (table["hi_80"] <= table["hi_95"]).all()
