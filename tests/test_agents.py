"""RL agents: known answers (a planted sine is traded at a profit, a random walk yields no edge, costs
cut trading), no look-ahead in the environment, and the registry contract (train, act, save/load, refuse tampering).

Sizes are tiny (hundreds of bars, a few thousand steps, small seeds) so the file stays fast on 2 cores.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("stable_baselines3", reason="the 'agents' extra (stable_baselines3, sb3-contrib) is not installed")

from core.agents import AGENTS, Agent, TradingEnv, WalkConfig, available, causal_features, fit_normaliser, walk_forward
from core.cli import main
from core.errors import LydianError
from core.policy.execution import Execution, execute
from tests.synthetic import ar1_candles

SINE = WalkConfig(train_bars=600, test_bars=300, steps=2500, seeds=1, window=8)
KEYS = {"id", "seeds", "sharpe_mean", "sharpe_std", "deflated_sharpe", "total_return_mean", "turnover_mean"}


def sine_candles(n: int, seed: int = 0, period: int = 24, amplitude: float = 0.03, noise: float = 0.002) -> pd.DataFrame:
    """Hourly candles whose log price is a sine plus noise: a pattern an agent can learn to trade."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(amplitude * np.sin(2 * np.pi * np.arange(n) / period) + rng.normal(0, noise, n))
    open_ = np.concatenate([[close[0]], close[:-1]])
    index = pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC", name="timestamp")
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.001, "low": np.minimum(open_, close) * 0.999,
                         "close": close, "volume": rng.lognormal(3, 0.3, n)}, index=index)


def env_over(candles: pd.DataFrame, rows: np.ndarray, **kwargs) -> TradingEnv:
    return TradingEnv(candles, rows, fit_normaliser(causal_features(candles)[:300]), window=8, **kwargs)


@pytest.fixture(scope="module")
def sine() -> pd.DataFrame:
    return sine_candles(900)


def test_env_passes_gymnasium_checker() -> None:
    from gymnasium.utils.env_checker import check_env

    candles = sine_candles(400)
    for continuous in (False, True):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*render.*")  # no render modes, by design
            check_env(env_over(candles, np.arange(300), continuous=continuous), skip_render_check=True)


def test_env_rewards_are_the_policy_layers_after_cost_returns() -> None:
    candles = ar1_candles(400, 0.0, seed=3)
    execution = Execution(fee=0.002, latency=1)
    env = env_over(candles, np.arange(50, 400), execution=execution)
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 3, len(env.rows))
    rewards, positions = [], []
    for action in actions:
        _, reward, done, _, info = env.step(action)
        rewards.append(reward)
        positions.append(info["position"])
    table = execute(np.array(positions), candles, env.rows, execution)
    assert done and len(table) == len(env.rows)
    np.testing.assert_allclose(rewards, np.log1p(table["net_return"].to_numpy()), atol=1e-12)


def test_observation_at_t_ignores_later_bars() -> None:
    candles = ar1_candles(300, 0.0, seed=4)
    changed = candles.copy()
    changed.iloc[151:] *= 1.5  # every bar after t = 150 moves
    changed.iloc[151:, changed.columns.get_loc("volume")] *= 3
    normaliser = fit_normaliser(causal_features(candles)[:100])
    first, second = (TradingEnv(c, np.arange(150, 290), normaliser, window=8) for c in (candles, changed))
    obs_a, _ = first.reset()
    obs_b, _ = second.reset()
    np.testing.assert_array_equal(obs_a, obs_b)
    assert first.rows[0] == 150


def test_no_fill_at_the_decision_bars_price() -> None:
    candles = ar1_candles(300, 0.0, seed=5)
    t = 150
    base = env_over(candles, np.arange(t, 290))
    base.reset()
    reward = base.step(2)[1]  # long at bar t's close
    own_price = candles.copy()
    own_price.iloc[t, own_price.columns.get_loc("close")] *= 1.3  # the decision bar's own price
    own_price.iloc[t, own_price.columns.get_loc("open")] *= 1.3
    env = env_over(own_price, np.arange(t, 290))
    env.reset()
    assert env.step(2)[1] == pytest.approx(reward)
    next_open = candles.copy()
    next_open.iloc[t + 1, next_open.columns.get_loc("open")] *= 1.05  # the fill price is bar t+1's open
    env = env_over(next_open, np.arange(t, 290))
    env.reset()
    expected = np.log1p(next_open["open"].iloc[t + 2] / next_open["open"].iloc[t + 1] - 1 - 0.001)
    assert env.step(2)[1] == pytest.approx(expected) and env.step(2)[1] != pytest.approx(reward)


def test_ppo_profits_on_a_noisy_sine_after_costs(sine: pd.DataFrame) -> None:
    result = walk_forward(sine, ["ppo"], SINE, Execution(fee=0.0005))
    row, hold = result["agents"][0], result["baselines"][0]
    assert row["total_return_mean"] > 0.2 and row["total_return_mean"] > hold["total_return_mean"] + 0.2
    assert row["sharpe_mean"] > 5 and row["deflated_sharpe"] > 0.95


def test_dqn_profits_on_a_noisy_sine_and_trades_less_when_costs_rise_tenfold(sine: pd.DataFrame) -> None:
    cheap = walk_forward(sine, ["dqn"], SINE, Execution(fee=0.0005))  # one test, so one worker trains it
    row, hold = cheap["agents"][0], cheap["baselines"][0]
    assert row["total_return_mean"] > 0.2 and row["total_return_mean"] > hold["total_return_mean"] + 0.2
    assert row["sharpe_mean"] > 5 and row["deflated_sharpe"] > 0.95
    dear = walk_forward(sine, ["dqn"], SINE, Execution(fee=0.005))
    assert dear["agents"][0]["turnover_mean"] < 0.8 * row["turnover_mean"]


def test_random_walk_gives_no_agent_a_deflated_sharpe_above_095() -> None:
    walk = ar1_candles(900, 0.0, seed=1)
    result = walk_forward(walk, ["a2c"], WalkConfig(600, 300, 1000, 3, 8), Execution(fee=0.0005))
    assert result["trials"] == 3 and 0.0 <= result["pbo"] <= 1.0
    for row in result["agents"]:
        assert KEYS <= set(row) and row["seeds"] == 3
        assert all(d < 0.95 for d in row["deflated_sharpe_seeds"]) and row["deflated_sharpe"] < 0.95


def test_every_named_method_is_listed_and_unavailable_ones_say_why(capsys: pytest.CaptureFixture) -> None:
    assert main(["agents", "list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    ids = {e["id"] for e in entries}
    assert {"dqn", "qrdqn", "a2c", "a3c", "ppo", "recurrent_ppo", "trpo", "ddpg", "td3", "sac", "double_dqn",
            "dueling_dqn", "noisy_dqn", "prioritized_dqn", "c51", "rainbow", "iql", "qmix", "maddpg", "commnet",
            "coma"} <= ids
    for entry in entries:
        assert {"id", "family", "library", "available"} <= set(entry)
        assert entry["available"] or len(entry["reason"]) > 20


@pytest.mark.parametrize("agent_id", available())
def test_agent_contract_train_act_save_load_refuse_tampering(agent_id: str, tmp_path) -> None:
    candles = sine_candles(400)
    spec = AGENTS[agent_id]
    agent = Agent.train(agent_id, env_over(candles, np.arange(20, 300), continuous=spec.continuous), 300, seed=0)
    test_env = env_over(candles, np.arange(300, 400), continuous=spec.continuous)
    actions = agent.act(test_env)
    assert len(actions) == len(test_env.rows) and np.all(np.abs(actions) <= 1)
    folder = agent.save(tmp_path / agent_id)
    assert sorted(p.name for p in folder.iterdir()) == ["agent.json", "weights.safetensors"]
    np.testing.assert_array_equal(Agent.load(folder).act(test_env), actions)
    weights = folder / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(LydianError, match="modified"):
        Agent.load(folder)


def test_tampered_config_and_pickled_zip_are_refused(tmp_path) -> None:
    candles = sine_candles(400)
    folder = Agent.train("a2c", env_over(candles, np.arange(20, 300)), 64, seed=0).save(tmp_path / "a2c")
    config = json.loads((folder / "agent.json").read_text())
    config["normaliser"]["mean"][0] += 1.0
    (folder / "agent.json").write_text(json.dumps(config))
    with pytest.raises(LydianError, match="modified"):
        Agent.load(folder)
    (tmp_path / "sb3").mkdir()
    (tmp_path / "sb3" / "agent.zip").write_bytes(b"PK\x03\x04 pickled policy")
    with pytest.raises(LydianError, match="not a saved Lydian agent"):
        Agent.load(tmp_path / "sb3")


def test_cli_backtest_json_contract(tmp_path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "sine.csv"
    sine_candles(500).to_csv(path)
    argv = ["agents", "backtest", "--file", str(path), "--timeframe", "1h", "--agents", "a2c", "--seeds", "2",
            "--steps", "64", "--train-bars", "300", "--test-bars", "200", "--window", "8", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert KEYS <= set(result["agents"][0]) and KEYS <= set(result["baselines"][0])
    assert result["baselines"][0]["id"] == "buy_and_hold" and 0 <= result["agents"][0]["deflated_sharpe"] <= 1
    assert main(["agents", "backtest", "--file", str(path), "--agents", "rainbow"]) == 2
    assert "not available" in capsys.readouterr().err


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    from fastapi.testclient import TestClient

    from core.api.app import create_app
    from core.api.settings import ApiSettings

    database = tmp_path_factory.mktemp("agents_api") / "api.db"
    settings = ApiSettings(database_url=f"sqlite:///{database}", jwt_secret="x" * 40, rate_limit=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_api_lists_agents_and_backtests_with_the_cli_keys(client) -> None:
    listing = client.get("/api/ai/agents/list")
    assert listing.status_code == 200 and {e["id"] for e in listing.json()} == set(AGENTS)
    params = {"symbol": "BTC", "timeframe": "1h", "agents": ["a2c"], "seeds": 1, "steps": 64, "bars": 300}
    answer = client.get("/api/ai/agents/backtest", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert KEYS <= set(body["agents"][0]) and body["baselines"][0]["id"] == "buy_and_hold"
    refused = client.get("/api/ai/agents/backtest", params={**params, "agents": ["qmix"]})
    assert 400 <= refused.status_code < 500 and "not available" in refused.text


def test_agents_page_runs_and_shows_every_seed_beside_buy_and_hold() -> None:
    from tests.pages import open_page

    at = open_page("views/Agents.py", timeout=120)
    assert any("press **Run**" in i.value for i in at.info)
    at.multiselect(key="agents_ids").set_value(["a2c"])
    at.number_input(key="agents_seeds").set_value(2)
    at.number_input(key="agents_steps").set_value(256)
    at.number_input(key="agents_bars").set_value(600)
    at.button(key="agents_run").click().run(timeout=120)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = next(d.value for d in at.dataframe if "sharpe_mean" in d.value.columns)
    assert set(table.index) == {"a2c", "buy_and_hold"} and table.loc["a2c", "seeds"] == 2
    assert len(at.get("plotly_chart")) == 2


def test_cli_train_saves_an_agent_that_loads_and_bad_budgets_exit_2(tmp_path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "sine.csv"
    sine_candles(400).to_csv(path)
    out = tmp_path / "saved"
    argv = ["agents", "train", "--file", str(path), "--timeframe", "1h", "--agent", "a2c", "--steps", "64",
            "--train-bars", "300", "--window", "8", "--out", str(out), "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["folder"] == str(out)
    assert Agent.load(out).config["agent"] == "a2c"
    assert main(["agents", "backtest", "--file", str(path), "--agents", "a2c", "--steps", "0"]) == 2
    assert "must all be >= 1" in capsys.readouterr().err


def test_portfolio_env_shares_one_budget_and_pays_the_policy_layers_costs() -> None:
    from gymnasium.utils.env_checker import check_env

    from core.agents.portfolio_env import PortfolioEnv, budget

    candles = {"A": ar1_candles(300, 0.0, seed=6), "B": ar1_candles(300, 0.0, seed=7)}
    normalisers = {s: fit_normaliser(causal_features(c)[:200]) for s, c in candles.items()}
    execution = Execution(fee=0.001)
    env = PortfolioEnv(candles, np.arange(50, 300), normalisers, execution, window=8)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*render.*")
        check_env(env, skip_render_check=True)
    np.testing.assert_allclose(budget([1.0, -1.0]), [0.5, -0.5])
    weights = np.random.default_rng(1).uniform(-1, 1, (len(env.rows), 2))
    env.reset()
    nets = np.array([env.step(w)[4]["net_return"] for w in weights])
    expected = sum(execute(np.array([budget(w)[k] for w in weights]), candles[s], env.rows, execution)["net_return"]
                   .to_numpy() for k, s in enumerate(env.symbols))
    np.testing.assert_allclose(nets, expected, atol=1e-12)
