"""The Ray backend: the same leaderboard, CLI documents and stored models as the serial backend, on a real
two-node Ray cluster on 127.0.0.1; an unreachable cluster is a clear error; nothing listens beyond loopback.
"""

from __future__ import annotations

import json
import socket

import pandas as pd
import pytest

from core.backtest.cache import ResultsCache
from core.backtest.leaderboard import leaderboard
from core.cli import main
from core.distributed.backend import Backend, BackendError, backend_for
from core.distributed.runtime import RayUnavailable
from core.models.store import Key, ModelStore
from tests.synthetic import ar1_candles

MODELS = ["lightgbm", "xgboost"]  # two cheap fits; 2 folds each on 1,200 bars
TIMING = {"seconds", "created", "fit_seconds"}
BACKTEST = ["backtest", "--symbol", "BTC", "--timeframe", "1h", "--start", "2024-07-01", "--models", "lightgbm,xgboost",
            "--refit-every", "700", "--no-cache", "--json"]
TRAIN = ["train", "--symbol", "BTC", "--timeframe", "1h", "--start", "2024-07-01", "--models", "lightgbm,xgboost",
         "--json"]
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def _untimed(document: object) -> object:
    """The document without wall-clock keys (the only ones allowed to differ between backends)."""
    if isinstance(document, dict):
        return {k: _untimed(v) for k, v in document.items() if k not in TIMING}
    if isinstance(document, list):
        return [_untimed(v) for v in document]
    return document


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cli_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_backend_is_chosen_by_argument_then_setting_and_serial_by_default(monkeypatch) -> None:
    monkeypatch.delenv("LYDIAN_BACKEND", raising=False)
    assert backend_for() == Backend("serial")
    monkeypatch.setenv("LYDIAN_BACKEND", "ray")
    monkeypatch.setenv("LYDIAN_RAY_ADDRESS", "10.0.0.5:6379")
    assert backend_for() == Backend("ray", "10.0.0.5:6379")
    assert backend_for("serial") == Backend("serial")
    monkeypatch.setenv("LYDIAN_BACKEND", "spark")
    with pytest.raises(BackendError, match="unknown backend 'spark'; use serial or ray"):
        backend_for()


def test_the_setting_reaches_every_face_through_core(monkeypatch) -> None:
    """The dashboard and the API's jobs call the core without a backend: LYDIAN_BACKEND decides there too."""
    monkeypatch.setenv("LYDIAN_BACKEND", "ray")
    monkeypatch.setenv("LYDIAN_RAY_ADDRESS", f"127.0.0.1:{_free_port()}")
    with pytest.raises(RayUnavailable, match="cannot reach Ray at 127.0.0.1"):
        leaderboard(MODELS, ar1_candles(400, 0.0), 1, cache=False, refit_every=100)


@pytest.mark.parametrize("command", [BACKTEST, TRAIN])
def test_unreachable_ray_address_is_one_clear_line(command: list[str], capsys) -> None:
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    assert main([*command, "--backend", "ray", "--ray-address", address]) == 2
    err = capsys.readouterr().err
    assert f"lydian: error: cannot reach Ray at {address}" in err and "ray start --head" in err
    assert "Traceback" not in err


@pytest.fixture
def cluster(monkeypatch):
    """A head and one worker node, one CPU each, both on 127.0.0.1; stopped (no raylet left) afterwards."""
    pytest.importorskip("ray", reason="Ray (pip extra 'scale') is not installed")
    from ray.cluster_utils import Cluster

    from core.distributed.runtime import init_ray, loopback_only, shutdown_ray

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # loopback only; no token file written to ~/.ray
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    with loopback_only():
        nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "node_ip_address": "127.0.0.1",
                                                              "include_dashboard": False})
        nodes.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    init_ray(nodes.address)  # joined once: the maps below reuse its workers (each import of core costs seconds)
    try:
        yield nodes
    finally:
        shutdown_ray()
        nodes.shutdown()


def _listening(pids: set[int]) -> set[str]:
    import psutil

    found = set()
    for pid in pids:
        try:
            found |= {c.laddr.ip for c in psutil.Process(pid).net_connections("inet") if c.status == "LISTEN"}
        except psutil.Error:
            continue
    return found


def test_a_local_ray_listens_on_loopback_only(monkeypatch) -> None:
    """Ray 2.60 turns 127.0.0.1 into the outward address unless in single-machine mode: nothing may listen there."""
    pytest.importorskip("ray", reason="Ray (pip extra 'scale') is not installed")
    import psutil

    from core.distributed.runtime import init_ray, shutdown_ray

    monkeypatch.delenv("LYDIAN_RAY_ADDRESS", raising=False)
    ray = init_ray(num_cpus=1)
    try:
        assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
        listening = _listening({p.pid for p in psutil.Process().children(recursive=True)})
        assert listening and listening <= LOOPBACK, listening
    finally:
        shutdown_ray()


def test_two_node_cluster_gives_the_serial_results_in_the_same_stores(cluster, tmp_path, capsys, monkeypatch) -> None:
    import psutil

    # the cluster: two nodes, and every server and worker of it listens on loopback only
    assert len(cluster.list_all_nodes()) == 2
    listening = _listening({p.pid for p in psutil.Process().children(recursive=True)})
    assert listening and listening <= LOOPBACK, listening

    # a small leaderboard: equal boards and predictions, results written into the driver's cache
    candles = ar1_candles(1200, 0.3, seed=5)
    settings = {"refit_every": 300, "start": 0.6}
    serial = leaderboard(MODELS, candles, 1, cache=False, **settings)
    cache = ResultsCache(tmp_path / "results")
    on_ray = leaderboard(MODELS, candles, 1, cache=cache, backend=Backend("ray", cluster.address), **settings)
    assert _untimed(on_ray.to_dict()) == _untimed(serial.to_dict())
    pd.testing.assert_frame_equal(on_ray.predictions(), serial.predictions())
    again = leaderboard(MODELS, candles, 1, cache=cache, **settings)  # serial, read from what the workers stored
    assert all(again.to_dict()["models"][m]["cached"] for m in MODELS)

    # the CLI contract: the same --json document whichever backend ran it
    board = _cli_json(BACKTEST, capsys)
    assert _untimed(_cli_json([*BACKTEST, "--backend", "ray", "--ray-address", cluster.address], capsys)) == \
        _untimed(board)
    reports = {}
    for backend in ("serial", "ray"):
        monkeypatch.setenv("LYDIAN_ARTIFACTS", str(tmp_path / backend))  # each run its version 1
        monkeypatch.setenv("LYDIAN_RAY_ADDRESS", cluster.address)
        reports[backend] = _cli_json([*TRAIN, "--backend", backend], capsys)
    assert _untimed(reports["ray"]) == _untimed(reports["serial"])
    key = Key("BTC/USDT", "1h", 1)
    assert all(ModelStore(tmp_path / "ray").versions(key, m) == [1] for m in MODELS)  # the workers saved them here
