"""Quantum page: k markets chosen by exact, annealing and simulated quantum solvers, side by side with wall time;
the chosen books judged out of sample after costs; the quantum models beside their classical twins."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

import loaders
import sidebar
from core.data import bundled
from core.errors import LydianError
from core.quantum import QUANTUM_LABEL, SOLVERS, catalogue, compare
from core.quantum.problems import shared_returns, window_problem

selection = sidebar.market()
st.caption(
    f"No quantum computer is used: QAOA, VQE and Grover here are a **{QUANTUM_LABEL}** (Qiskit). Each answer is "
    "scored against the exact optimum over every k-subset: approximation ratio 1 is the optimum, 0 the worst "
    "choice; P(optimum) is how often the method samples the optimum. The problem: choose k equally weighted "
    "markets minimising variance minus mean return (Ledoit-Wolf covariance of the last bars)."
)
symbols = bundled.symbols()
cols = st.columns([3, 1, 1, 2])
chosen = cols[0].multiselect("Markets", symbols, default=symbols[:5], key="quantum_symbols", max_selections=10)
k = int(cols[1].number_input("Choose k", 1, 9, 2, key="quantum_k"))
lookback = int(cols[2].number_input("Bars of returns", 48, 5000, 720, step=48, key="quantum_lookback"))
solvers = cols[3].multiselect("Solvers", list(SOLVERS), default=["exact", "annealing", "qaoa"], key="quantum_solvers",
                              help="Grover adaptive search is slow past 5 markets (it adds value qubits).")
solve_tab, judge_tab, models_tab = st.tabs(["Solve", "Out of sample", "Models"])


def candles() -> dict[str, pd.DataFrame]:
    return {symbol: loaders.candles(symbol, selection.timeframe) for symbol in chosen}


with solve_tab:
    if not st.button("Solve", key="quantum_run", type="primary"):
        st.info("Pick markets, k and solvers, then Solve.")
    else:
        try:
            labels, returns = shared_returns(candles(), lookback, selection.timeframe)
            with st.spinner("Solving (the quantum circuits are simulated classically)…"):
                results = compare(window_problem(labels, returns, k), solvers)
        except LydianError as exc:
            st.error(str(exc))
        else:
            table = pd.DataFrame([r.to_dict() for r in results]).set_index("solver")
            table["selection"] = table["selection"].map(", ".join)
            st.dataframe(table[["selection", "objective", "optimum", "approximation_ratio", "p_optimal", "qubits", "depth",
                                "shots", "wall_s", "label"]], key="quantum_table")
            figure = px.scatter(table.reset_index(), x="wall_s", y="objective", color="solver", log_x=True,
                                hover_data=["selection"],
                                title=f"Objective (lower is better) against wall time, {len(labels)} markets, k = {k}")
            figure.add_hline(y=float(table["optimum"].iloc[0]), line_dash="dot", annotation_text="exact optimum")
            st.plotly_chart(figure, key="quantum_chart", width="stretch")
            st.caption(f"Every result above is labelled simulated: {', '.join(sorted(set(table['label'])))}. "
                       "Timings are this machine's.")

with judge_tab:
    st.caption("Every rebalance, the chosen solver and the exact solver each pick k markets from the past returns only "
               "(the same problem as Solve); each book holds its pick equally weighted, pays 0.1 % per side, and stands "
               "beside mean-variance weights and equal weight. Sharpe with its 95 % bootstrap interval; the deflated "
               "Sharpe is charged for the four books tried.")
    jcols = st.columns(2)
    judged = jcols[0].selectbox("Solver to judge", list(SOLVERS), index=list(SOLVERS).index("annealing"), key="quantum_judge_solver")
    rebalance = int(jcols[1].number_input("Bars between picks", 24, 5000, 336, step=24, key="quantum_rebalance"))
    if st.button("Judge out of sample", key="quantum_judge_run"):
        try:
            from core.quantum.judge import judge_portfolio

            with st.spinner("Walking the test bars…"):
                result = judge_portfolio(candles(), k, judged, timeframe=selection.timeframe, rebalance=rebalance,
                                         lookback=lookback)
        except LydianError as exc:
            st.error(str(exc))
        else:
            books = pd.DataFrame(result["books"]).T[["total_return", "sharpe", "sharpe_ci_low", "sharpe_ci_high",
                                                      "deflated_sharpe", "max_drawdown", "fees_paid"]]
            st.dataframe(books, key="quantum_books")
            quality = result["solver_quality"]
            st.caption(f"{result['bars']} test bars from {result['first_bar']}, {result['rebalances']} picks; "
                       f"{judged} ({result['label']}) picked as the exact solver "
                       f"{quality['same_selection_as_exact']:.0%} of the time.")

with models_tab:
    listing = catalogue()
    rows = [(group, name, text) for group in ("forecasters", "regime_detectors", "too_slow", "not_built")
            for name, text in listing[group].items()]
    st.dataframe(pd.DataFrame(rows, columns=["kind", "id", "what it is, or why not"]), key="quantum_models", hide_index=True)
    st.caption("Each quantum forecaster stands beside its classical twin on the same inputs; compare them on the "
               f"Leaderboard. Pending: {', '.join(listing['pending'])}.")
