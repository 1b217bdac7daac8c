"""Building blocks shared by the nets, so each net file says only what makes it different.

Every net starts with `InputProjection` (one Linear from the ~249 features to the model width, which
keeps recurrent and bidirectional nets at 100K-500K parameters) and ends with `Head` (two outputs:
the logit of P(up) and the standardised expected return). Transformers share `PositionalEncoding`,
`SelfAttention`, the pre-LayerNorm `Block` and the `Encoder` laid out as in nanoGPT; recurrent nets
share `Recurrent`; CNNs share `global_pool`, and dilated ones size their depth with `dilation_levels`.
Whole scaffolds shared by several nets: `SteppedLSTM` (the LSTMs whose cell cuDNN cannot express:
peephole, layer-normalised, variational) and `DecompNet` (Autoformer and FEDformer).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.models.config import ConfigError, NetConfig
from core.models.nets._cell import LoopStack
from core.models.nets._decomp import DecompEncoder


class InputProjection(nn.Linear):
    """Per-step Linear n_features -> width: touches one time step at a time, so it is causal."""

    def __init__(self, n_features: int, width: int) -> None:
        super().__init__(n_features, width)


class Head(nn.Sequential):
    """Dropout, then Linear to (batch, 2): column 0 the logit of P(up), column 1 the standardised return."""

    def __init__(self, width: int, dropout: float) -> None:
        super().__init__(nn.Dropout(dropout), nn.Linear(width, 2))


class Recurrent(nn.Module):
    """Input projection + a fused multi-layer LSTM or GRU (batch_first, dropout between layers).

    Returns the per-step outputs of the top layer (batch, T, width) and the final hidden state of
    every layer and direction (layers * directions, batch, size). Bidirectional nets give each
    direction ``hidden // 2`` units, so ``width`` stays ``hidden`` and the parameter count in range.
    """

    def __init__(self, kind: str, n_features: int, cfg: NetConfig, bidirectional: bool = False) -> None:
        super().__init__()
        size = cfg.hidden // 2 if bidirectional else cfg.hidden
        self.width = size * (2 if bidirectional else 1)
        self.proj = InputProjection(n_features, cfg.hidden)
        cell = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.rnn = cell(
            cfg.hidden, size, num_layers=cfg.layers, batch_first=True, bidirectional=bidirectional,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,  # torch applies it between layers only
        )
        if kind == "lstm":  # forget-gate bias 1 (Jozefowicz et al. 2015): gradients reach the early bars
            with torch.no_grad():
                for name, bias in self.rnn.named_parameters():
                    if name.startswith("bias_ih"):
                        bias[size : 2 * size] = 1.0  # gate order i, f, g, o

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        out, state = self.rnn(self.proj(x))
        return out, state[0] if isinstance(state, tuple) else state  # LSTM state is (h, c)


class PositionalEncoding(nn.Module):
    """Adds position to each step: fixed sinusoids (Vaswani et al. 2017) or a learned table (GPT-2).

    Positions are counted back from the forecast bar, so the last step always gets the same code even
    when a window is shorter than ``max_len``.
    """

    def __init__(self, width: int, max_len: int, learned: bool = False) -> None:
        super().__init__()
        if learned:
            self.table = nn.Parameter(0.02 * torch.randn(max_len, width))
        else:
            position = torch.arange(max_len - 1, -1, -1, dtype=torch.float32)[:, None]  # steps before the forecast bar
            freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
            table = torch.zeros(max_len, width)
            table[:, 0::2] = torch.sin(position * freq)
            table[:, 1::2] = torch.cos(position * freq[: width // 2])
            self.register_buffer("table", table, persistent=False)  # derived, not a weight: kept out of saved files

    def forward(self, x: Tensor) -> Tensor:
        steps = x.size(1)
        if steps > self.table.size(0):
            raise ValueError(f"window of {steps} steps is longer than the lookback {self.table.size(0)} of the net")
        return x + self.table[-steps:]


class SelfAttention(nn.Module):
    """Multi-head self-attention over time steps, optionally causal (step t sees steps <= t).

    The fast path is ``scaled_dot_product_attention``; with ``need_weights`` the scores are computed
    explicitly so the attention matrix (batch, heads, T, T) can be returned for the UI.
    """

    def __init__(self, width: int, heads: int, dropout: float, causal: bool = False) -> None:
        super().__init__()
        if width % heads:
            raise ConfigError(f"hidden={width} must be divisible by heads={heads}")
        self.heads, self.dropout, self.causal = heads, dropout, causal
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def project(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Queries, keys and values, each (batch, heads, T, width / heads)."""
        batch, steps, width = x.shape
        q, k, v = self.qkv(x).view(batch, steps, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        return q, k, v

    def scores(self, q: Tensor, k: Tensor) -> Tensor:
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if self.causal:
            steps = q.size(-2)
            future = torch.ones(steps, steps, dtype=torch.bool, device=q.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        return scores

    def merge(self, y: Tensor) -> Tensor:
        batch, _, steps, _ = y.shape
        return self.out(y.transpose(1, 2).reshape(batch, steps, -1))

    def forward(self, x: Tensor, need_weights: bool = False) -> tuple[Tensor, Tensor | None]:
        q, k, v = self.project(x)
        p = self.dropout if self.training else 0.0
        if not need_weights:
            return self.merge(F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=self.causal)), None
        weights = self.scores(q, k).softmax(-1)
        return self.merge(F.dropout(weights, p, self.training) @ v), weights


class Block(nn.Module):
    """Pre-LayerNorm transformer block (nanoGPT): x + attention(ln(x)), then x + MLP(ln(x)); MLP width 2x."""

    def __init__(self, width: int, dropout: float, attention: nn.Module) -> None:
        super().__init__()
        self.ln_1, self.attn, self.ln_2 = nn.LayerNorm(width), attention, nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width), nn.Dropout(dropout)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, need_weights: bool = False) -> tuple[Tensor, Tensor | None]:
        y, weights = self.attn(self.ln_1(x), need_weights)
        x = x + self.drop(y)
        return x + self.mlp(self.ln_2(x)), weights


class Encoder(nn.Module):
    """Projection, positions, dropout, pre-LN blocks and a final LayerNorm: nanoGPT's layout for windows."""

    def __init__(self, n_features: int, cfg: NetConfig, causal: bool = False, learned_positions: bool = False) -> None:
        super().__init__()
        self.proj = InputProjection(n_features, cfg.hidden)
        self.pos = PositionalEncoding(cfg.hidden, cfg.lookback, learned=learned_positions)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(
            Block(cfg.hidden, cfg.dropout, SelfAttention(cfg.hidden, cfg.heads, cfg.dropout, causal))
            for _ in range(cfg.layers)
        )
        self.ln_f = nn.LayerNorm(cfg.hidden)

    def forward(self, x: Tensor, need_weights: bool = False) -> tuple[Tensor, Tensor | None]:
        """Final states (batch, T, hidden) and, on request, the last layer's attention (batch, heads, T, T)."""
        x = self.drop(self.pos(self.proj(x)))
        weights = None
        for i, block in enumerate(self.blocks):
            x, weights = block(x, need_weights and i == len(self.blocks) - 1)
        return self.ln_f(x), weights


POOLED = 3  # global_pool's output is this many times the channel count


def global_pool(h: Tensor) -> Tensor:
    """Mean, max and last step of conv maps (batch, channels, T) -> (batch, 3 * channels).

    The last step is kept apart because the forecast bar is the most informative one; pooling
    alone would dilute it among the older bars of the window.
    """
    return torch.cat([h.mean(-1), h.amax(-1), h[..., -1]], dim=-1)


def dilation_levels(lookback: int, kernel: int, convs_per_level: int = 1) -> int:
    """Fewest dilation levels 1, 2, 4, ... whose receptive field covers the whole look-back window."""
    if kernel < 2:
        raise ConfigError(f"kernel={kernel}: a dilated net needs kernel >= 2 to grow its receptive field")
    levels = 1
    while 1 + convs_per_level * (kernel - 1) * (2**levels - 1) < lookback:
        levels += 1
    return levels


class CentredConv1d(nn.Conv1d):
    """``Conv1d(padding="same")`` with the padding spelt out (the same split: the odd pad goes right).

    ONNX Runtime cannot run a dilated convolution with "same" padding, so without this the net
    could not take the fast live path (`core.models.onnx_runtime`). Same parameters, same names.
    """

    def __init__(self, channels: int, kernel: int, dilation: int = 1) -> None:
        super().__init__(channels, channels, kernel, dilation=dilation)
        total = dilation * (kernel - 1)
        self.pads = (total // 2, total - total // 2)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(F.pad(x, self.pads))


class SteppedLSTM(nn.Module):
    """A `LoopStack` read out at the forecast bar; a subclass says only which `LoopLSTM` options every layer gets."""

    def cell(self, cfg: NetConfig) -> dict[str, object]:
        """Keyword options of every layer's `LoopLSTM` (peephole, layer_norm, dropout)."""
        return {}

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = LoopStack(n_features, cfg.hidden, cfg.layers, **self.cell(cfg))
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        return self.encoder(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[:, -1])


class DecompNet(nn.Module):
    """A `DecompEncoder` whose blocks mix time with ``mixer()``; one head reads the last seasonal state and trend."""

    def __init__(self, n_features: int, cfg: NetConfig, mixer: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.encoder = DecompEncoder(n_features, cfg.hidden, cfg.lookback, cfg.layers, cfg.dropout, mixer)
        self.head = Head(2 * cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        seasonal, trend = self.encoder(x)
        return self.head(torch.cat([seasonal[:, -1], trend[:, -1]], dim=-1))
