"""Compare page: the walk-forward leaderboard, every model beside the naive baselines on the same bars."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import bridges
import figures_eval as figures
import sidebar
from core import forecasters
from core.backtest.strategy import STRATEGIES
from core.backtest.walkforward import Settings
from core.errors import LydianError
from core.models import registry
from progress_bars import ProgressBars

selection = sidebar.market()
st.caption(
    "A walk-forward refits each model on the bars before a test block, forecasts only that unseen block, then "
    "moves on: every figure below is out-of-sample, scored beside naive baselines on exactly the same bars."
)

cols = st.columns([1, 2])
offered = forecasters.trainable_families()
families = cols[0].multiselect("Families", offered, default=list(registry.FAMILIES), key="compare_families")
options = [m for m in forecasters.trainable_ids() if forecasters.spec(m).family in families]
chosen = st.session_state.get("compare_models", list(bridges.QUICK))
st.session_state["compare_models"] = [m for m in chosen if m in options]  # a family filtered out drops its models
models = cols[1].multiselect("Models", options, key="compare_models",
                             help="A walk-forward refits each model once per fold: nets are slow on a CPU, and "
                             "CatBoost takes several times as long as LightGBM or XGBoost.")
cols = st.columns(4)
horizon = int(cols[0].number_input("Horizon (bars ahead)", 1, 168, 1, key="compare_horizon"))
bars = int(cols[1].number_input("Most recent bars", 500, 200_000, 4000, step=500, key="compare_bars",
                                help="The first half trains the first fit; forecasts start half-way."))
refit = int(cols[2].number_input("Refit every (forecasts)", 24, 5000, Settings.refit_every, step=24,
                                 key="compare_refit"))
fee = cols[3].number_input("Fee per side (%)", 0.0, 1.0, Settings.fee * 100, step=0.05, key="compare_fee") / 100


def _walk(run, total: int) -> None:
    """Run a leaderboard with progress bars; keep its forecasts in this session for the charts."""
    bars_ui = ProgressBars(total, "Walking the naive baselines forward…")
    try:
        board = run(bars_ui)
    except LydianError as exc:
        st.error(f"The walk-forward stopped: {exc}")
    else:
        bars_ui.done(f"Done in {board.context['seconds']:.1f} s")
        st.session_state["compare_results"] = {board.context["created"]: board.results}
        st.session_state["compare_board"] = board.context["created"]


if st.button("Run walk-forward", key="compare_run", type="primary", disabled=not models):
    _walk(lambda p: bridges.walk_forward(selection.symbol, selection.timeframe, models, horizon, bars, refit, fee, p),
          len(models))
if st.session_state.pop("compare_rerun", None):
    wanted = st.session_state["compare_rerun_context"]
    _walk(lambda p: bridges.rerun(wanted, p), len(wanted["models"]))

stored = bridges.boards(selection.symbol, selection.timeframe)
if not stored:
    st.info(
        f"No walk-forward for {selection.symbol} {selection.timeframe} yet. Choose models and press **Run "
        "walk-forward**: each model is refitted every few hundred bars and only ever forecasts bars it has not "
        "seen, so its accuracy is an honest out-of-sample figure, shown beside the naive baselines: majority (the "
        "training window's majority direction), persistence and buy-and-hold. The default (LightGBM and XGBoost "
        "on the last 4,000 bars) takes 15-20 seconds."
    )
    st.stop()

by_created = {b["context"]["created"]: b for b in stored}
if st.session_state.get("compare_board") not in by_created:
    st.session_state["compare_board"] = next(iter(by_created))


def _label(created: str) -> str:
    c = by_created[created]["context"]
    return (f"{created[:16].replace('T', ' ')} · horizon {c['horizon']} · {', '.join(c['models']) or 'baselines'} · "
            f"{c['n_forecasts']:,} forecasts")


created = st.selectbox("Stored leaderboard (newest first)", list(by_created), format_func=_label, key="compare_board")
board = by_created[created]
context, rows, band = board["context"], list(board["models"].values()), board["random_band"]
st.subheader(f"Walk-forward on {context['symbol']} {context['timeframe']}, horizon {context['horizon']}")
st.caption(
    f"{context['n_forecasts']:,} out-of-sample forecasts from {context['test_first'][:16]} to "
    f"{context['test_last'][:16]} UTC, refit every {context['settings']['refit_every']} forecasts, fee "
    f"{context['settings']['fee']:.2%} per side. Edge = accuracy minus the best baseline "
    f"({context['best_baseline']}); p = one-sided McNemar test, Holm-corrected over the models compared."
)
st.dataframe(
    figures.leaderboard_frame(rows), hide_index=True, key="compare_table", width="stretch",
    column_config={
        "accuracy": st.column_config.NumberColumn(format="percent"),
        "edge vs best baseline": st.column_config.NumberColumn(format="percent"),
        "max drawdown": st.column_config.NumberColumn(format="percent"),
        "p-value": st.column_config.NumberColumn(format="%.3f"),
        "Sharpe after fees": st.column_config.NumberColumn(format="%.2f"),
        "log loss": st.column_config.NumberColumn(format="%.4f"),
        "AUC": st.column_config.NumberColumn(format="%.3f"),
        "RMSE": st.column_config.NumberColumn(format="%.5f"),
        "MAE": st.column_config.NumberColumn(format="%.5f"),
        "MASE vs random walk": st.column_config.NumberColumn(
            format="%.3f", help="MAE over the no-change forecast's MAE: below 1 beats the random walk"),
        "DM p vs random walk": st.column_config.NumberColumn(
            format="%.3f", help="Diebold-Mariano, one-sided: smaller squared errors than the random walk's"),
        "conformal 90% coverage": st.column_config.NumberColumn(format="percent"),
        "conformal 90% width": st.column_config.NumberColumn(format="%.4f"),
        "own 80% coverage": st.column_config.NumberColumn(format="percent"),
        "own 95% coverage": st.column_config.NumberColumn(format="percent"),
    },
)
st.download_button("Download the table (CSV)", pd.DataFrame(rows).to_csv(index=False).encode(),
                   file_name=f"leaderboard_{context['symbol'].replace('/', '-')}_{context['timeframe']}_"
                   f"h{context['horizon']}.csv", mime="text/csv", key="compare_download")
VERDICT_BOX = {"edge": st.success, "worse than baseline": st.warning}  # "no evidence of edge": a plain info box
for row in (r for r in rows if r["kind"] == "model"):
    VERDICT_BOX.get(row.get("verdict"), st.info)(f"**{row.get('verdict')}** — {row.get('verdict_text') or row['model']}")
st.caption(
    "\"No evidence of edge\" is the normal, honest outcome: crypto markets are close to efficient, and 50–55 % "
    "direction accuracy out of sample is what good models reach. An edge is only claimed when it is unlikely to "
    "be luck after correcting for the number of models compared."
)
st.plotly_chart(figures.accuracy_chart(rows, band), key="compare_accuracy", width="stretch")

results = st.session_state.get("compare_results", {}).get(created)
if results is None:
    st.caption("Equity curves and the reliability diagram need the forecasts themselves; they are kept for boards "
               "run in this session. Recomputing a stored board reads its backtests from the results cache.")
    if st.button("Show equity curves and reliability for this board", key="compare_reload"):
        st.session_state["compare_rerun"] = True
        st.session_state["compare_rerun_context"] = context
        st.rerun()
    st.stop()
strategy = st.radio("Strategy", STRATEGIES, horizontal=True, key="compare_strategy",
                    format_func=lambda s: s.replace("_", "/"))
names = [r["model"] for r in rows if r["kind"] == "model"] + ["buy_and_hold"]
curves = {n: results[n].equity(strategy) for n in names if n in results}
st.plotly_chart(figures.equity_chart(curves, strategy), key="compare_equity", width="stretch")
st.caption("Growth of 1 unit trading each forecast after fees (long when P(up) > 0.5); buy-and-hold is the market.")
model_names = [n for n in names if n != "buy_and_hold" and n in results]
if model_names:
    st.plotly_chart(figures.reliability_chart({n: results[n].predictions for n in model_names}),
                    key="compare_reliability", width="stretch")
    st.caption("Reliability: forecasts binned by P(up) (ten equal-count bins) against how often price went up. "
               "Points on the diagonal mean the probabilities can be taken at face value.")
