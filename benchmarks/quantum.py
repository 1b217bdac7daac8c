"""Quantum(-inspired) solvers and kernel classifiers: wall time by size, and how good each answer is.

Prints one JSON object on its last line:
- ``scaling``: per solver, the wall time at n = 4, 6, 8, ... items (k = n // 2, synthetic one-factor returns,
  seed 0) until a run passes 60 s or the solver refuses the size; ``largest_n_within_60s``.
- ``real``: every solver on bundled markets (6 markets k=3, 10 markets k=4; last 720 hourly bars): objective,
  exact optimum, approximation ratio, P(optimum), qubits, wall time.
- ``classifiers``: fit seconds of every quantum forecaster and its classical twin (qsvm/svm_rbf_twin,
  vqc/logistic_twin, qnn/mlp_twin) on the same 1,000 training rows of BTC/USDT 1h, and their direction
  accuracy (Wilson 95 % interval) on the next 2,200 rows (out of sample) beside always-up; --quick: twins only.
- ``qlstm_step``: one forward/backward pass of a minimal hybrid quantum LSTM, the measurement behind
  quantum_lstm being withdrawn as too slow.
Timings come from a shared machine with 2 cores and other jobs running: read them as orders of magnitude.
Run: python benchmarks/quantum.py [--quick]
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

from core.quantum import SOLVERS, SolverError, solve
from core.quantum.problems import portfolio_problem, window_problem

LIMIT_S = 60.0
SIZES = (4, 6, 8, 10, 12, 14, 16, 18, 20, 22)


def synthetic(n: int, seed: int = 0):  # noqa: ANN201
    rng = np.random.default_rng(seed)
    returns = 0.01 * (rng.normal(size=(720, 1)) @ rng.uniform(0.2, 1.0, (1, n)) + rng.normal(size=(720, n)))
    return window_problem([f"A{i}" for i in range(n)], returns + rng.normal(0, 0.002, n), n // 2)


def scaling(sizes: tuple[int, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in SOLVERS:
        times, largest = {}, 0
        for n in sizes:
            try:
                result = solve(synthetic(n), name)
            except SolverError as exc:
                times[str(n)] = f"refused: {exc}"
                break
            times[str(n)] = {"wall_s": result.wall_s, "ratio": result.approximation_ratio, "p_optimal": round(result.p_optimal, 4)}
            if result.wall_s > LIMIT_S:
                break
            largest = n
        out[name] = {"by_n": times, "largest_n_within_60s": largest}
    return out


def real(quick: bool) -> dict[str, object]:
    from core.data import bundled

    symbols = bundled.symbols()
    cases = [(symbols[:6], 3)] if quick else [(symbols[:6], 3), (symbols, 4)]
    out = {}
    for chosen, k in cases:
        problem = portfolio_problem(chosen, "1h", k)
        rows = {}
        for name in SOLVERS:
            try:
                rows[name] = {key: value for key, value in solve(problem, name).to_dict().items()
                              if key in ("selection", "objective", "optimum", "approximation_ratio", "p_optimal", "qubits", "wall_s")}
            except SolverError as exc:
                rows[name] = f"refused: {exc}"
        out[f"{len(chosen)}_markets_k{k}"] = rows
    return out


def classifiers(ids: tuple[str, ...]) -> dict[str, object]:
    from core.data import load_candles
    from core.forecasters import create
    from core.models.dataset import prepare
    from core.stats import wilson_interval

    dataset = prepare(load_candles("BTC/USDT", "1h"), horizon=1)
    x, y = dataset.window(dataset.labelled)
    x, y = x.iloc[-3500:], y.iloc[-3500:]
    out = {}
    for model_id in ids:  # every quantum forecaster and its twin, all on the same 1,000 training rows
        model = create(model_id, max_train=1000)
        start = time.perf_counter()
        model.fit(x[:1000], y[:1000], x[1000:1300], y[1000:1300], seed=0)
        fit_s = time.perf_counter() - start
        p_up = model.predict(x[1300:])["p_up"].to_numpy()
        truth = y["direction"][1300:].to_numpy() > 0.5
        hits = int(np.sum((p_up > 0.5) == truth))
        low, high = wilson_interval(hits, len(truth))
        out[model_id] = {"train_rows": 1000, "fit_s": round(fit_s, 2), "test_rows": int(len(truth)),
                         "accuracy": round(hits / len(truth), 4), "accuracy_ci95": [round(low, 4), round(high, 4)],
                         "always_up_accuracy": round(float(truth.mean()), 4)}
    return out


def qlstm_step(batch: int = 16, lookback: int = 4, qubits: int = 2) -> dict[str, object]:
    """The measurement behind quantum_lstm's 'too slow' (core.quantum.TOO_SLOW): one forward and backward pass
    of a minimal hybrid LSTM whose four gates are EstimatorQNN circuits (TorchConnector, parameter-shift)."""
    import torch
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import real_amplitudes, zz_feature_map
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_machine_learning.connectors import TorchConnector
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
    from qiskit_machine_learning.neural_networks import EstimatorQNN
    from qiskit_machine_learning.primitives import QMLEstimator

    def gate() -> TorchConnector:
        feature_map, ansatz = zz_feature_map(qubits, reps=1), real_amplitudes(qubits, reps=1)
        estimator = QMLEstimator()
        qnn = EstimatorQNN(circuit=QuantumCircuit(qubits).compose(feature_map).compose(ansatz), estimator=estimator,
                           observables=[SparsePauliOp("I" * i + "Z" + "I" * (qubits - i - 1)) for i in range(qubits)],
                           input_params=feature_map.parameters, weight_params=ansatz.parameters,
                           gradient=ParamShiftEstimatorGradient(estimator=estimator), input_gradients=True)
        return TorchConnector(qnn, initial_weights=np.full(qnn.num_weights, 0.1))

    torch.manual_seed(0)
    gates, mix = [gate() for _ in range(4)], torch.nn.Linear(2 + qubits, qubits)
    x, h, c = torch.randn(batch, lookback, 2), torch.zeros(batch, qubits), torch.zeros(batch, qubits)
    start = time.perf_counter()
    for step in range(lookback):
        forget, write, candidate, out = (g(mix(torch.cat([x[:, step], h], 1))) for g in gates)
        c = torch.sigmoid(forget) * c + torch.sigmoid(write) * torch.tanh(candidate)
        h = torch.sigmoid(out) * torch.tanh(c)
    forward_s = time.perf_counter() - start
    h.sum().backward()
    backward_s = time.perf_counter() - start - forward_s
    per_window = (forward_s + backward_s) / batch
    return {"batch": batch, "lookback": lookback, "qubits": qubits, "forward_s": round(forward_s, 2),
            "backward_s": round(backward_s, 2), "s_per_training_window": round(per_window, 3),
            "minutes_per_epoch_on_1000_windows": round(per_window * 1000 / 60, 1),
            "minutes_to_forecast_8760_bars": round(forward_s / batch * 8760 / 60, 1)}


def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    quick = "--quick" in sys.argv
    from core.quantum import MODELS

    ids = ("svm_rbf_twin", "logistic_twin", "mlp_twin") if quick else tuple(MODELS)
    report = {"machine": "shared, loaded, 2 CPU cores; every quantum result is a classical simulation",
              "classifiers": classifiers(ids), "qlstm_step": qlstm_step(batch=4 if quick else 16),
              "real": real(quick), "scaling": scaling(SIZES[:3] if quick else SIZES)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
