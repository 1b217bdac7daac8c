"""Strategy page: a model's out-of-sample forecasts traded by a policy, after costs, and how far to trust it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import figures_strategy as figures
import loaders
import sidebar
from core.errors import LydianError
from core.policy import POLICIES, Execution
from core.policy.report import in_words
from core.policy.stats import equity_band
from core.policy.walk import backtest_policy

MODELS = ("lightgbm", "xgboost", "catboost", "persistence", "majority")

selection = sidebar.market()
st.caption(
    "The model is walked forward (it only ever forecasts bars it has not seen); the policy turns each forecast "
    "into a position at the bar's close, filled at the next bar's open, paying the fee on every change. A policy's "
    "threshold or target volatility is chosen only on outcomes already known, and the deflated Sharpe charges "
    "for every configuration tried."
)
cols = st.columns(4)
model = cols[0].selectbox("Model", MODELS, key="strategy_model")
policy = cols[1].selectbox("Policy", POLICIES, index=POLICIES.index("threshold"), key="strategy_policy")
fee = cols[2].number_input("Fee per side (%)", 0.0, 1.0, 0.1, step=0.05, key="strategy_fee") / 100
bars = int(cols[3].number_input("Most recent bars", 1000, 40_000, 4000, step=1000, key="strategy_bars",
                                help="Forecasts start half-way; the first half trains the first fit."))

if st.button("Run", key="strategy_run", type="primary"):
    candles = loaders.candles(selection.symbol, selection.timeframe).iloc[-bars:]
    with st.spinner("Walking the model forward and trading its forecasts…"):
        try:
            result = backtest_policy(candles, model, policy, timeframe=selection.timeframe, execution=Execution(fee=fee))
        except LydianError as exc:
            st.error(f"The backtest stopped: {exc}")
            st.stop()
    st.session_state["strategy_result"] = (selection, model, result, candles)

stored = st.session_state.get("strategy_result")
if stored is None or stored[0] != selection:
    st.info("Choose a model and a policy and press **Run**. LightGBM on the last 4,000 bars takes a few seconds.")
    st.stop()
_, model, result, candles = stored
stats = result.stats
st.markdown(in_words(stats, f"The {result.policy} policy on {model}'s forecasts"))
metrics = st.columns(5)
metrics[0].metric("Sharpe after costs", f"{stats['sharpe']:.2f}")
metrics[1].metric("Deflated Sharpe", f"{stats['deflated_sharpe']:.0%}")
metrics[2].metric("Total return", f"{stats['total_return']:.1%}")
metrics[3].metric("Max drawdown", f"{stats['max_drawdown']:.1%}")
metrics[4].metric("Break-even fee", f"{stats['breakeven_fee']:.3%}" if stats["breakeven_fee"] == stats["breakeven_fee"] else "-")
rows = {result.policy: stats, **result.baselines}
st.dataframe(pd.DataFrame(rows).T[["sharpe", "sharpe_ci_low", "sharpe_ci_high", "deflated_sharpe", "total_return",
                                   "max_drawdown", "turnover", "fees_paid", "breakeven_fee", "n_trades"]],
             key="strategy_table")
low, high = equity_band(result.table["net_return"].to_numpy())
st.plotly_chart(figures.equity_chart(result.table, low, high), key="strategy_equity")
st.plotly_chart(figures.drawdown_chart(result.table), key="strategy_drawdown")
st.plotly_chart(figures.trades_chart(candles, result.table.iloc[-500:]), key="strategy_trades")
if len(result.configs) > 1:
    st.caption(f"Every configuration the policy could choose, over the whole test (PBO = {stats['pbo']:.2f}: how "
               "often the best configuration in one half of the test ranked below the median in the other half).")
    st.plotly_chart(figures.configs_chart(result.configs), key="strategy_configs")
