"""lstm_variational: LSTM regularised by variational dropout (Gal & Ghahramani 2016).

One dropout mask per sequence on the inputs and on the recurrent state, reused at every step,
instead of fresh noise per step (which would destroy the memory it is meant to regularise); the
registry gives it a stronger rate (0.3) than the other nets. Stepped by `LoopLSTM`; per-step
states are causal (`features`); no dropout at inference.
"""

from __future__ import annotations

from core.models.config import NetConfig
from core.models.nets._blocks import SteppedLSTM


class LSTMVariational(SteppedLSTM):
    def cell(self, cfg: NetConfig) -> dict[str, object]:
        return {"dropout": cfg.dropout}
