"""`st.progress` bars fed by core's progress events: one over the models, one inside the current model.

Core sends ``{"event": "model", "model", "index", "total"}`` before each model, then per model
either ``{"event": "fold", "fold", "folds"}`` (walk-forward), ``{"epoch", "epochs", "valid_loss"}``
(a net's training) or ``{"learner", "trees"}`` (a booster's two learners).
"""

from __future__ import annotations

from typing import Any

import streamlit as st


class ProgressBars:
    """A callable for core's ``progress=`` argument that draws two bars where it is created."""

    def __init__(self, total: int, first: str) -> None:
        self.total = max(total, 1)
        self.model = ""
        self.outer = st.progress(0.0, text=first)
        self.inner = st.progress(0.0, text=" ")

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("event") == "model":
            self.model = event["model"]
            self.outer.progress(event["index"] / self.total,
                                text=f"Model {event['index'] + 1} of {self.total}: {self.model}")
            self.inner.progress(0.0, text=f"{self.model}: starting…")
        elif event.get("event") == "fold":
            self.inner.progress(event["fold"] / event["folds"],
                                text=f"{self.model}: fold {event['fold']} of {event['folds']} (refit and forecast)")
        elif "epoch" in event:
            self.inner.progress(min(event["epoch"] / event["epochs"], 1.0),
                                text=f"{self.model}: epoch {event['epoch']} of at most {event['epochs']}, "
                                f"validation loss {event['valid_loss']:.4f}")
        elif "learner" in event:
            share = 0.5 if event["learner"] == "classifier" else 1.0  # the classifier is fitted first
            self.inner.progress(share, text=f"{self.model}: {event['learner']} learner done, {event['trees']} trees")

    def done(self, text: str) -> None:
        self.outer.progress(1.0, text=text)
        self.inner.empty()
