"""Known answers for the convolutional blocks of issue 23 (DenseNet, Inception, MobileNet, EfficientNet).

The registry-wide tests (contract, causality, skill, save/load, ONNX, batch-size independence) already
run over these nets; here each block is checked for the one property that names it.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.config import NetConfig
from core.models.nets import NETS
from core.models.nets.cnn_densenet import DenseLayer
from core.models.nets.cnn_efficientnet import MBConv, SqueezeExcite
from core.models.nets.cnn_inception import KERNELS, InceptionModule
from core.models.nets.cnn_mobilenet import SeparableConv

NEW = ("cnn_densenet", "cnn_inception", "cnn_mobilenet", "cnn_efficientnet")


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_the_new_nets_are_cnns_with_a_description() -> None:
    for net_id in NEW:
        assert NETS[net_id].family == "cnn" and NETS[net_id].description
        net = NETS[net_id].module(5, NetConfig(hidden=16, lookback=12)).eval()
        assert net(torch.randn(3, 12, 5)).shape == (3, 2)


def test_a_dense_layer_keeps_its_input_and_adds_growth_channels() -> None:
    layer = DenseLayer(16, growth=4, kernel=3, dropout=0.0).eval()
    x = torch.randn(2, 16, 10)
    out = layer(x)
    assert out.shape == (2, 20, 10)
    assert torch.equal(out[:, :16], x)  # features are reused, not relearnt


def test_inception_has_three_bottlenecked_kernels_and_a_pooling_branch() -> None:
    module = InceptionModule(32, dropout=0.0)
    assert [c.kernel_size[0] for c in module.convs] == list(KERNELS)
    assert all(c.in_channels == 8 for c in module.convs)  # after the 1x1 bottleneck: width // 4
    assert isinstance(module.pool[0], nn.MaxPool1d)
    assert module.eval()(torch.randn(2, 32, 24)).shape == (2, 32, 24)


def test_a_separable_conv_costs_about_kernel_times_less_than_a_full_one() -> None:
    width, kernel = 64, 5
    separable = SeparableConv(width, kernel, 0.0)
    depthwise = separable[0]
    assert depthwise.groups == width and depthwise.weight.shape == (width, 1, kernel)
    full = nn.Conv1d(width, width, kernel, bias=False)
    assert _params(full) / _params(separable) > kernel / 2


def test_squeeze_excitation_gates_channels_between_zero_and_one() -> None:
    se = SqueezeExcite(8, 4)
    x = torch.ones(2, 8, 6)
    gated = se(x)
    gate = gated[..., 0]
    assert ((gate > 0) & (gate < 1)).all()
    assert torch.allclose(gated, gate.unsqueeze(-1).expand_as(x))  # one weight per channel, same for every step


def test_mbconv_is_an_identity_when_its_residual_branch_is_zero() -> None:
    block = MBConv(8, 3, 0.0).eval()
    nn.init.zeros_(block.body[-2].weight)  # the last BatchNorm's scale: the inverted bottleneck adds nothing
    nn.init.zeros_(block.body[-2].bias)
    x = torch.randn(2, 8, 12)
    assert torch.equal(block(x), x)
