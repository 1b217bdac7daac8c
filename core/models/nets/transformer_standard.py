"""transformer_standard: a transformer encoder over the window, mean-pooled (Vaswani et al. 2017).

Every bar attends to every other bar of the (past) window with 8 heads; positions come from a
learned table counted back from the forecast bar; pre-LayerNorm blocks as in nanoGPT. The head
reads the mean of the final states (pooling, as in Zerveas et al. 2021 for time series), so
`attention_weights` is the last layer's attention averaged over heads and over all query steps:
how much each bar is attended to on average.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Encoder, Head


class TransformerStandard(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Encoder(n_features, cfg, learned_positions=True)
        self.head = Head(cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x)[0].mean(1))

    def attention_weights(self, x: Tensor) -> Tensor:
        """(batch, lookback): last-layer attention averaged over heads and queries; rows sum to 1."""
        return self.encoder(x, need_weights=True)[1].mean(dim=(1, 2))
