"""transformer_informer: an Informer-style encoder (Zhou et al. 2021, "Informer", AAAI).

Implemented from the paper:
- ProbSparse self-attention: each query's sparsity measure M(q, K) = max_j s_qj - mean_j s_qj is
  computed, the top u = c * ceil(ln T) queries (c = 3, capped at T) attend fully and every other
  ("lazy") query outputs the mean of V.
- Self-attention distilling between attention layers: Conv1d(k=3) + BatchNorm + ELU +
  MaxPool1d(3, stride 2) halves the sequence (24 -> 12 with the default 2 layers).
How it differs from the paper:
- M is EXACT, over all keys, not estimated from c * ln T sampled keys; so it is deterministic, but
  the full T x T scores are computed and there is no O(T log T) saving. At T = 24 that cost is
  trivial; what is kept is ProbSparse's inductive bias (few dominant queries), not its speed.
- Encoder only: no generative decoder, no stack of half-length encoder replicas, no timestamp
  embedding. The head reads the mean of the distilled states (one bar ahead, two outputs).
- Linear token embedding (not circular Conv1d), zero padding in the distilling conv (circular
  padding would wrap the forecast bar onto the oldest bar), pre-LayerNorm blocks with a 2x GELU MLP
  (the paper: post-norm, 4x).
`attention_weights` averages the last layer's attention over heads and queries (a lazy query's row
is uniform) and maps distilled positions back to bars by splitting each position's weight evenly
over the two bars it stands for: approximate, at a resolution of 2 ** (layers - 1) bars.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.models.config import NetConfig
from core.models.nets._blocks import Block, Head, InputProjection, PositionalEncoding, SelfAttention

FACTOR = 3  # c in u = c * ceil(ln T) active queries; the paper's 5 would make 20 of 24 steps active, hardly sparse


class ProbSparseAttention(SelfAttention):
    """Top-u queries by the max-minus-mean sparsity measure attend fully; the rest output mean(V).

    Encoder (unmasked) attention only: a lazy query's mean over all of V would ignore a causal mask.
    """

    def forward(self, x: Tensor, need_weights: bool = False) -> tuple[Tensor, Tensor | None]:
        q, k, v = self.project(x)
        steps = x.size(1)
        scores = self.scores(q, k)  # (batch, heads, T, T)
        sparsity = scores.amax(-1) - scores.mean(-1)
        top = max(1, min(steps, FACTOR * math.ceil(math.log(steps))))
        active = torch.zeros_like(sparsity).scatter(-1, sparsity.topk(top, -1).indices, 1.0) > 0  # exportable to ONNX
        probs = scores.softmax(-1)
        mixed = torch.where(active[..., None], F.dropout(probs, self.dropout, self.training), 1.0 / steps)
        weights = torch.where(active[..., None], probs, 1.0 / steps) if need_weights else None
        return self.merge(mixed @ v), weights


class Distil(nn.Sequential):
    """Self-attention distilling: Conv1d + BatchNorm + ELU + MaxPool(3, stride 2): T -> ceil(T / 2)."""

    def __init__(self, width: int) -> None:
        super().__init__(
            nn.Conv1d(width, width, 3, padding=1), nn.BatchNorm1d(width), nn.ELU(), nn.MaxPool1d(3, 2, padding=1)
        )

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class TransformerInformer(nn.Module):
    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        self.pos = PositionalEncoding(cfg.hidden, cfg.lookback)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(
            Block(cfg.hidden, cfg.dropout, ProbSparseAttention(cfg.hidden, cfg.heads, cfg.dropout))
            for _ in range(cfg.layers)
        )
        self.distil = nn.ModuleList(Distil(cfg.hidden) for _ in range(cfg.layers - 1))
        self.ln_f = nn.LayerNorm(cfg.hidden)
        self.head = Head(cfg.hidden, cfg.dropout)

    def _encode(self, x: Tensor, need_weights: bool = False) -> tuple[Tensor, Tensor | None, list[int]]:
        """Distilled states, the last layer's attention if asked, and the length before each distilling."""
        x = self.drop(self.pos(self.proj(x)))
        weights, lengths = None, []
        for i, block in enumerate(self.blocks):
            x, weights = block(x, need_weights and i == len(self.blocks) - 1)
            if i < len(self.distil):
                lengths.append(x.size(1))
                x = self.distil[i](x)
        return self.ln_f(x), weights, lengths

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self._encode(x)[0].mean(1))

    def attention_weights(self, x: Tensor) -> Tensor:
        """(batch, lookback): last-layer attention over heads and queries, spread back to bars; rows sum to 1."""
        _, weights, lengths = self._encode(x, need_weights=True)
        w = weights.mean(dim=(1, 2))
        for length in reversed(lengths):
            w = w.repeat_interleave(2, dim=-1)[:, :length]
        return w / w.sum(-1, keepdim=True)
