"""The strategy and portfolio endpoints answer with the CLI's statistics and refuse bad queries."""

from __future__ import annotations

from collections.abc import Iterator
import pytest
from fastapi.testclient import TestClient

from core.api.app import create_app
from core.api.settings import ApiSettings

STATS = ("sharpe", "sharpe_ci_low", "sharpe_ci_high", "deflated_sharpe", "trials", "total_return", "max_drawdown",
         "turnover", "fees_paid", "breakeven_fee", "n_trades", "baselines")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("strategy_api") / "api.db"
    settings = ApiSettings(database_url=f"sqlite:///{database}", jwt_secret="x" * 40, rate_limit=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_strategy_and_portfolio_backtests(client: TestClient) -> None:
    answer = client.get("/api/ai/strategy/backtest", params={"symbol": "BTC", "model": "persistence",
                                                             "policy": "threshold", "bars": 1500})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["symbol"] == "BTC/USDT" and body["policy"] == "threshold" and not [k for k in STATS if k not in body]
    assert set(body["baselines"]) == {"buy_and_hold", "random"} and body["trials"] == len(body["configs"])
    answer = client.get("/portfolio/backtest", params={"symbols": ["BTC", "ETH"], "method": "inverse_vol",
                                                       "bars": 1500, "lookback": 168})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["symbols"] == ["BTC/USDT", "ETH/USDT"] and not [k for k in STATS if k not in body]


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/strategy/backtest", {"symbol": "BTC", "policy": "nope"}, 422),
    ("/strategy/backtest", {"symbol": "BTC", "fee": 0.5}, 422),
    ("/strategy/backtest", {"symbol": "NOPE"}, 404),
    ("/portfolio/backtest", {"symbols": ["BTC"]}, 422),
])
def test_bad_queries_are_refused(client: TestClient, path: str, params: dict, status: int) -> None:
    assert client.get(path, params=params).status_code == status
