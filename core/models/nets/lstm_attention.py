"""lstm_attention: stacked LSTM pooled by additive attention over the bars (Bahdanau et al. 2015).

The same readout as `gru_attention` (attention context beside the last output, weights for the UI)
over a stack of LSTM layers, whose separate cell memory keeps longer-lived state than a GRU's.
"""

from __future__ import annotations

from core.models.nets.gru_attention import GRUAttention


class LSTMAttention(GRUAttention):
    kind = "lstm"
