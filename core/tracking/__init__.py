"""Every training, backtest and tuning run, logged to MLflow; nets' training curves to TensorBoard.

Where runs go (all under ``LYDIAN_HOME`` unless told otherwise, never ``./mlruns``):

| setting | default | meaning |
|---|---|---|
| ``LYDIAN_TRACKING`` | ``on`` | ``off`` (or 0/false/no) logs nothing, TensorBoard included |
| ``LYDIAN_MLFLOW_URI`` | ``sqlite:///$LYDIAN_HOME/mlflow/mlflow.db`` | a store or a tracking server (``http://127.0.0.1:5077``) |
| ``LYDIAN_TENSORBOARD`` | ``on`` | ``off`` keeps MLflow but writes no event files |

Artifacts of a local store land in ``$LYDIAN_HOME/mlflow/artifacts``; TensorBoard event files in
``$LYDIAN_HOME/tensorboard/<run name>-<run id>/<model>``.

The API, for every face and for `core.tuning` (one run per tuning session, a nested child per trial)::

    from core.tracking import tracked_run

    with tracked_run("tune", "lightgbm BTC/USDT 1h", {"trials": 50, "searcher": "optuna"}) as run:
        run.metrics({"best_valid_log_loss": 0.69})          # summary numbers, finite floats only
        run.table("trials", trials_frame)                   # long series: one parquet artifact, not metric rows
        with tracked_run("tune", "trial 3", {"lr": 0.01}, parent=run) as trial:
            trial.metrics({"valid_log_loss": 0.70})

Kinds are ``train``, ``backtest`` and ``tune``. A tracking failure (store locked, disk full, server
down) never breaks the work it records: it logs one warning and the run goes on untracked. An
exception from the work itself marks the run FAILED and is raised as usual. Nets fitted inside a
run opened with ``curves=True`` (the default for ``train``) write their per-epoch losses to
TensorBoard through `core.models.trainer`.
"""

from core.tracking.curves import curve_writer
from core.tracking.records import record_leaderboard, record_tuning
from core.tracking.runs import KINDS, Run, tracked_run
from core.tracking.settings import enabled, tensorboard_root, tracking_uri
from core.tracking.store import list_runs, load_table, show_run

__all__ = ["KINDS", "Run", "curve_writer", "enabled", "list_runs", "load_table", "record_leaderboard", "record_tuning",
           "show_run", "tensorboard_root", "tracked_run", "tracking_uri"]
