"""transformer_timeseries: a causal (decoder-style) transformer read out at the forecast bar.

Self-attention is masked so the state at step t depends only on bars <= t (as in GPT / nanoGPT);
projection, LayerNorm and MLP act per step, so the whole stack is causal, which `features` exposes
and the tests check. Sinusoidal positions are counted back from the forecast bar. The head reads
the last step, the only one that has seen the whole window; `attention_weights` is the last layer's
attention from that step, averaged over heads.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Encoder, Head


class TransformerTimeseries(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Encoder(n_features, cfg, causal=True)
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        return self.encoder(x)[0]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[:, -1])

    def attention_weights(self, x: Tensor) -> Tensor:
        """(batch, lookback): the forecast bar's last-layer attention, averaged over heads; rows sum to 1."""
        return self.encoder(x, need_weights=True)[1][:, :, -1].mean(1)
