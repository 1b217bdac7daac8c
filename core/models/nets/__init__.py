"""The torch architectures by public id: the table the model registry reads.

Every module is built as ``Module(n_features, cfg)`` and maps a window (batch, lookback, n_features),
whose last step is the forecast bar, to (batch, 2): column 0 the logit of P(up), column 1 the
standardised expected return. Capabilities are methods, found by the registry and the tests:
``attention_weights(x) -> (batch, lookback)`` on nets that attend over time steps, and
``features(x) -> (batch, lookback, width)`` on nets whose per-step states are causal; and class
attributes ``horizon_steps`` (more horizons) and ``quantiles`` (return quantiles), whose extra
columns follow the first two (`_outputs`).
Training, saving and prediction belong to the generic TorchModel wrapper, not to these modules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.models import capabilities as cap
from core.models.base import Model
from core.models.config import HorizonNetConfig, NetConfig

if TYPE_CHECKING:
    from torch import nn

TAGS = Model.tags | {cap.SEQUENCE, cap.GRADIENT, cap.ONNX}  # every net's capabilities; attention is per module


@dataclass(frozen=True)
class NetSpec:
    family: str  # "lstm" | "gru" | "transformer" | "cnn" | "linear"
    path: str  # "<file>.<Class>" in this package, imported on first use: listing the nets needs no torch
    defaults: dict[str, Any] = field(default_factory=dict)  # NetConfig overrides for this id
    description: str = ""  # one line for `lydian models list` and the model card
    config_cls: type[NetConfig] = NetConfig  # HorizonNetConfig for nets with ``horizon_steps``

    @property
    def module(self) -> type[nn.Module]:
        name, _, cls = self.path.partition(".")
        return getattr(importlib.import_module(f"{__name__}.{name}"), cls)

    @property
    def attention(self) -> bool:
        """Has ``attention_weights(x) -> (batch, lookback)`` for the UI."""
        return hasattr(self.module, "attention_weights")

    @property
    def causal(self) -> bool:
        """Has ``features(x)``: per-step states where step t depends only on steps <= t."""
        return hasattr(self.module, "features")

    @property
    def tags(self) -> frozenset[str]:
        """The capabilities this net's module adds to `TAGS` (imports it: ask only where torch is installed)."""
        return module_tags(self.module)

    def config(self, overrides: dict[str, Any] | None = None) -> NetConfig:
        """This id's config class with its defaults, then the caller's overrides."""
        return self.config_cls().with_overrides({**self.defaults, **(overrides or {})})


def module_tags(module_cls: type) -> frozenset[str]:
    """Capabilities a module declares beyond `TAGS`: attention, several horizons, quantile intervals."""
    tags = {cap.ATTENTION} if hasattr(module_cls, "attention_weights") else set()
    tags |= {cap.MULTI_HORIZON} if hasattr(module_cls, "horizon_steps") else set()
    return frozenset(tags | ({cap.QUANTILES, cap.PROBABILISTIC} if hasattr(module_cls, "quantiles") else set()))


NETS: dict[str, NetSpec] = {
    "lstm_standard": NetSpec("lstm", "lstm_standard.LSTMStandard", {}, "2-layer LSTM, read out at the forecast bar"),
    "lstm_bidirectional": NetSpec(
        "lstm", "lstm_bidirectional.LSTMBidirectional", {}, "2-layer LSTM read both ways over the past window, 64 units per direction"
    ),
    "lstm_stacked": NetSpec(
        "lstm", "lstm_stacked.LSTMStacked", {"layers": 3}, "3-layer LSTM, every layer's final state feeds the head"
    ),
    "lstm_1layer": NetSpec("lstm", "lstm_standard.LSTMStandard", {"layers": 1}, "1-layer LSTM, read out at the forecast bar"),
    "lstm_3layer": NetSpec("lstm", "lstm_standard.LSTMStandard", {"layers": 3}, "3-layer LSTM, read out at the forecast bar"),
    "lstm_attention": NetSpec(
        "lstm", "lstm_attention.LSTMAttention", {}, "2-layer LSTM pooled by additive attention over the bars"
    ),
    "lstm_variational": NetSpec(
        "lstm", "lstm_variational.LSTMVariational", {"layers": 1, "dropout": 0.3},
        "LSTM with variational dropout: one mask per sequence on inputs and recurrent state",
    ),
    "lstm_peephole": NetSpec("lstm", "lstm_peephole.LSTMPeephole", {"layers": 1}, "LSTM with peephole connections"),
    "lstm_layernorm": NetSpec(
        "lstm", "lstm_layernorm.LSTMLayerNorm", {"layers": 1}, "layer-normalised LSTM (gates and cell normalised)"
    ),
    "lstm_wavenet": NetSpec(
        "lstm", "lstm_wavenet.LSTMWaveNet", {}, "WaveNet-style gated dilated causal convolutions feeding an LSTM"
    ),
    "lstm_seq2seq": NetSpec(
        "lstm", "lstm_seq2seq.LSTMSeq2Seq", {"layers": 1}, "sequence-to-sequence LSTM: a decoder LSTM steps through horizons 1, 4, 24",
        HorizonNetConfig,
    ),
    "lstm_encoder_decoder": NetSpec(
        "lstm", "lstm_encoder_decoder.LSTMEncoderDecoder", {},
        "encoder-decoder LSTM: one decoder emits horizons 1, 4 and 24 together", HorizonNetConfig,
    ),
    "gru_standard": NetSpec("gru", "gru_standard.GRUStandard", {}, "2-layer GRU, read out at the forecast bar"),
    "gru_bidirectional": NetSpec(
        "gru", "gru_bidirectional.GRUBidirectional", {}, "2-layer GRU read both ways over the past window, 64 units per direction"
    ),
    "gru_stacked": NetSpec("gru", "gru_stacked.GRUStacked", {"layers": 3}, "3-layer GRU, every layer's final state feeds the head"),
    "gru_attention": NetSpec("gru", "gru_attention.GRUAttention", {}, "2-layer GRU pooled by additive attention over the bars"),
    "gru_residual": NetSpec(
        "gru", "gru_residual.GRUResidual", {"layers": 3}, "3 GRU layers with residual connections and LayerNorm"
    ),
    "gru_multiscale": NetSpec(
        "gru", "gru_multiscale.GRUMultiscale", {}, "GRUs over the window at strides 1, 2 and 4, final states merged"
    ),
    "transformer_standard": NetSpec(
        "transformer", "transformer_standard.TransformerStandard", {}, "2-layer transformer encoder, 8 heads, learned positions, mean-pooled"
    ),
    "transformer_timeseries": NetSpec(
        "transformer", "transformer_timeseries.TransformerTimeseries", {}, "2-layer causal transformer, 8 heads, read out at the forecast bar"
    ),
    "transformer_informer": NetSpec(
        "transformer", "transformer_informer.TransformerInformer", {}, "Informer-style encoder: exact-measure ProbSparse attention, distilling"
    ),
    "transformer_autoformer": NetSpec(
        "transformer", "transformer_autoformer.TransformerAutoformer", {},
        "compact Autoformer encoder: series decomposition, auto-correlation over lags",
    ),
    "transformer_fedformer": NetSpec(
        "transformer", "transformer_fedformer.TransformerFEDformer", {},
        "compact FEDformer encoder: decomposition, learned weights on 8 random Fourier modes",
    ),
    "transformer_tft": NetSpec(
        "transformer", "transformer_tft.TransformerTFT", {"hidden": 96, "heads": 4},
        "compact Temporal Fusion Transformer: variable selection, GRNs, LSTM, interpretable attention",
    ),
    "cnn_standard": NetSpec("cnn", "cnn_standard.CNNStandard", {"layers": 3}, "3 conv layers with max-pooling, mean+max readout"),
    "cnn_resnet": NetSpec("cnn", "cnn_resnet.CNNResNet", {"layers": 3}, "3 residual conv blocks (ResNet), global average pooling"),
    "cnn_multiscale": NetSpec("cnn", "cnn_multiscale.CNNMultiscale", {}, "2 Inception-style blocks of parallel 3/5/7 kernels"),
    "cnn_dilated": NetSpec("cnn", "cnn_dilated.CNNDilated", {}, "residual convs dilated 1, 2, 4, ... until they span the window"),
    "cnn_tcn": NetSpec("cnn", "cnn_tcn.CNNTCN", {}, "temporal convolutional network: causal dilated residual blocks"),
    "cnn_densenet": NetSpec("cnn", "cnn_densenet.CNNDenseNet", {}, "2 DenseNet blocks: each layer sees every earlier layer's maps"),
    "cnn_inception": NetSpec(
        "cnn", "cnn_inception.CNNInception", {}, "2 Inception modules: 1x1 bottleneck, kernels 9/19/39, a max-pool branch"
    ),
    "cnn_mobilenet": NetSpec("cnn", "cnn_mobilenet.CNNMobileNet", {"layers": 5}, "5 depthwise-separable conv blocks (MobileNet)"),
    "cnn_efficientnet": NetSpec(
        "cnn", "cnn_efficientnet.CNNEfficientNet", {}, "2 MBConv blocks: inverted residuals with squeeze-excitation (EfficientNet)"
    ),
    "dlinear": NetSpec("linear", "linear_dlinear.DLinear", {}, "DLinear: trend/remainder split, one linear map over time each"),
    "nlinear": NetSpec("linear", "linear_nlinear.NLinear", {}, "NLinear: last value removed, one linear map over time, added back"),
}

__all__ = ["NETS", "TAGS", "NetSpec", "module_tags"]
