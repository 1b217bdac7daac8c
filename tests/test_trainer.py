"""The shared torch trainer and `TorchModel`, driven by tiny contract-following nets on synthetic data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from core.errors import LydianError
from core.models.base import NotFittedError
from core.models.config import NetConfig
from core.models.torch_model import WEIGHTS, TorchModel, WeightsError
from core.models.trainer import Windows, amp_enabled, evaluate, train_module

CFG = NetConfig(lookback=8, hidden=16, dropout=0.0, max_epochs=12, patience=3, batch_size=64, lr=3e-3)
CPU = torch.device("cpu")


class Flat(nn.Module):
    """Linear over the flattened window: many weights, so it overfits noise quickly."""

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.linear = nn.Linear(n_features * cfg.lookback, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(1))


class TinyGRU(nn.Module):
    """One GRU layer read at the last step."""

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.gru = nn.GRU(n_features, cfg.hidden, batch_first=True)
        self.head = nn.Linear(cfg.hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.gru(x)[0][:, -1])


class TinyAttention(nn.Module):
    """Softmax attention over the steps, then a linear head on the weighted mean."""

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.score = nn.Linear(n_features, 1)
        self.head = nn.Linear(n_features, 2)

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.score(x).squeeze(-1), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head((self.attention_weights(x)[..., None] * x).sum(dim=1))


def _frames(n: int, n_features: int = 3, signal: float = 0.75, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features iid N(0, 1); the future return is ``signal`` x feature 0 two bars back + N(0, 1) noise.

    With signal 0.75 the best possible direction accuracy is 0.5 + asin(0.6) / pi, about 70%.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features))
    ret = rng.normal(size=n)
    ret[2:] += signal * x[:-2, 0]
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    features = pd.DataFrame(x, index=index, columns=[f"f{i}" for i in range(n_features)])
    targets = pd.DataFrame({"direction": (ret > 0).astype(float), "future_return": 0.01 * ret}, index=index)
    return features, targets


def _fit(module_cls: type[nn.Module], n: int, seed: int, cfg: NetConfig = CFG) -> tuple[TorchModel, pd.DataFrame]:
    """Fit on the first 70% of ``n`` synthetic rows, validate on the rest; returns the model and all features."""
    features, targets = _frames(n)
    cut = int(0.7 * n)
    model = TorchModel("tiny", cfg, module_cls, family="test")
    model.fit(features[:cut], targets[:cut], features[cut:], targets[cut:], seed=seed, device="cpu")
    return model, features


@pytest.fixture(scope="module")
def fitted() -> tuple[TorchModel, pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """A tiny GRU trained on 1,900 rows of the planted signal, validated on 600; the last 800 are held out."""
    features, targets = _frames(3300)
    seen: list[dict[str, Any]] = []
    model = TorchModel("tiny-gru", CFG, TinyGRU, family="test")
    model.fit(features[:1900], targets[:1900], features[1900:2500], targets[1900:2500], seed=0, device="cpu",
              progress=seen.append)
    return model, features, targets, seen


def test_early_stopping_stops_and_restores_the_best_weights() -> None:
    rng = np.random.default_rng(1)
    x_train, x_valid = rng.normal(size=(300, 20)).astype(np.float32), rng.normal(size=(300, 20)).astype(np.float32)
    y_train = np.column_stack([rng.integers(0, 2, 300), rng.normal(size=300)]).astype(np.float32)
    y_valid = np.column_stack([rng.integers(0, 2, 300), rng.normal(size=300)]).astype(np.float32)
    cfg = NetConfig(lookback=8, max_epochs=60, patience=3, batch_size=32, lr=1e-2)
    module = Flat(20, cfg)
    result = train_module(module, x_train, y_train, x_valid, y_valid, cfg, seed=0, device=CPU)
    epochs = [r["epoch"] for r in result.history]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) < cfg.max_epochs  # noise: stops early
    assert epochs[-1] == result.best_epoch + cfg.patience
    assert result.best_valid_loss == min(r["valid_loss"] for r in result.history)
    after = evaluate(module, Windows(x_valid, y_valid, cfg.lookback, CPU), 0.0)
    assert after == result.best_valid_loss
    assert result.amp is False


def test_amp_is_for_cuda_only() -> None:
    assert amp_enabled(CPU) is False
    assert amp_enabled(torch.device("mps")) is False
    assert amp_enabled(torch.device("cuda")) is True


def test_same_seed_gives_identical_predictions_and_another_seed_does_not() -> None:
    cfg = NetConfig(lookback=8, hidden=8, dropout=0.0, max_epochs=3, batch_size=64)
    first, features = _fit(TinyGRU, 600, seed=3, cfg=cfg)
    again, _ = _fit(TinyGRU, 600, seed=3, cfg=cfg)
    other, _ = _fit(TinyGRU, 600, seed=4, cfg=cfg)
    assert first.predict(features).equals(again.predict(features))
    assert not np.allclose(first.predict(features).dropna(), other.predict(features).dropna())


def test_a_tiny_gru_learns_the_planted_signal(fitted) -> None:
    model, features, targets, _ = fitted
    held_out = model.predict(features[2500 - model.context_rows:]).iloc[model.context_rows:]
    truth = targets[2500:]
    accuracy = np.mean((held_out["p_up"] > 0.5) == (truth["direction"] > 0.5))
    assert accuracy > 0.6  # the signal allows about 0.70; a coin gives 0.50 +- 0.018 on 800 rows
    assert np.corrcoef(held_out["expected_return"], truth["future_return"])[0, 1] > 0.3
    assert held_out["expected_return"].std() == pytest.approx(truth["future_return"].std() * 0.6, rel=0.5)


def test_only_the_first_lookback_minus_one_rows_are_nan(fitted) -> None:
    model, features, _, _ = fitted
    predictions = model.predict(features[:100])
    assert (predictions.dtypes == np.float64).all()
    assert predictions.isna().all(axis=1).to_numpy().nonzero()[0].tolist() == list(range(CFG.lookback - 1))
    assert predictions[CFG.lookback - 1:].notna().all().all()
    assert predictions["p_up"].between(0, 1).iloc[CFG.lookback - 1:].all()
    assert model.predict(features[: CFG.lookback - 1]).isna().all().all()


def test_batch_prediction_equals_row_by_row(fitted) -> None:
    model, features, _, _ = fitted
    batch = model.predict(features[:60])
    for row in range(CFG.lookback - 1, 60):
        alone = model.predict(features[row - CFG.lookback + 1: row + 1]).iloc[-1]
        np.testing.assert_allclose(alone.to_numpy(), batch.iloc[row].to_numpy(), atol=1e-6, rtol=0)


def test_save_and_load_give_identical_predictions(fitted, tmp_path: Path) -> None:
    model, features, _, _ = fitted
    state = json.loads(json.dumps(model.save(tmp_path)))
    loaded = TorchModel("tiny-gru", CFG, TinyGRU, family="test").load(tmp_path, state)
    assert loaded.predict(features).equals(model.predict(features))
    assert (loaded.best_epoch_, loaded.history_, loaded.device_) == (model.best_epoch_, model.history_, "cpu")
    assert loaded.n_parameters() == model.n_parameters()
    assert not list(tmp_path.glob("*.p*kl*")) and not list(tmp_path.glob("*.pt"))


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "missing", "wrong shapes"])
def test_damaged_weights_raise_a_clear_error(fitted, tmp_path: Path, damage: str) -> None:
    model, _, _, _ = fitted
    state = model.save(tmp_path)
    path = tmp_path / WEIGHTS
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif damage == "missing":
        path.unlink()
    else:
        state["weights"]["n_features"] += 1
    with pytest.raises(WeightsError, match="tiny-gru: cannot load .*weights.safetensors.*retrain") as caught:
        TorchModel("tiny-gru", CFG, TinyGRU, family="test").load(tmp_path, state)
    assert isinstance(caught.value, LydianError) and caught.value.__suppress_context__


def test_progress_is_called_once_per_epoch(fitted) -> None:
    model, _, _, seen = fitted
    assert seen == model.history_
    assert [r["epoch"] for r in seen] == list(range(1, len(seen) + 1))
    for record in seen:
        assert {"model", "epoch", "epochs", "train_loss", "valid_loss", "best"} <= set(record)
        assert (record["model"], record["epochs"]) == ("tiny-gru", CFG.max_epochs)
    assert seen[0]["best"] and max(r["epoch"] for r in seen if r["best"]) == model.best_epoch_


def test_n_parameters_counts_trainable_weights(fitted) -> None:
    model, _, _, _ = fitted
    highway = 3 * 2 + 2  # the shared linear highway from the last bar's 3 features to the 2 outputs
    expected = sum(p.numel() for p in TinyGRU(3, CFG).parameters()) + highway
    assert model.n_parameters() == expected
    with pytest.raises(NotFittedError):
        TorchModel("fresh", CFG, TinyGRU, family="test").n_parameters()


def test_attention_is_per_row_over_the_lookback_and_none_without_it(fitted) -> None:
    model, features, _, _ = fitted
    assert model.attention(features[:50]) is None
    attentive, features = _fit(TinyAttention, 400, seed=0, cfg=NetConfig(lookback=8, max_epochs=2))
    weights = attentive.attention(features[:50])
    assert list(weights.columns) == [f"lag_{k}" for k in range(7, -1, -1)]
    assert weights.iloc[:7].isna().all().all()
    np.testing.assert_allclose(weights.iloc[7:].sum(axis=1), 1.0, atol=1e-6)
