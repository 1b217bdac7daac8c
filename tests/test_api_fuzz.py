"""Schemathesis with every check (``--checks all``) over the whole OpenAPI schema finds no failure.

Each operation gets a bounded number of generated requests, valid and invalid, through the ASGI
app with a valid token, so the mutating endpoints are fuzzed past authentication too; the auth checks
(``ignored_auth``) also send them without a token and with a wrong one, which the schema's per-operation
``security`` says to expect. The rate limit is on but raised out of reach, so the limiter runs too. The
job runner is not started: a generated training job stays queued instead of training for minutes.
(Schemathesis' own pytest plugin is not used: 4.32 reads a node attribute pytest 9 no longer has.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.python import asgi

from core.api import jobs
from core.api.app import create_app
from core.api.auth import issue
from core.api.settings import ApiSettings

SECRET = "fuzz-suite-secret-0123456789abcdef-xyz"
load_all_checks()
EVERY_CHECK = list(CHECKS.get_all())  # what `schemathesis run --checks all` runs
EXAMPLES = 20  # per operation and mode: ~21 operations x 2 modes x 20 = ~800 requests, plus the checks' own
PATHS = create_app(ApiSettings("sqlite://")).openapi()["paths"]
OPERATIONS = [(method.upper(), path) for path, item in PATHS.items() for method in item]
# an operation with no input at all (GET /health, public) has no invalid request to generate
CASES = [(method, path, mode) for method, path in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or {"parameters", "requestBody"} & set(PATHS[path][method.lower()])
         or PATHS[path][method.lower()]["security"]]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    patch = pytest.MonkeyPatch()
    patch.setattr(jobs.Runner, "start", lambda self: None)
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    app = create_app(ApiSettings(database_url=f"sqlite:///{database}", jwt_secret=SECRET, rate_limit=1_000_000))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    asgi.shutdown_lifespans()  # schemathesis started the app's lifespan for its first request
    patch.undo()


def test_the_schema_covers_every_endpoint_of_the_issue() -> None:
    paths = {path for _, path in OPERATIONS}
    for short in ("/health", "/models/list", "/models/{model_id}/status", "/models/{model_id}/train",
                  "/models/{model_id}/predict", "/predict/single", "/predict/batch", "/predict/ensemble",
                  "/predict/top100", "/ensemble/weights", "/ensemble/configure", "/ensemble/performance",
                  "/train/schedule", "/train/status/{job_id}", "/train/history"):
        assert "/api/ai" + short in paths
    assert ("GET", "/api/ai/predict/top100") in OPERATIONS and ("POST", "/api/ai/predict/top100") in OPERATIONS


def test_every_check_is_run() -> None:
    names = {check.__name__ for check in EVERY_CHECK}
    assert {"not_a_server_error", "status_code_conformance", "response_schema_conformance", "ignored_auth",
            "negative_data_rejection", "positive_data_acceptance", "missing_required_header",
            "unsupported_method", "response_headers_conformance"} <= names and len(names) >= 14


@pytest.mark.parametrize("method, path, mode", CASES, ids=[f"{m} {p}-{mode.value}" for m, p, mode in CASES])
def test_every_operation_answers_as_declared(api_schema: schemathesis.BaseSchema, method: str, path: str,
                                             mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {issue('fuzzer', SECRET)}"}

    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=EVERY_CHECK)

    fuzz()
