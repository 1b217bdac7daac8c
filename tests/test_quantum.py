"""Quantum(-inspired) selection (issue 27): known answers against brute force, on tiny problems."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from core.quantum import QuboError, SolverError, ensemble_selection, portfolio_selection, solve
from core.quantum.problems import window_problem
from core.quantum.qubo import Selection

pytest.importorskip("qiskit_optimization", reason="the quantum extra is not installed: pip install -e '.[quantum]'")
pytest.importorskip("dwave.samplers", reason="the quantum extra is not installed: pip install -e '.[quantum]'")


def _random_portfolio(n: int, k: int, seed: int) -> Selection:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(500, 1))
    returns = 0.01 * (factor @ rng.uniform(0.2, 1.0, (1, n)) + rng.normal(size=(500, n))) + rng.normal(0, 0.002, n)
    return window_problem([f"A{i}" for i in range(n)], returns, k)


def _brute_force(problem: Selection) -> tuple[set[str], float]:
    best = min(combinations(range(problem.n), problem.k),
               key=lambda c: problem.objective(np.isin(np.arange(problem.n), c).astype(float)))
    x = np.isin(np.arange(problem.n), best).astype(float)
    return {problem.labels[i] for i in best}, problem.objective(x)


@pytest.mark.parametrize("n,k,seed", [(4, 2, 0), (6, 3, 1), (8, 3, 2), (8, 5, 3)])
def test_exact_equals_brute_force(n: int, k: int, seed: int) -> None:
    problem = _random_portfolio(n, k, seed)
    chosen, value = _brute_force(problem)
    result = solve(problem, "exact")
    assert set(result.selection) == chosen and result.objective == pytest.approx(value)
    assert result.approximation_ratio == 1.0 and result.simulated


def test_qubo_penalty_keeps_every_subset_value() -> None:
    problem = _random_portfolio(5, 2, 4)
    q, offset = problem.qubo()
    for bits in range(2**5):
        x = np.array([(bits >> i) & 1 for i in range(5)], dtype=float)
        penalised = x @ q @ x + offset
        expected = problem.objective(x) + problem.penalty() * (x.sum() - 2) ** 2
        assert penalised == pytest.approx(expected)


def test_annealing_finds_the_optimum_in_95_percent_of_seeded_runs() -> None:
    problem = _random_portfolio(8, 3, 5)
    chosen, _ = _brute_force(problem)
    hits = [set(solve(problem, "annealing", seed=seed).selection) == chosen for seed in range(20)]
    assert np.mean(hits) >= 0.95


def test_ensemble_selection_avoids_redundant_members() -> None:
    # a and b are equally skilled but their errors are the same; c is weaker but independent
    corr = np.array([[1.0, 0.99, 0.0], [0.99, 1.0, 0.0], [0.0, 0.0, 1.0]])
    problem = ensemble_selection(["a", "b", "c"], np.array([0.30, 0.30, 0.10]), corr, 2, redundancy=1.0)
    assert set(solve(problem, "exact").selection) in ({"a", "c"}, {"b", "c"})
    greedy = ensemble_selection(["a", "b", "c"], np.array([0.30, 0.30, 0.10]), corr, 2, redundancy=0.0)
    assert set(solve(greedy, "exact").selection) == {"a", "b"}


@pytest.mark.parametrize("solver", ["qaoa", "vqe"])
def test_quantum_solvers_report_their_true_ratio_and_p_optimal(solver: str) -> None:
    problem = _random_portfolio(4, 2, 6)
    rows, values = problem.feasible()
    result = solve(problem, solver, seed=1)
    x = np.isin(problem.labels, result.selection).astype(float)
    assert result.objective == pytest.approx(problem.objective(x)) and result.optimum == pytest.approx(values.min())
    if result.feasible:
        assert result.approximation_ratio == pytest.approx((values.max() - result.objective) / (values.max() - values.min()))
    assert 0.0 <= result.p_optimal <= 1.0 and result.qubits == 4 and result.depth > 0
    assert result.label == "classical simulation of a quantum algorithm" and result.simulated


def test_bad_problems_are_refused_in_words() -> None:
    with pytest.raises(QuboError, match="k must be between"):
        portfolio_selection(["a", "b"], np.zeros(2), np.eye(2), 2)
    with pytest.raises(QuboError, match="NaN"):
        window_problem(["a", "b", "c"], np.full((10, 3), np.nan), 1)
    with pytest.raises(SolverError, match="unknown solver"):
        solve(_random_portfolio(4, 2, 0), "shor")


def test_cli_solve_prints_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    code = main(["quantum", "solve", "--problem", "portfolio", "--symbols", "BTC,ETH,SOL,BNB", "--timeframe", "1h",
                 "--k", "2", "--solver", "annealing", "--lookback", "300", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["solver"] == "annealing" and len(payload["selection"]) == 2
    for key in ("objective", "optimum", "approximation_ratio", "p_optimal", "qubits", "wall_s"):
        assert key in payload
    assert payload["simulated"] is True and payload["objective"] >= payload["optimum"] - 1e-12


def test_cli_list_names_methods_not_built(capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    assert main(["quantum", "list", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["solvers"]) == {"exact", "annealing", "qaoa", "vqe", "grover"}
    assert all(reason for reason in payload["not_built"].values())
    assert all(reason for reason in payload["too_slow"].values())
    listed = set(payload["forecasters"]) | set(payload["regime_detectors"]) | set(payload["too_slow"]) | set(payload["pending"])
    assert {"vqc", "qnn", "quantum_kmeans", "quantum_lstm"} <= listed


@pytest.mark.parametrize("model_id", ["qsvm", "svm_rbf_twin", "vqc", "logistic_twin", "qnn", "mlp_twin"])
def test_quantum_classifiers_and_twins_score_50_percent_on_a_random_walk(model_id: str) -> None:
    from core.forecasters import create
    from core.models.dataset import prepare
    from tests.synthetic import ar1_candles

    dataset = prepare(ar1_candles(3400, 0.0, seed=7), horizon=1)
    x, y = dataset.window(dataset.labelled)
    model = create(model_id).fit(x[:600], y[:600], x[600:800], y[600:800], seed=0)
    p_up = model.predict(x[800:])["p_up"].to_numpy()
    accuracy = float(np.mean((p_up > 0.5) == (y["direction"][800:].to_numpy() > 0.5)))
    assert len(p_up) > 2000 and abs(accuracy - 0.5) <= 0.03


def test_circuit_gradients_are_parameter_shift_and_exact() -> None:
    """vqc and qnn differentiate their circuits by the parameter-shift rule, on exact (shot-free) simulators."""
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient, ParamShiftSamplerGradient

    from core.forecasters import create
    from core.quantum.qnn import _circuit

    vqc = create("vqc")._vqc(2)
    assert isinstance(vqc.neural_network.gradient, ParamShiftSamplerGradient)
    connector = _circuit(2, 1, seed=0)
    assert isinstance(connector.neural_network.gradient, ParamShiftEstimatorGradient)
    # the parameter-shift gradient equals the finite difference of the exact expectation
    qnn, x, w = connector.neural_network, np.array([[0.3, -0.7]]), np.array([0.1, 0.2, -0.3, 0.4])
    shifted = [(qnn.forward(x, w + 1e-4 * e) - qnn.forward(x, w - 1e-4 * e))[0, 0] / 2e-4 for e in np.eye(4)]
    np.testing.assert_allclose(qnn.backward(x, w)[1][0, 0], shifted, atol=1e-6)


def test_twins_see_the_same_inputs_and_are_about_the_same_size() -> None:
    from core.forecasters import create
    from core.models.dataset import prepare
    from tests.synthetic import ar1_candles

    dataset = prepare(ar1_candles(700, 0.0, seed=3), horizon=1)
    x, y = dataset.window(dataset.labelled)
    pair = [create(m).fit(x[:400], y[:400], x[400:500], y[400:500], seed=0) for m in ("qnn", "mlp_twin")]
    for name in ("center", "axes", "spread"):
        np.testing.assert_array_equal(getattr(pair[0].net_, name), getattr(pair[1].net_, name))
    assert abs(pair[0].n_parameters() - pair[1].n_parameters()) <= 2


def test_fidelity_kernel_equals_qiskit_machine_learning_pair_by_pair() -> None:
    from qiskit.circuit.library import zz_feature_map
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    from core.quantum.qml import fidelity_kernel

    a = np.random.default_rng(0).uniform(-2, 2, (12, 3))
    library = FidelityStatevectorKernel(feature_map=zz_feature_map(3, reps=1))
    np.testing.assert_allclose(fidelity_kernel(a, a[:5]), library.evaluate(a, a[:5]), atol=1e-12)


def test_quantum_kernel_kmeans_recovers_planted_regimes_beside_kmeans() -> None:
    """Calm and wild stretches: the quantum-kernel clustering, walked forward causally, finds them as k-means does."""
    from sklearn.metrics import adjusted_rand_score

    from core.regimes import label_causally
    from tests.test_regimes import planted_regimes

    candles, truth = planted_regimes(1600, seed=0)
    scores = {}
    for method in ("quantum_kmeans", "kmeans"):
        labels = label_causally(candles, method, train_bars=800, refit_every=400).labels["regime"]
        scores[method] = adjusted_rand_score(truth.loc[labels.index], labels)
    assert scores["quantum_kmeans"] >= 0.8 and scores["kmeans"] >= 0.8, scores


def _bundled(symbols: tuple[str, ...] = ("BTC", "ETH", "SOL", "BNB")) -> dict:
    from core.data import load_candles

    return {s: load_candles(s, "1h") for s in symbols}


def test_portfolio_judgement_books_equal_when_the_solver_finds_every_optimum() -> None:
    """Annealing finds the exact choice at every rebalance here, so its book is the exact book, to the bar."""
    from core.quantum.judge import judge_portfolio

    candles = {s: c.iloc[-2500:] for s, c in _bundled().items()}
    result = judge_portfolio(candles, 2, "annealing", timeframe="1h", rebalance=400, start=0.6, draws=200)
    assert result["solver_quality"]["same_selection_as_exact"] == 1.0
    assert result["books"]["annealing_chosen"] == result["books"]["exact_chosen"]
    assert set(result["books"]) == {"annealing_chosen", "exact_chosen", "mean_variance", "equal"}
    assert all(book["trials"] == 4 and book["fees_paid"] > 0 for book in result["books"].values())


def test_portfolio_judgement_reads_no_later_bar() -> None:
    """Bars after t move no book's return at t: every selection reads the returns up to its own bar."""
    from core.policy.execution import Execution
    from core.quantum.judge import books

    candles = {s: c.iloc[-3000:] for s, c in _bundled(("BTC", "ETH", "SOL")).items()}
    cut = {s: c.iloc[:-400] for s, c in candles.items()}
    start = cut["BTC"].index[-1500]
    settings = {"rebalance": 200, "lookback": 720, "risk_aversion": 1.0, "execution": Execution(), "start": start, "seed": 0}
    short, long_ = books(cut, 1, "exact", **settings)[0], books(candles, 1, "exact", **settings)[0]
    for name, table in short.items():
        pd.testing.assert_frame_equal(table, long_[name].loc[table.index])
    assert len(long_["exact_chosen"]) > len(short["exact_chosen"])


def test_cli_backtest_prints_qaoa_beside_exact_after_costs(capsys: pytest.CaptureFixture[str]) -> None:
    from core.cli import main

    code = main(["quantum", "backtest", "--problem", "portfolio", "--symbols", "BTC,ETH,SOL,BNB", "--timeframe", "1h",
                 "--k", "2", "--solver", "qaoa", "--rebalance", "1000", "--start", "0.9", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["simulated"] is True and payload["label"] == "classical simulation of a quantum algorithm"
    assert set(payload["books"]) == {"qaoa_chosen", "exact_chosen", "mean_variance", "equal"}
    for book in payload["books"].values():
        assert book["sharpe_ci_low"] <= book["sharpe"] <= book["sharpe_ci_high"] and "deflated_sharpe" in book
    assert 0.0 <= payload["solver_quality"]["same_selection_as_exact"] <= 1.0 and len(payload["last_selection"]["chosen"]) == 2
