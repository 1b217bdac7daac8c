"""lstm_layernorm: layer-normalised LSTM (Ba, Kiros & Hinton 2016), read out at the forecast bar.

The input and recurrent contributions to the gates are normalised apart, and so is the cell before
its tanh, so the gates work on the same scale whatever the features' and the state's magnitudes:
steadier training on heavy-tailed returns. Stepped by `LoopLSTM`; per-step states are causal.
"""

from __future__ import annotations

from core.models.config import NetConfig
from core.models.nets._blocks import SteppedLSTM


class LSTMLayerNorm(SteppedLSTM):
    def cell(self, cfg: NetConfig) -> dict[str, object]:
        return {"layer_norm": True}
