"""lstm_peephole: LSTM with peephole connections (Gers & Schmidhuber 2000), read out at the forecast bar.

The input and forget gates also see the previous cell state and the output gate the new one, so the
gates can time their opening on the cell's content itself (the peephole weights start at zero: the
net starts as a plain LSTM). Stepped by `LoopLSTM`; per-step states are causal (`features`).
"""

from __future__ import annotations

from core.models.config import NetConfig
from core.models.nets._blocks import SteppedLSTM


class LSTMPeephole(SteppedLSTM):
    def cell(self, cfg: NetConfig) -> dict[str, object]:
        return {"peephole": True}
