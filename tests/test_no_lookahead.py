"""Proof that no feature looks ahead: row t of `build_features` depends on bars <= t only.

One checker, `assert_causal`, runs two experiments on real candles at several cut points t:

* truncation: features of candles[:t+1] equal the full frame's features on rows <= t;
* perturbation: replacing every bar after t (reversed and rescaled, or a random walk) leaves
  rows <= t unchanged.

Both compare every column and name the offending ones. The same checker is then shown to fail
on deliberately leaky columns planted into the engine, so a green run means something.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.features import build_features, engine, targets
from core.features.base import Block

DATA = Path(__file__).resolve().parents[1] / "data"
RTOL, ATOL = 1e-9, 1e-12

Build = Callable[[pd.DataFrame], pd.DataFrame]


def _candles(symbol: str, start: int, stop: int) -> pd.DataFrame:
    return pd.read_parquet(DATA / f"binance_{symbol}-USDT_1h.parquet").set_index("timestamp").iloc[start:stop]


# Slices chosen to contain a zero-volume bar and holes in the time grid.
SLICES = {
    "BTC": _candles("BTC", 14_000, 17_000),  # zero volume at slice row 1749, a hole at 1189
    "SOL": _candles("SOL", 2_000, 5_000),  # zero volume at 2407, holes at 664, 1175, 1255, 2408
}
WARMUP = build_features(SLICES["BTC"]).attrs["warmup_rows"]
CUTS = (WARMUP, WARMUP + 1, 1_749, 2_407, 2_990)


def _build(candles: pd.DataFrame) -> pd.DataFrame:
    return build_features(candles, drop_warmup=False)


def _reversed(candles: pd.DataFrame, t: int) -> pd.DataFrame:
    """Bars after t replaced by the same bars in reverse order, prices x1.37, volume x0.5."""
    out = candles.copy()
    tail = candles.iloc[t + 1 :].to_numpy()[::-1].copy()
    tail[:, :4] *= 1.37
    tail[:, 4] *= 0.5
    out.iloc[t + 1 :] = tail
    return out


def _random_walk(candles: pd.DataFrame, t: int) -> pd.DataFrame:
    """Bars after t replaced by a valid random OHLCV walk starting at close[t]."""
    rng = np.random.default_rng(t)
    n = len(candles) - t - 1
    close = candles["close"].iloc[t] * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.concatenate([[candles["close"].iloc[t]], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    volume = rng.lognormal(3, 1, n) * (rng.uniform(size=n) > 0.1)  # ~10% zero-volume bars
    out = candles.copy()
    out.iloc[t + 1 :] = np.column_stack([open_, high, low, close, volume])
    return out


PERTURBATIONS = {"reversed": _reversed, "random_walk": _random_walk}


def _assert_same_rows(expected: pd.DataFrame, actual: pd.DataFrame, what: str) -> None:
    assert list(actual.columns) == list(expected.columns), f"{what}: columns differ"
    assert actual.index.equals(expected.index), f"{what}: rows differ"
    want, got = expected.to_numpy(), actual.to_numpy()
    same = np.isclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)
    bad = [str(c) for c in expected.columns[~same.all(axis=0)]]
    np.testing.assert_allclose(
        got, want, rtol=RTOL, atol=ATOL, err_msg=f"{what}: look-ahead in {len(bad)} column(s): {bad}"
    )


def assert_causal(build: Build, candles: pd.DataFrame, cuts: tuple[int, ...]) -> None:
    """Fail, naming the columns, if any row <= t of ``build`` depends on a bar after t."""
    full = build(candles)
    for t in cuts:
        head = full.iloc[: t + 1]
        _assert_same_rows(head, build(candles.iloc[: t + 1]), f"truncated after row {t}")
        for name, perturb in PERTURBATIONS.items():
            changed = build(perturb(candles, t))
            _assert_same_rows(head, changed.iloc[: t + 1], f"bars after row {t} {name}")


@pytest.mark.parametrize("symbol", sorted(SLICES))
def test_build_features_is_causal(symbol: str) -> None:
    assert_causal(_build, SLICES[symbol], CUTS)


def test_perturbations_really_change_the_future() -> None:
    """Guard against a vacuous pass: the later rows must differ after perturbing."""
    candles, t = SLICES["BTC"], 1_000
    full = _build(candles)
    for perturb in PERTURBATIONS.values():
        changed = _build(perturb(candles, t))
        assert not np.allclose(changed.iloc[t + 1 :].to_numpy(), full.iloc[t + 1 :].to_numpy(), equal_nan=True)


def _plant(monkeypatch: pytest.MonkeyPatch, name: str, compute: Callable) -> None:
    blocks = engine._blocks()
    monkeypatch.setattr(engine, "_blocks", lambda: (*blocks, Block((name,), "price", 0, compute)))


def _next_close(bars) -> tuple[np.ndarray]:  # pd.Series.shift(-1): tomorrow's price
    return (pd.Series(bars.close).shift(-1).to_numpy() / bars.close - 1.0,)


def _full_sample_zscore(bars) -> tuple[np.ndarray]:  # the global mean/std know the future
    return ((bars.close - bars.close.mean()) / bars.close.std(),)


@pytest.mark.parametrize(("name", "compute"), [("leak_next_close", _next_close), ("leak_zscore", _full_sample_zscore)])
def test_checker_catches_a_planted_leak(monkeypatch: pytest.MonkeyPatch, name: str, compute: Callable) -> None:
    _plant(monkeypatch, name, compute)
    assert name in _build(SLICES["BTC"]).columns
    with pytest.raises(AssertionError, match=name) as caught:
        assert_causal(_build, SLICES["BTC"], (1_000,))
    assert "sma_20_vs_close" not in str(caught.value)  # only the leaky column is named


def test_targets_look_ahead_and_features_never_see_them() -> None:
    candles, h, t = SLICES["BTC"], 5, 1_000
    base = targets(candles, h)
    bumped = candles.copy()
    bumped.iloc[t + h, bumped.columns.get_loc("close")] *= 1.1
    moved = targets(bumped, h)
    assert moved["future_return"].iloc[t] != base["future_return"].iloc[t]  # row t reads close[t+h]
    assert moved["future_return"].iloc[t + 1 : t + h].equals(base["future_return"].iloc[t + 1 : t + h])
    assert base.iloc[-h:].isna().all().all()

    features = _build(candles)
    assert not set(base.columns) & set(features.columns)
    # Candles that carry the targets as extra columns build the very same features.
    with_targets = _build(candles.join(base))
    pd.testing.assert_frame_equal(with_targets, features)
