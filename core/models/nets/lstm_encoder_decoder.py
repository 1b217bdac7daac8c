"""lstm_encoder_decoder: an LSTM encoder and one decoder that emits every horizon together.

The encoder LSTM's state at the forecast bar is the context; the decoder, shared by all horizons
(1, 4 and 24 times the model's horizon, `cap.HORIZON_STEPS`), reads the context beside a learned
embedding of each horizon and emits its logit of P(up) and standardised return, all in one pass
(the multi-horizon MLP decoder of MQ-RNN, Wen et al. 2017, without its quantiles).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.capabilities import HORIZON_STEPS
from core.models.config import NetConfig
from core.models.nets._blocks import Head, Recurrent


class LSTMEncoderDecoder(nn.Module):
    horizon_steps = HORIZON_STEPS

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Recurrent("lstm", n_features, cfg)
        self.horizons = nn.Parameter(0.02 * torch.randn(len(self.horizon_steps), cfg.hidden))
        self.decoder = nn.Sequential(nn.Linear(self.encoder.width + cfg.hidden, cfg.hidden), nn.GELU())
        self.head = Head(cfg.hidden, cfg.dropout)

    def features(self, x: Tensor) -> Tensor:
        """Per-step encoder states (batch, T, hidden); the state at step t depends only on x[:, : t + 1]."""
        return self.encoder(x)[0]

    def forward(self, x: Tensor) -> Tensor:
        context = self.features(x)[:, -1]  # (batch, width)
        steps = self.horizons.size(0)
        joined = torch.cat([context[:, None].expand(-1, steps, -1), self.horizons.expand(x.size(0), -1, -1)], dim=-1)
        return self.head(self.decoder(joined)).reshape(x.size(0), 2 * steps)
