"""The torch architectures by public id: the table the model registry reads.

Every module is built as ``Module(n_features, cfg)`` and maps a window (batch, lookback, n_features),
whose last step is the forecast bar, to (batch, 2): column 0 the logit of P(up), column 1 the
standardised expected return. Capabilities are methods, found by the registry and the tests:
``attention_weights(x) -> (batch, lookback)`` on nets that attend over time steps, and
``features(x) -> (batch, lookback, width)`` on nets whose per-step states are causal.
Training, saving and prediction belong to the generic TorchModel wrapper, not to these modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from core.models.config import NetConfig
from core.models.nets.cnn_dilated import CNNDilated
from core.models.nets.cnn_multiscale import CNNMultiscale
from core.models.nets.cnn_resnet import CNNResNet
from core.models.nets.cnn_standard import CNNStandard
from core.models.nets.cnn_tcn import CNNTCN
from core.models.nets.gru_attention import GRUAttention
from core.models.nets.gru_bidirectional import GRUBidirectional
from core.models.nets.gru_residual import GRUResidual
from core.models.nets.gru_stacked import GRUStacked
from core.models.nets.gru_standard import GRUStandard
from core.models.nets.lstm_bidirectional import LSTMBidirectional
from core.models.nets.lstm_stacked import LSTMStacked
from core.models.nets.lstm_standard import LSTMStandard
from core.models.nets.transformer_informer import TransformerInformer
from core.models.nets.transformer_standard import TransformerStandard
from core.models.nets.transformer_timeseries import TransformerTimeseries


@dataclass(frozen=True)
class NetSpec:
    family: str  # "lstm" | "gru" | "transformer" | "cnn"
    module: type[nn.Module]
    defaults: dict[str, Any] = field(default_factory=dict)  # NetConfig overrides for this id
    description: str = ""  # one line for `lydian models list` and the model card

    @property
    def attention(self) -> bool:
        """Has ``attention_weights(x) -> (batch, lookback)`` for the UI."""
        return hasattr(self.module, "attention_weights")

    @property
    def causal(self) -> bool:
        """Has ``features(x)``: per-step states where step t depends only on steps <= t."""
        return hasattr(self.module, "features")

    def config(self, overrides: dict[str, Any] | None = None) -> NetConfig:
        """NetConfig with this id's defaults, then the caller's overrides."""
        return NetConfig().with_overrides({**self.defaults, **(overrides or {})})


NETS: dict[str, NetSpec] = {
    "lstm_standard": NetSpec("lstm", LSTMStandard, {}, "2-layer LSTM, read out at the forecast bar"),
    "lstm_bidirectional": NetSpec(
        "lstm", LSTMBidirectional, {}, "2-layer LSTM read both ways over the past window, 64 units per direction"
    ),
    "lstm_stacked": NetSpec(
        "lstm", LSTMStacked, {"layers": 3}, "3-layer LSTM, every layer's final state feeds the head"
    ),
    "gru_standard": NetSpec("gru", GRUStandard, {}, "2-layer GRU, read out at the forecast bar"),
    "gru_bidirectional": NetSpec(
        "gru", GRUBidirectional, {}, "2-layer GRU read both ways over the past window, 64 units per direction"
    ),
    "gru_stacked": NetSpec("gru", GRUStacked, {"layers": 3}, "3-layer GRU, every layer's final state feeds the head"),
    "gru_attention": NetSpec("gru", GRUAttention, {}, "2-layer GRU pooled by additive attention over the bars"),
    "gru_residual": NetSpec(
        "gru", GRUResidual, {"layers": 3}, "3 GRU layers with residual connections and LayerNorm"
    ),
    "transformer_standard": NetSpec(
        "transformer", TransformerStandard, {}, "2-layer transformer encoder, 8 heads, learned positions, mean-pooled"
    ),
    "transformer_timeseries": NetSpec(
        "transformer", TransformerTimeseries, {}, "2-layer causal transformer, 8 heads, read out at the forecast bar"
    ),
    "transformer_informer": NetSpec(
        "transformer", TransformerInformer, {}, "Informer-style encoder: exact-measure ProbSparse attention, distilling"
    ),
    "cnn_standard": NetSpec("cnn", CNNStandard, {"layers": 3}, "3 conv layers with max-pooling, mean+max readout"),
    "cnn_resnet": NetSpec("cnn", CNNResNet, {"layers": 3}, "3 residual conv blocks (ResNet), global average pooling"),
    "cnn_multiscale": NetSpec("cnn", CNNMultiscale, {}, "2 Inception-style blocks of parallel 3/5/7 kernels"),
    "cnn_dilated": NetSpec("cnn", CNNDilated, {}, "residual convs dilated 1, 2, 4, ... until they span the window"),
    "cnn_tcn": NetSpec("cnn", CNNTCN, {}, "temporal convolutional network: causal dilated residual blocks"),
}

__all__ = ["NETS", "NetSpec"]
