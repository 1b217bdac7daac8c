"""The Strategy page (app/views/Strategy.py) runs a policy and draws its charts without an exception."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from sidebar import Selection

PAGE = str(Path(__file__).resolve().parents[1] / "app" / "views" / "Strategy.py")


def test_strategy_page_runs_a_policy_and_draws_its_charts() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["market"] = Selection("BTC/USDT", "1h", 2000)
    at.run()
    assert not at.exception, at.exception
    assert at.info and "Run" in at.info[0].value  # nothing is computed before the button
    at.selectbox(key="strategy_model").set_value("persistence")
    at.selectbox(key="strategy_policy").set_value("always")
    at.number_input(key="strategy_bars").set_value(1500)
    at.button(key="strategy_run").click().run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Sharpe ratio" in text and "deflated Sharpe" in text
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # equity with its band, drawdown, trades on the candles (always has one configuration)
    at.selectbox(key="strategy_policy").set_value("vol_target")
    at.button(key="strategy_run").click().run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 4  # and the Sharpe and turnover of each target volatility it could choose
