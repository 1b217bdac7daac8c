"""An LSTM layer stepped bar by bar, for the cells cuDNN's fused LSTM cannot express.

Peepholes (Gers & Schmidhuber 2000: the input and forget gates see c_{t-1}, the output gate c_t),
layer normalisation of the gate inputs and the cell (Ba, Kiros & Hinton 2016) and recurrent
dropout with one mask per sequence (Gal & Ghahramani 2016) each need the step itself. The loop runs
over the look-back (24 bars), traces into a static ONNX graph, and step t reads only bars <= t.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LoopLSTM(nn.Module):
    def __init__(self, width: int, hidden: int, *, peephole: bool = False, layer_norm: bool = False,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.hidden, self.dropout = hidden, dropout
        self.x2g = nn.Linear(width, 4 * hidden)
        self.h2g = nn.Linear(hidden, 4 * hidden, bias=False)
        self.peep = nn.Parameter(torch.zeros(3, hidden)) if peephole else None
        self.ln_x, self.ln_h, self.ln_c = (
            (nn.LayerNorm(4 * hidden), nn.LayerNorm(4 * hidden), nn.LayerNorm(hidden)) if layer_norm
            else (nn.Identity(), nn.Identity(), nn.Identity())
        )
        with torch.no_grad():
            self.x2g.bias[hidden : 2 * hidden] = 1.0  # forget-gate bias 1, as `Recurrent` does

    def _mask(self, like: Tensor) -> Tensor | None:
        """One dropout mask per sequence, reused at every step (variational dropout); None when off."""
        if not (self.training and self.dropout > 0):
            return None
        return torch.bernoulli(torch.full_like(like, 1.0 - self.dropout)) / (1.0 - self.dropout)

    def forward(self, x: Tensor) -> Tensor:
        """(batch, T, width) -> per-step outputs (batch, T, hidden)."""
        batch = x.size(0)
        x_mask = self._mask(x[:, :1])
        gates_x = self.ln_x(self.x2g(x if x_mask is None else x * x_mask))
        h = c = x.new_zeros(batch, self.hidden)
        h_mask = self._mask(h)
        outputs = []
        for t in range(x.size(1)):
            gates = gates_x[:, t] + self.ln_h(self.h2g(h if h_mask is None else h * h_mask))
            i, f, g, o = gates.chunk(4, dim=-1)
            if self.peep is not None:
                i, f = i + self.peep[0] * c, f + self.peep[1] * c
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            if self.peep is not None:
                o = o + self.peep[2] * c
            h = torch.sigmoid(o) * torch.tanh(self.ln_c(c))
            outputs.append(h)
        return torch.stack(outputs, dim=1)


class LoopStack(nn.Module):
    """Input projection, then ``cfg.layers`` `LoopLSTM` layers; the cell options apply to every layer."""

    def __init__(self, n_features: int, hidden: int, layers: int, **cell: object) -> None:
        super().__init__()
        self.proj = nn.Linear(n_features, hidden)
        self.layers = nn.Sequential(*[LoopLSTM(hidden, hidden, **cell) for _ in range(layers)])

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(self.proj(x))
