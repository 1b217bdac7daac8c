"""lstm_seq2seq: a sequence-to-sequence LSTM (Sutskever, Vinyals & Le 2014) whose output sequence is the horizons.

An encoder LSTM reads the window; its final (h, c) starts a decoder LSTM that takes one step per
horizon (1, 4 and 24 times the model's horizon, `cap.HORIZON_STEPS`). Each step is fed the previous
step's output pair and the horizon's one-hot code, and emits that horizon's logit of P(up) and
standardised return, so a longer horizon's forecast is conditioned on the shorter ones'.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from core.models.capabilities import HORIZON_STEPS
from core.models.config import NetConfig
from core.models.nets._blocks import Head, Recurrent


class LSTMSeq2Seq(nn.Module):
    horizon_steps = HORIZON_STEPS

    def __init__(self, n_features: int, cfg: NetConfig) -> None:
        super().__init__()
        self.encoder = Recurrent("lstm", n_features, cfg)
        steps = len(self.horizon_steps)
        self.decoder = nn.LSTM(2 + steps, cfg.hidden, num_layers=cfg.layers, batch_first=True)
        self.register_buffer("codes", torch.eye(steps), persistent=False)  # one-hot horizon codes, not weights
        self.head = Head(cfg.hidden, cfg.dropout)

    def forward(self, x: Tensor) -> Tensor:
        encoded, state = self.encoder.rnn(self.encoder.proj(x))
        previous = encoded.new_zeros(x.size(0), 2)
        pairs = []
        for step in range(len(self.horizon_steps)):
            code = self.codes[step].expand(x.size(0), -1)
            out, state = self.decoder(torch.cat([previous, code], dim=-1)[:, None], state)
            previous = self.head(out[:, 0])
            pairs.append(previous)
        return torch.cat(pairs, dim=-1)
