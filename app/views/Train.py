"""Train page: fit models on the sidebar market, manage the stored versions (promote, delete); tune in its own tab."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import bridges
import loaders
import sidebar
import tune_panel
from core import forecasters
from core.errors import LydianError
from progress_bars import ProgressBars

selection = sidebar.market()

candles = loaders.candles(selection.symbol, selection.timeframe)
train_tab, tune_tab = st.tabs(["Train", "Tune"])
with tune_tab:
    tune_panel.render(selection.symbol, selection.timeframe, candles)
with train_tab:
    st.caption(
        f"Models learn from a purged 60/20/20 chronological split of the chosen bars of {selection.symbol} "
        f"{selection.timeframe}: the first 60 % trains, the next 20 % (validation) stops training early, the last 20 % "
        "is never touched and is left for walk-forward evaluation on the Compare page."
    )
    st.session_state.setdefault("train_models", bridges.boosters())
    models = st.multiselect("Models", forecasters.trainable_ids(), key="train_models")
    cols = st.columns(3)
    horizon = int(cols[0].number_input("Horizon (bars ahead)", 1, 168, 1, key="train_horizon"))
    bars = int(cols[1].number_input("Most recent bars", min(500, len(candles)), len(candles), len(candles), step=1000,
                                    key="train_bars", help="All bars by default; fewer trains faster."))
    epochs = int(cols[2].number_input("Epochs cap (nets)", 1, 200, 10, key="train_epochs",
                                      help="Nets stop earlier when validation loss stops improving; "
                                      "boosters ignore this."))

    if st.button("Train", key="train_run", type="primary", disabled=not models):
        st.caption("Training runs in this page: changing a widget or leaving the page stops it; models already "
                   "finished are saved.")
        with st.status(f"Training {len(models)} model(s)…", expanded=True) as status:
            bars_ui = ProgressBars(len(models), "Building features…")
            try:
                reports = bridges.train(selection.symbol, selection.timeframe, horizon, models, bars, epochs, bars_ui)
            except LydianError as exc:
                status.update(label="Training stopped", state="error")
                st.error(str(exc))
            else:
                bars_ui.done(f"Trained {len(reports)} model(s)")
                status.update(label=f"Trained {len(reports)} model(s)", state="complete", expanded=False)
                st.session_state["train_reports"] = (selection, horizon, [r.to_dict() for r in reports])

    SUMMARY_COLUMNS = {
        "model_id": st.column_config.TextColumn("model"),
        "valid_accuracy": st.column_config.NumberColumn("validation accuracy", format="percent"),
        "valid_log_loss": st.column_config.NumberColumn("validation log loss", format="%.4f"),
        "valid_n": st.column_config.NumberColumn("validation bars"),
    }
    trained = st.session_state.get("train_reports")
    if trained and trained[0] == selection:
        st.subheader(f"Just trained (horizon {trained[1]})")
        st.dataframe(pd.DataFrame(trained[2]), hide_index=True, key="train_summary", column_config=SUMMARY_COLUMNS)
        st.caption("Validation accuracy guided early stopping, so it is not an out-of-sample score: compare models "
                   "beside the baselines on the Compare page.")

    st.subheader(f"Stored versions · {selection.symbol} {selection.timeframe} · horizon {horizon}")
    history = bridges.versions(selection.symbol, selection.timeframe)
    current = history[history["horizon"] == horizon]
    metric_columns = {
        "model_id": st.column_config.TextColumn("model"),
        "n_parameters": st.column_config.NumberColumn("parameters (nets) / tree nodes"),
        "fit_seconds": st.column_config.NumberColumn("fit seconds", format="%.1f"),
        "valid_accuracy": st.column_config.NumberColumn("validation accuracy", format="percent"),
        "valid_log_loss": st.column_config.NumberColumn("validation log loss", format="%.4f"),
        "valid_n": st.column_config.NumberColumn("validation bars"),
        "promoted": st.column_config.CheckboxColumn("promoted"),
    }
    if current.empty:
        st.info(f"No trained model for {selection.symbol} {selection.timeframe} horizon {horizon} yet: choose models "
                f"and press **Train**, or from the shell: `lydian train --symbol {selection.symbol} --timeframe "
                f"{selection.timeframe} --models lightgbm --horizon {horizon}`.")
    else:
        st.dataframe(current[["model_id", "version", "promoted", "created", "valid_accuracy"]], hide_index=True,
                     key="train_versions", column_config=metric_columns)
        message = st.session_state.pop("manage_message", None)
        if message:
            getattr(st, message[0])(message[1])
        k = bridges.key(selection.symbol, selection.timeframe, horizon)
        cols = st.columns([2, 1, 1, 1, 1])
        model_id = cols[0].selectbox("Model", sorted(current["model_id"].unique()), key="manage_model")
        numbers = sorted((int(v) for v in current.loc[current["model_id"] == model_id, "version"]), reverse=True)
        version = cols[1].selectbox("Version", numbers, key="manage_version")

        def _act(action: str, k: bridges.Key, model_id: str, version: int) -> None:
            """Button callback: runs before the rerun, so the tables above show the change at once."""
            try:
                if action == "promote":
                    bridges.promote(k, model_id, version)
                    st.session_state["manage_message"] = ("success",
                                                          f"{model_id} v{version} is now the default version.")
                else:
                    bridges.delete(k, model_id, version)
                    st.session_state["manage_confirm"] = False
                    st.session_state["manage_message"] = ("success", f"Deleted {model_id} v{version}.")
            except (LydianError, OSError) as exc:
                st.session_state["manage_message"] = ("error", str(exc))

        cols[2].button("Promote", key="manage_promote", on_click=_act, args=("promote", k, model_id, version),
                       help="The promoted version is the one forecasts use by default.")
        confirm = cols[3].checkbox("Yes, delete it", False, key="manage_confirm")
        cols[4].button("Delete", key="manage_delete", on_click=_act, args=("delete", k, model_id, version),
                       disabled=not confirm)

    if not history.empty:
        st.subheader("Training history (all horizons, newest first)")
        st.dataframe(history, hide_index=True, key="train_history", column_config=metric_columns)
        st.caption("Validation metrics are from the 20 % after each model's training window, which also stopped its "
                   "training: not an out-of-sample score.")
