"""transformer_tft: a compact Temporal Fusion Transformer (Lim et al. 2021), past inputs only.

Implements: variable selection (a gated residual network, GRN, turns each bar's inputs into softmax
weights over the variables, which scale each variable's own learned embedding), an LSTM for local
processing with a gated skip and LayerNorm, interpretable multi-head attention (heads share the
value projection and their attention is averaged, so one matrix explains them; masked so a bar sees
only earlier bars), position-wise GRNs and gated residual connections. Simplified: there are no
static covariates or known-future inputs (the windows carry neither); the variables share one GRN
after selection instead of one each (a linear embedding per variable lets the weighted sum be
taken without materialising 249 embeddings per bar). Beside the two-output head, quantile outputs
(0.025, 0.1, 0.5, 0.9, 0.975 of the standardised return, pinball loss: `_outputs`) give its 80 % and
95 % intervals. `attention_weights` is the forecast bar's attention over the window.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.models.config import ConfigError, NetConfig
from core.models.nets._blocks import Head
from core.models.nets._outputs import QUANTILES_80_95


class GRN(nn.Module):
    """LayerNorm(skip(a) + GLU(W1 ELU(W2 a))): a non-linearity the gate can switch off."""

    def __init__(self, width_in: int, width: int, width_out: int, dropout: float) -> None:
        super().__init__()
        self.hidden, self.out = nn.Linear(width_in, width), nn.Linear(width, 2 * width_out)
        self.skip = nn.Linear(width_in, width_out) if width_in != width_out else nn.Identity()
        self.drop, self.norm = nn.Dropout(dropout), nn.LayerNorm(width_out)

    def forward(self, a: Tensor) -> Tensor:
        return self.norm(self.skip(a) + F.glu(self.out(self.drop(F.elu(self.hidden(a))))))


class GatedAddNorm(nn.Module):
    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.gate, self.drop, self.norm = nn.Linear(width, 2 * width), nn.Dropout(dropout), nn.LayerNorm(width)

    def forward(self, x: Tensor, residual: Tensor) -> Tensor:
        return self.norm(residual + F.glu(self.gate(self.drop(x))))


class InterpretableAttention(nn.Module):
    """Per-head queries and keys, one shared value projection; heads' causal attention averaged."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        if width % heads:
            raise ConfigError(f"hidden={width} must be divisible by heads={heads}")
        self.heads, self.qk, self.v, self.out = heads, nn.Linear(width, 2 * width), nn.Linear(width, width), nn.Linear(width, width)

    def weights(self, x: Tensor) -> Tensor:
        """(batch, T, T) attention averaged over heads; row t is zero after column t."""
        batch, steps, width = x.shape
        q, k = self.qk(x).view(batch, steps, 2, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-2, -1) / math.sqrt(width // self.heads)
        future = torch.ones(steps, steps, dtype=torch.bool, device=x.device).triu(1)
        return scores.masked_fill(future, float("-inf")).softmax(-1).mean(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.weights(x) @ self.v(x))


class TransformerTFT(nn.Module):
    quantiles = QUANTILES_80_95

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        width = cfg.hidden
        self.embed_weight = nn.Parameter(torch.randn(n_features, width) / math.sqrt(n_features))  # per variable
        self.embed_bias = nn.Parameter(torch.zeros(n_features, width))
        self.select = GRN(n_features, width, n_features, cfg.dropout)
        self.variables = GRN(width, width, width, cfg.dropout)
        self.lstm = nn.LSTM(width, width, batch_first=True)
        self.lstm_gate = GatedAddNorm(width, cfg.dropout)
        self.attention = InterpretableAttention(width, cfg.heads)
        self.attention_gate = GatedAddNorm(width, cfg.dropout)
        self.position = GRN(width, width, width, cfg.dropout)
        self.output_gate = GatedAddNorm(width, cfg.dropout)
        self.head = Head(width, cfg.dropout)
        self.quantile_head = nn.Linear(width, len(self.quantiles))
        with torch.no_grad():  # start at a standard normal's quantiles: the target return is standardised
            self.quantile_head.weight.zero_()
            self.quantile_head.bias.copy_(torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor(self.quantiles)))

    def _selected(self, x: Tensor) -> Tensor:
        """sum_v w_v (x_v E_v + b_v), the selection-weighted embeddings, as two matrix products."""
        weights = self.select(x).softmax(-1)  # (batch, T, variables)
        return self.variables((weights * x) @ self.embed_weight + weights @ self.embed_bias)

    def _temporal(self, x: Tensor) -> Tensor:
        selected = self._selected(x)
        return self.lstm_gate(self.lstm(selected)[0], selected)

    def features(self, x: Tensor) -> Tensor:
        """Per-step states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        local = self._temporal(x)
        enriched = self.attention_gate(self.attention(local), local)
        return self.output_gate(self.position(enriched), local)

    def forward(self, x: Tensor) -> Tensor:
        last = self.features(x)[:, -1]
        return torch.cat([self.head(last), self.quantile_head(last)], dim=-1)

    def attention_weights(self, x: Tensor) -> Tensor:
        """(batch, lookback): the forecast bar's attention over the window, averaged over heads; rows sum to 1."""
        return self.attention.weights(self._temporal(x))[:, -1]
