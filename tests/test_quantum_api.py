"""The quantum endpoints answer with the CLI's contract and refuse bad queries in words."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from core.api.app import create_app
from core.api.settings import ApiSettings

pytest.importorskip("dwave.samplers", reason="the quantum extra is not installed: pip install -e '.[quantum]'")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("quantum_api") / "api.db"
    settings = ApiSettings(database_url=f"sqlite:///{database}", jwt_secret="x" * 40, rate_limit=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_solve_scores_against_the_exact_optimum(client: TestClient) -> None:
    params = {"symbols": ["BTC", "ETH", "SOL", "BNB"], "k": 2, "lookback": 300}
    exact = client.get("/api/ai/quantum/solve", params={**params, "solver": "exact"})
    annealed = client.get("/api/ai/quantum/solve", params={**params, "solver": "annealing"})
    assert exact.status_code == 200 and annealed.status_code == 200, annealed.text
    assert exact.json()["objective"] == pytest.approx(exact.json()["optimum"])
    assert annealed.json()["optimum"] == pytest.approx(exact.json()["optimum"]) and annealed.json()["simulated"] is True


@pytest.mark.parametrize("params", [{"symbols": ["BTC", "ETH"], "k": 2}, {"symbols": ["BTC", "NOPE"], "k": 1},
                                    {"symbols": ["BTC", "ETH"], "k": 1, "solver": "shor"},
                                    {"symbols": ["BTC", "ETH", "SOL", "BNB", "ADA", "XRP", "DOT"], "k": 2, "solver": "qaoa"}])
def test_bad_queries_are_refused(client: TestClient, params: dict) -> None:
    answer = client.get("/api/ai/quantum/solve", params=params)
    assert answer.status_code in (404, 422) and "Traceback" not in answer.text


def test_list_names_solvers_and_methods_not_built(client: TestClient) -> None:
    from core.cli import main  # noqa: F401  (the CLI lists the same catalogue)
    from core.quantum import catalogue

    body = client.get("/api/ai/quantum/list").json()
    assert "qaoa" in body["solvers"] and body["not_built"] and body["simulated"] is True
    assert body == json.loads(json.dumps(catalogue())) and "vqc" in body["forecasters"] and body["too_slow"]


def test_backtest_judges_the_chosen_books_after_costs(client: TestClient) -> None:
    params = {"symbols": ["BTC", "ETH", "SOL"], "k": 1, "solver": "exact", "lookback": 300, "rebalance": 500,
              "start": 0.95}
    answer = client.get("/api/ai/quantum/backtest", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["simulated"] is True and body["solver_quality"]["same_selection_as_exact"] == 1.0
    assert body["books"]["exact_chosen"]["fees_paid"] > 0 and set(body["books"]) == {"exact_chosen", "mean_variance", "equal"}


def test_quantum_page_compares_solvers_and_says_simulated() -> None:
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from sidebar import Selection

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "views" / "Quantum.py"), default_timeout=120)
    at.session_state["market"] = Selection("BTC/USDT", "1h", 2000)
    at.run()
    assert not at.exception and at.info  # nothing runs before the button
    at.multiselect(key="quantum_symbols").set_value(["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"])
    at.multiselect(key="quantum_solvers").set_value(["exact", "annealing"])
    at.button(key="quantum_run").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table.index) == ["exact", "annealing"] and table.loc["exact", "approximation_ratio"] == 1.0
    assert "classical simulation of a quantum algorithm" in " ".join(c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 1
    at.number_input(key="quantum_rebalance").set_value(2000)
    at.button(key="quantum_judge_run").click().run()
    assert not at.exception, at.exception
    books = next(frame.value for frame in at.dataframe if "deflated_sharpe" in frame.value.columns)
    assert list(books.index) == ["annealing_chosen", "exact_chosen", "mean_variance", "equal"]
    models = next(frame.value for frame in at.dataframe if "id" in frame.value.columns)
    assert {"vqc", "logistic_twin", "qnn", "mlp_twin", "quantum_kmeans", "quantum_lstm"} <= set(models["id"])
