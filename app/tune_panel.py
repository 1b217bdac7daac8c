"""The Train page's Tune tab: widgets and the chart of trials; the nested tuning itself is `core.tuning`."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from core import forecasters
from core.errors import LydianError
from core.tuning import SEARCHES, SPACES, default_search, tune_walk_forward


def _trials_chart(trials: list[dict[str, Any]]) -> Any:
    frame = pd.DataFrame([{"trial": t["trial"], "inner validation log loss": t["loss"], "folds reached": t["folds"],
                           "configuration": str(t["config"])} for t in trials])
    figure = px.scatter(frame, x="trial", y="inner validation log loss", color="folds reached",
                        hover_data=["configuration"], title="Trials (mean log loss on inner validation rows)")
    figure.update_layout(height=320, margin={"t": 40, "b": 10})
    return figure


def render(symbol: str, timeframe: str, candles: pd.DataFrame) -> None:
    st.caption("Tuning is nested in the walk-forward: every trial is fitted and scored on validation rows inside each "
               "training window, never on test bars; each test window is forecast with the configuration that was "
               "best before it. The tuned model is shown beside its defaults and the baselines, and its Sharpe is "
               "deflated for every trial run.")
    tunable = [m for m in forecasters.model_ids() if forecasters.spec(m).family in SPACES]
    cols = st.columns(4)
    model_id = cols[0].selectbox("Model", tunable, key="tune_model")
    searches = list(SEARCHES)
    search = cols[1].selectbox("Search", searches, index=searches.index(default_search(model_id)),
                               key=f"tune_search_{model_id}",  # a model's own default, not the last model's choice
                               help="grid (trees), random (nets) or bayes (Optuna TPE)")
    trials = int(cols[2].number_input("Trials", 1, 200, 10, key="tune_trials"))
    bars = int(cols[3].number_input("Most recent bars", min(500, len(candles)), len(candles), min(3000, len(candles)),
                                    step=500, key="tune_bars"))
    if st.button("Tune", key="tune_run", type="primary"):
        bar = st.progress(0.0, text="Starting Ray and building features…")

        def progress(event: dict[str, Any]) -> None:
            bar.progress(min(event["trial"] / event["trials"], 1.0),
                         text=f"trial {event['trial']} of {event['trials']}")

        try:
            result = tune_walk_forward(model_id, candles.iloc[-bars:], trials=trials, search=search,
                                       progress=progress, refit_every=max(168, bars // 6))
        except LydianError as exc:
            st.error(str(exc))
            return
        st.session_state["tune_result"] = (symbol, timeframe, result.to_dict())
    stored = st.session_state.get("tune_result")
    if not stored or stored[:2] != (symbol, timeframe):
        return
    report = stored[2]
    st.plotly_chart(_trials_chart(report["trial_table"]), key="tune_chart", width="stretch")
    rows = {"tuned": report["tuned_result"], "defaults": report["untuned_result"], **report["baselines"]}
    table = pd.DataFrame([{"model": name, **{k: row.get(k) for k in ("accuracy", "accuracy_ci_low", "accuracy_ci_high",
                                                                        "sharpe", "verdict")}}
                          for name, row in rows.items()])
    st.dataframe(table, hide_index=True, key="tune_table")
    deflated = report["deflated"]
    st.caption(f"{report['model']}: {report['trials']} trials ({report['search']}), {report['trials_stopped_early']} "
               f"stopped early; best configuration {report['best_config']}. Deflated Sharpe for "
               f"{deflated['trials']} trials: {deflated['deflated_sharpe'] or 0:.0%} (above 95 % would be evidence "
               "of an edge).")
