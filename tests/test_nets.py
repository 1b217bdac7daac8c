"""The torch nets of `core.models.nets.NETS`: shape, size, gradients, determinism, causality, attention.

Every check is generated from the registry, so a new net is tested the moment it has an entry.
Causality and attention checks pick nets by capability (``features`` / ``attention_weights``).
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from core.models import registry
from core.models.config import ConfigError, NetConfig
from core.models.nets import NETS
from tests.torch_threads import one_torch_thread  # noqa: F401 - autouse: one torch thread here

N_FEATURES = 249  # the real feature count
LOOKBACK = NetConfig().lookback  # the default window
IDS = sorted(NETS)
ATTENTION = [net_id for net_id in IDS if NETS[net_id].attention]
CAUSAL = [net_id for net_id in IDS if NETS[net_id].causal]


def _net(net_id: str, n_features: int = N_FEATURES, **overrides: object) -> nn.Module:
    torch.manual_seed(0)
    spec = NETS[net_id]
    return spec.module(n_features, spec.config(overrides))


def _window(batch: int, lookback: int = LOOKBACK, n_features: int = N_FEATURES, seed: int = 1) -> Tensor:
    return torch.randn(batch, lookback, n_features, generator=torch.Generator().manual_seed(seed))


def test_registry_declares_the_required_capabilities() -> None:
    """Capabilities come from the modules, so no count is pinned: only that each has nets to check."""
    assert {"gru_attention", "transformer_standard"} <= set(ATTENTION) and {"cnn_tcn"} <= set(CAUSAL)
    assert {spec.family for spec in NETS.values()} <= set(registry.FAMILIES)
    assert all(spec.description and "\n" not in spec.description for spec in NETS.values())


@pytest.mark.parametrize("net_id", IDS)
@pytest.mark.parametrize(("lookback", "n_features"), [(LOOKBACK, N_FEATURES), (16, 10)])
def test_output_is_batch_by_two_and_finite(net_id: str, lookback: int, n_features: int) -> None:
    """Two columns, plus a pair per extra horizon and one per quantile where the net declares them."""
    net = _net(net_id, n_features, lookback=lookback)
    extra = 2 * (len(getattr(type(net), "horizon_steps", (1,))) - 1) + len(getattr(type(net), "quantiles", ()))
    for train in (False, True):
        net.train(train)
        for batch in (1, 7):
            out = net(_window(batch, lookback, n_features))
            assert out.shape == (batch, 2 + extra) and out.dtype == torch.float32
            assert torch.isfinite(out).all()


@pytest.mark.parametrize("net_id", IDS)
def test_parameter_count_is_in_range(net_id: str) -> None:
    """Linear references stay small on purpose (one map over time, one across channels)."""
    count = sum(p.numel() for p in _net(net_id).parameters())
    low, high = (1, 10_000) if NETS[net_id].family == "linear" else (100_000, 500_000)
    assert low <= count <= high, f"{net_id}: {count:,} parameters"


@pytest.mark.parametrize("net_id", IDS)
def test_gradients_reach_every_parameter(net_id: str) -> None:
    net = _net(net_id).train()
    net(_window(4)).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, f"{net_id}: no gradient for {name}"
        assert torch.isfinite(p.grad).all(), f"{net_id}: non-finite gradient for {name}"


@pytest.mark.parametrize("net_id", IDS)
def test_eval_mode_is_deterministic(net_id: str) -> None:
    net, x = _net(net_id).eval(), _window(3)
    assert torch.equal(net(x), net(x))


@pytest.mark.parametrize("net_id", IDS)
def test_every_step_of_the_window_moves_the_output(net_id: str) -> None:
    lookback = 16
    net = _net(net_id, 10, lookback=lookback).eval().double()  # float64: a faint early-step effect stays visible
    base = _window(1, lookback, 10).double()
    batch = base.repeat(lookback + 1, 1, 1)
    for step in range(lookback):
        batch[step + 1, step] += 3.0  # row step + 1: only bar `step` changed
    with torch.no_grad():
        out = net(batch)
    moved = (out[1:] - out[0]).abs().amax(-1)
    assert (moved > 1e-12).all(), f"{net_id}: output ignores steps {torch.nonzero(moved <= 1e-12).flatten().tolist()}"


@pytest.mark.parametrize("net_id", CAUSAL)
def test_step_states_ignore_later_steps(net_id: str) -> None:
    net = _net(net_id).eval()
    x = _window(2)
    with torch.no_grad():
        states = net.features(x)
        assert states.shape[:2] == (2, LOOKBACK)
        for t in (0, 20, LOOKBACK - 2):
            changed = x.clone()
            changed[:, t + 1 :] = _window(2, seed=99)[:, t + 1 :]
            other = net.features(changed)
            assert torch.allclose(other[:, : t + 1], states[:, : t + 1], rtol=0, atol=1e-6), f"{net_id}: leak at {t}"
            assert not torch.allclose(other[:, t + 1 :], states[:, t + 1 :], atol=1e-3)  # the check has power


@pytest.mark.parametrize("net_id", ATTENTION)
@pytest.mark.parametrize("lookback", [LOOKBACK, 15])  # 15: odd lengths through the Informer's distilling
def test_attention_weights_are_a_distribution_over_the_window(net_id: str, lookback: int) -> None:
    net = _net(net_id, lookback=lookback).eval()
    for batch in (1, 7):
        with torch.no_grad():
            weights = net.attention_weights(_window(batch, lookback))
        assert weights.shape == (batch, lookback)
        assert (weights >= 0).all() and torch.isfinite(weights).all()
        assert torch.allclose(weights.sum(-1), torch.ones(batch), atol=1e-5)


def test_width_not_divisible_by_heads_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="divisible by heads"):
        _net("transformer_standard", hidden=100)
