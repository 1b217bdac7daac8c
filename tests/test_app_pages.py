"""The Models, Compare, Patterns and Train pages, driven through Streamlit's AppTest by widget keys.

Real bundled candles and real models throughout; the autouse fixture in conftest.py points
LYDIAN_HOME (results cache) and LYDIAN_ARTIFACTS (model store) at fresh temporary folders per test,
so every test starts with no trained model and no stored leaderboard.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages import open_page

BASELINES = {"majority", "persistence", "buy_and_hold"}
VERDICTS = {"edge", "no evidence of edge", "worse than baseline"}


def _page(page: str) -> AppTest:
    return open_page(page, timeout=120)


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page that has ``column``."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with a {column!r} column; tables: {[list(d.value.columns) for d in at.dataframe]}")


def _train(at: AppTest, models: list[str], bars: int, epochs: int = 10) -> AppTest:
    at.multiselect(key="train_models").set_value(models)
    at.number_input(key="train_bars").set_value(bars)
    at.number_input(key="train_epochs").set_value(epochs)
    at.button(key="train_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize(
    ("page", "title", "empty_text"),
    [
        ("views/Models.py", "Models", "No trained model for BTC/USDT 1h yet"),
        ("views/Compare.py", "Compare", "No walk-forward for BTC/USDT 1h yet"),
        ("views/Train.py", "Train", "No trained model for BTC/USDT 1h horizon 1 yet"),
    ],
)
def test_pages_show_their_empty_state_from_a_fresh_start(page: str, title: str, empty_text: str) -> None:
    at = _page(page)
    assert at.title[0].value == title
    assert any(empty_text in info.value for info in at.info), [i.value for i in at.info]
    assert any("lydian train" in i.value or "Run walk-forward" in i.value for i in at.info)


def test_the_pickers_offer_every_trainable_forecaster_of_every_family() -> None:
    """Families registered above core.models (statistical, chart images, quantum) are offered like the nets."""
    from core import forecasters
    from core.models import capabilities as cap, registry

    expected = set(forecasters.forecaster_ids(having=cap.TRAINABLE, lacking=cap.COMBINER))
    assert {forecasters.spec(m).family for m in expected} - set(registry.FAMILIES)  # the test covers higher layers
    train = _page("views/Train.py")
    assert set(train.multiselect(key="train_models").options) == expected
    compare = _page("views/Compare.py")
    compare.multiselect(key="compare_families").set_value(forecasters.trainable_families()).run()
    assert set(compare.multiselect(key="compare_models").options) == expected


def test_compare_runs_a_walk_forward_beside_the_baselines() -> None:
    at = _page("views/Compare.py")
    assert at.multiselect(key="compare_models").value == ["lightgbm", "xgboost"]  # the quick default
    at.multiselect(key="compare_models").set_value(["lightgbm"])
    at.number_input(key="compare_bars").set_value(1500)
    at.number_input(key="compare_refit").set_value(600)
    at.button(key="compare_run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = _frame(at, "verdict").set_index("model")
    assert {"lightgbm"} | BASELINES == set(table.index)
    assert table.loc["lightgbm", "kind"] == "model"
    assert set(table.loc[list(BASELINES), "kind"]) == {"baseline (naive)"}
    assert table.loc["lightgbm", "verdict"] in VERDICTS
    assert 0.3 < table.loc["lightgbm", "accuracy"] < 0.7
    assert table.loc["lightgbm", "95% interval"].count("%") == 2
    verdict = table.loc["lightgbm", "verdict"]
    boxes = [b.value for b in (*at.info, *at.success, *at.warning)]
    assert any(verdict in text and "lightgbm called the direction right" in text for text in boxes), boxes
    assert any("No evidence of edge" in c.value for c in at.caption)
    assert at.download_button(key="compare_download")
    assert len(at.get("plotly_chart")) == 3  # accuracy with error bars, equity curves, reliability diagram
    at.radio(key="compare_strategy").set_value("long_flat").run()
    assert not at.exception, at.exception
    board = at.selectbox(key="compare_board")
    assert len(board.options) == 1 and "lightgbm" in board.options[0]

    later = _page("views/Compare.py")  # a new session: the board comes from the results cache on disk
    assert set(_frame(later, "verdict")["model"]) == {"lightgbm"} | BASELINES
    assert len(later.get("plotly_chart")) == 1  # the forecasts behind the curves are not kept in the board
    later.button(key="compare_reload").click().run()
    assert not later.exception, later.exception
    assert len(later.get("plotly_chart")) == 3


def test_training_on_the_train_page_creates_a_version_shown_on_the_models_page() -> None:
    at = _train(_page("views/Train.py"), ["lightgbm"], bars=2500)
    summary = _frame(at, "valid_accuracy")
    assert list(summary["model_id"]) == ["lightgbm"] and list(summary["version"]) == [1]
    versions = _frame(at, "promoted")
    assert list(zip(versions["model_id"], versions["version"])) == [("lightgbm", 1)]

    at.switch_page("views/Models.py").run()
    assert not at.exception, at.exception
    assert at.multiselect(key="models_chosen").value == ["lightgbm"]
    assert "lightgbm" in [s.value for s in at.subheader]
    labels = {m.label: m.value for m in at.metric}
    assert labels["Tree nodes"] != "0" and labels["Validation accuracy"].endswith("%")
    assert any("not** an out-of-sample score" in c.value for c in at.caption)
    assert any("2,300 bundled bars" in c.value for c in at.caption)  # 2,500 bars less the feature warm-up
    assert at.get("plotly_chart"), "the P(up) chart is missing"


def test_promote_and_delete_versions_on_the_train_page() -> None:
    at = _train(_page("views/Train.py"), ["lightgbm"], bars=1500)
    at.button(key="train_run").click().run()  # a second version
    assert sorted(_frame(at, "promoted")["version"]) == [1, 2]
    at.selectbox(key="manage_version").set_value(1).run()
    at.button(key="manage_promote").click().run()
    assert "lightgbm v1 is now the default version." in [s.value for s in at.success]
    versions = _frame(at, "promoted").set_index("version")
    assert versions.loc[1, "promoted"] and not versions.loc[2, "promoted"]
    assert at.button(key="manage_delete").disabled  # nothing is deleted without the confirmation box
    at.selectbox(key="manage_version").set_value(2).run()
    at.checkbox(key="manage_confirm").check().run()
    at.button(key="manage_delete").click().run()
    assert not at.exception, at.exception
    assert list(_frame(at, "promoted")["version"]) == [1]
    assert at.checkbox(key="manage_confirm").value is False


def test_models_page_shows_attention_of_an_attention_net() -> None:
    at = _train(_page("views/Train.py"), ["gru_attention"], bars=1500, epochs=1)
    at.switch_page("views/Models.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Attention over the look-back window (latest bar)" in [s.value for s in at.subheader]
    assert len(at.get("plotly_chart")) == 2  # P(up) over time and the attention weights
    assert {m.label for m in at.metric} >= {"Parameters", "Validation accuracy"}


def _marked(at: AppTest) -> int:
    """The number of candlestick events the Patterns page says it marks on the chart."""
    text = next(c.value for c in at.caption if "candlestick event(s) on the last" in c.value)
    return int(re.search(r"and ([\d,]+) candlestick event", text).group(1).replace(",", ""))


def test_patterns_page_draws_the_chart_and_the_statistics_for_btc_1h() -> None:
    at = _page("views/Patterns.py")
    assert at.title[0].value == "Patterns"
    assert at.get("plotly_chart"), "the candlestick chart is missing"
    stats = _frame(at, "hit rate")
    assert {"events", "95% interval", "base rate", "difference"} <= set(stats.columns)
    assert set(stats["kind"]) == {"candlestick"} and stats["events"].min() >= 30
    assert stats["hit rate"].between(0, 1).all() and stats["base rate"].between(0.4, 0.6).all()
    assert "engulfing" in set(stats["pattern"])
    assert any("Measured on this series only: BTC/USDT 1h" in c.value and "Many comparisons" in c.value
               for c in at.caption)
    with_record = _marked(at)  # by default only patterns whose claim beat the base rate carry markers
    assert any("Only patterns with a record are marked" in c.value for c in at.caption)
    at.toggle(key="patterns_every").set_value(True).run()
    assert not at.exception, at.exception
    assert 0 < with_record < _marked(at) and any("Every candlestick event is marked" in c.value for c in at.caption)
    at.toggle(key="patterns_every").set_value(False).run()
    at.radio(key="patterns_kind").set_value("chart").run()
    at.slider(key="patterns_threshold").set_value(5.0).run()
    assert not at.exception, at.exception
    chart_rows = _frame(at, "hit rate")
    assert set(chart_rows["kind"]) == {"chart"} and "double_top" in set(chart_rows["pattern"])


def test_the_forecast_page_draws_a_statistical_models_fan() -> None:
    """A trained GARCH (it gives intervals) is offered for the fan chart, and its 80/95 % bands are drawn."""
    from core import service
    from core.data import load_candles
    from core.models.store import Key
    from tests.pages import frame_figures

    candles = load_candles("BTC/USDT", "1h").iloc[-3000:]
    key = Key("BTC/USDT", "1h", 1)
    service.train(candles, key, ["garch"], source="bundled")
    at = _page("views/Forecast.py")
    assert at.selectbox(key="fan_model").value == "garch"
    names = [trace.get("name") for figure in frame_figures(at) for trace in figure["data"]]
    assert "garch 80% interval" in names and "garch 95% interval" in names, names
    band = next(t for f in frame_figures(at) for t in f["data"] if t.get("name") == "garch 95% interval")
    close = float(load_candles("BTC/USDT", "1h")["close"].iloc[-1])
    assert min(band["y"]) < close < max(band["y"]) and band["y"][0] == pytest.approx(close)


def test_the_models_page_names_a_model_that_cannot_install_and_why() -> None:
    at = _page("views/Models.py")
    assert any("neuralprophet" in c.value and "numpy 2" in c.value for c in at.caption), [c.value for c in at.caption]
