"""gru_residual: stacked GRU layers joined by residual connections, each with a LayerNorm.

Deep recurrent stacks train poorly without shortcuts; GNMT (Wu et al. 2016) added residual
connections between stacked recurrent layers. Here every layer is x + dropout(GRU(LayerNorm(x)))
(pre-norm, as in transformers), the input projection gives the residual stream its width, and a
final LayerNorm precedes the head, which reads the forecast bar.
"""

from __future__ import annotations

from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Head, InputProjection


class GRUResidual(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        self.norms = nn.ModuleList(nn.LayerNorm(cfg.hidden) for _ in range(cfg.layers))
        self.grus = nn.ModuleList(nn.GRU(cfg.hidden, cfg.hidden, batch_first=True) for _ in range(cfg.layers))
        self.drop = nn.Dropout(cfg.dropout)
        self.ln_f = nn.LayerNorm(cfg.hidden)
        self.head = Head(cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.proj(x)
        for norm, gru in zip(self.norms, self.grus):
            x = x + self.drop(gru(norm(x))[0])
        return self.head(self.ln_f(x[:, -1]))
