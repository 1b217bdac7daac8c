"""The rest of the time-series zoo (issue 22): known answers for its building blocks, and checks
over every net of `core.models.nets.NETS` that no single-model test makes.

- Batch-size independence: a window's forecast must not depend on how many windows share its
  batch, nor may the last partial batch be dropped (a known bug of several public Transformer
  benchmarks); checked on every registered net, and through `TorchModel.predict`'s chunking.
- DLinear's moving average, NLinear's level shift, and the stepped LSTM cell against torch's LSTM.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from core.backtest.references import versus_references
from core.models import registry, torch_model
from core.models.dataset import prepare
from core.models.nets import NETS
from core.models.nets._cell import LoopLSTM
from core.models.nets.linear_dlinear import moving_average_matrix
from tests.synthetic import ar1_candles
from tests.torch_threads import one_torch_thread  # noqa: F401 - autouse: one torch thread here

TINY = {"hidden": 16, "heads": 2, "lookback": 12}  # a forward pass in milliseconds
N_FEATURES = 7


def _windows(n: int, lookback: int = TINY["lookback"], seed: int = 3) -> torch.Tensor:
    return torch.randn(n, lookback, N_FEATURES, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("net_id", sorted(NETS))
def test_forecasts_do_not_depend_on_the_batch_size(net_id: str) -> None:
    torch.manual_seed(0)
    net = NETS[net_id].module(N_FEATURES, NETS[net_id].config(TINY)).eval()
    x = _windows(37)
    with torch.no_grad():
        whole = net(x)
        chunked = torch.cat([net(part) for part in x.split(8)])  # 4 x 8 + a last partial batch of 5
        single = torch.cat([net(x[i : i + 1]) for i in range(len(x))])
    assert whole.shape == chunked.shape == single.shape and whole.shape[0] == 37
    torch.testing.assert_close(chunked, whole, rtol=0, atol=1e-5)
    torch.testing.assert_close(single, whole, rtol=0, atol=1e-5)


def test_predict_scores_every_window_whatever_the_chunk_size(monkeypatch) -> None:
    """A chunk size that does not divide the windows gives the same forecasts, the last ones included."""
    dataset = prepare(ar1_candles(900, 0.3, seed=5), horizon=1)
    split, index = dataset.split()
    model = registry.create("dlinear", max_epochs=1, lookback=16)
    model.fit(*dataset.window(index[split.train]), *dataset.window(index[split.valid]), seed=0, device="cpu")
    x_test = dataset.window(index[split.test])[0]
    reference = model.predict(x_test).to_numpy()
    monkeypatch.setattr(torch_model, "EVAL_CHUNK", 7)
    chunked = model.predict(x_test).to_numpy()
    assert np.isfinite(chunked[model.context_rows :]).all()
    np.testing.assert_allclose(chunked, reference, rtol=0, atol=1e-6)  # float32 sums regroup by batch shape


def test_dlinear_trend_is_a_centred_moving_average_with_repeated_ends() -> None:
    average = moving_average_matrix(24, 25)  # the window is shorter than the paper's 25: cut to 23, odd
    assert torch.allclose(average.sum(1), torch.ones(24))
    ramp = torch.arange(24, dtype=torch.float32)
    trend = average @ ramp
    assert torch.allclose(trend[11:13], ramp[11:13])  # centred: a straight line is its own average inside
    assert trend[0] > ramp[0] and trend[-1] < ramp[-1]  # ends repeated, so the average bends there
    assert torch.allclose(moving_average_matrix(5, 3) @ torch.ones(5), torch.ones(5))


def test_nlinear_sees_windows_relative_to_their_last_value() -> None:
    """Shifting a channel's whole window by c moves the output by exactly head.weight @ c."""
    torch.manual_seed(0)
    net = NETS["nlinear"].module(N_FEATURES, NETS["nlinear"].config(TINY)).eval()
    x, shift = _windows(4), torch.randn(N_FEATURES)
    with torch.no_grad():
        moved = net(x + shift) - net(x)
    torch.testing.assert_close(moved, (net.head.weight @ shift).expand(4, 2), rtol=0, atol=1e-5)


def test_the_stepped_cell_without_options_is_torchs_lstm() -> None:
    torch.manual_seed(0)
    cell = LoopLSTM(N_FEATURES, 5).eval()
    reference = torch.nn.LSTM(N_FEATURES, 5, batch_first=True)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(cell.x2g.weight)
        reference.bias_ih_l0.copy_(cell.x2g.bias)
        reference.weight_hh_l0.copy_(cell.h2g.weight)
        reference.bias_hh_l0.zero_()
        x = _windows(3)
        torch.testing.assert_close(cell(x), reference(x)[0], rtol=0, atol=1e-6)


def test_variational_dropout_keeps_one_mask_per_sequence() -> None:
    """In training the same input units are dropped at every step: a constant window stays constant."""
    torch.manual_seed(0)
    cell = LoopLSTM(N_FEATURES, 5, dropout=0.5).train()
    seen = []
    cell.x2g.register_forward_hook(lambda _m, args, _out: seen.append(args[0]))
    cell(torch.ones(2, 6, N_FEATURES))
    masked = seen[0]
    assert (masked == 0).any() and torch.equal(masked, masked[:, :1].expand_as(masked))


def test_the_zoo_is_listed_by_family(capsys) -> None:
    from core.cli import main

    main(["models", "list", "--json"])
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    for net_id, net in NETS.items():
        assert rows[net_id]["family"] == net.family in registry.FAMILIES
    assert {rows[m]["family"] for m in ("dlinear", "nlinear")} == {"linear"}
    assert registry.resolve_ids("linear") == ["dlinear", "nlinear"]


def _forecasts(realised: np.ndarray, p_up: np.ndarray, expected: np.ndarray) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(realised), freq="h", tz="UTC")
    return pd.DataFrame({"p_up": p_up, "expected_return": expected, "realised_return": realised,
                         "realised_direction": (realised > 0).astype(float)}, index=index)


def test_versus_references_finds_a_better_model_and_not_an_equal_one() -> None:
    rng = np.random.default_rng(0)
    realised = rng.normal(0.0, 0.01, 600)
    reference = _forecasts(realised, rng.uniform(size=600), np.zeros(600))  # a coin flip, the random walk's return
    better = _forecasts(realised, np.where(realised > 0, 0.7, 0.3), 0.5 * realised)  # planted: knows the answer
    same = reference.copy()
    out = versus_references({"dlinear": reference, "better": better, "same": same}, horizon=1)
    assert set(out) == {"better", "same"} and set(out["better"]) == {"vs_dlinear"}
    assert out["better"]["vs_dlinear"]["beats"] and out["better"]["vs_dlinear"]["beats_return"]
    assert not out["same"]["vs_dlinear"]["beats"] and not out["same"]["vs_dlinear"]["beats_return"]
    assert versus_references({"better": better}, horizon=1) == {}  # no reference on the board: no verdict
