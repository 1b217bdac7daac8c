"""The quantum endpoints answer with the CLI's contract and refuse bad queries in words."""

from __future__ import annotations

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
    body = client.get("/api/ai/quantum/list").json()
    assert "qaoa" in body["solvers"] and body["not_built"] and body["simulated"] is True
