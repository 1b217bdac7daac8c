"""API security through HTTP: tokens (missing, wrong, expired), rate limit, body size, CORS, clean errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from core.api.app import create_app
from core.api.auth import issue
from core.api.redact import clean
from core.api.service import Predictor
from core.api.settings import ApiSettings, rate_per_minute
from core.cli import main
from core.config import artifacts_dir
from core.errors import LydianError

SECRET = "security-suite-secret-0123456789abcdef"
CONFIGURE = {"symbol": "BTC", "method": "soft_vote"}
SCHEDULE = {"symbols": ["BTC"], "models": ["lightgbm"]}


def _client(tmp_path: Path, **settings: object) -> TestClient:
    values = {"database_url": f"sqlite:///{tmp_path / 'api.db'}", "jwt_secret": SECRET, "rate_limit": 0, **settings}
    return TestClient(create_app(ApiSettings(**values)), raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as test_client:
        yield test_client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


INVALID = 'Bearer error="invalid_token"'
WRITES = (("/ensemble/configure", CONFIGURE), ("/train/schedule", SCHEDULE), ("/models/lightgbm/train", {"symbol": "BTC"}),
          ("/train/cancel/1", None))
OTHER_SECRET = "another-secret-of-enough-length-0123456789"


def _expired(secret: str = SECRET) -> str:
    return jwt.encode({"sub": "bob", "iss": "lydian", "exp": datetime.now(UTC) - timedelta(minutes=1)}, secret,
                      algorithm="HS256")


def test_mutating_endpoints_need_a_valid_token(client: TestClient) -> None:
    cases = {  # body code -> (headers, challenge)
        "unauthorized": ({}, "Bearer"),
        "invalid_token": (_bearer(issue("bob", OTHER_SECRET)), INVALID),
        "token_expired": (_bearer(_expired()), INVALID),
    }
    for code, (headers, challenge) in cases.items():
        for path, body in WRITES:
            answer = client.post(path, json=body, headers=headers)
            assert answer.status_code == 401 and answer.json()["error"] == code, (path, code)
            assert answer.headers["www-authenticate"] == challenge, (path, code)
    basic = client.post("/ensemble/configure", json=CONFIGURE, headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401 and basic.headers["www-authenticate"] == "Bearer"
    assert client.post("/ensemble/configure", json=CONFIGURE, headers=_bearer(issue("bob", SECRET))).status_code == 200


def test_reads_are_public_but_a_bad_token_is_never_ignored(client: TestClient) -> None:
    assert client.get("/models/list").status_code == 200
    assert client.get("/health", headers=_bearer(issue("bob", SECRET))).status_code == 200
    for token in ("garbage", _expired(), issue("bob", OTHER_SECRET)):
        for answer in (client.get("/models/list", headers=_bearer(token)), client.get("/health", headers=_bearer(token)),
                       client.post("/predict/single", json={"symbol": "BTC"}, headers=_bearer(token))):
            assert answer.status_code == 401 and answer.headers["www-authenticate"] == INVALID
            assert answer.json()["error"] in ("invalid_token", "token_expired")


def test_protected_reads_need_a_token(tmp_path: Path) -> None:
    with _client(tmp_path, protect_reads=True) as protected:
        refused = protected.get("/models/list")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert protected.get("/models/list", headers=_bearer(issue("carol", SECRET))).status_code == 200


def test_a_server_without_secret_serves_reads_refuses_writes_and_cannot_check_tokens(tmp_path: Path) -> None:
    with _client(tmp_path, jwt_secret=None) as open_server:
        for path, body in WRITES:
            answer = open_server.post(path, json=body)
            assert answer.status_code == 403 and answer.json()["error"] == "writes_disabled", path
            assert "LYDIAN_JWT_SECRET" in answer.json()["detail"]
        assert open_server.get("/models/list").status_code == 200
        for answer in (open_server.get("/health", headers=_bearer(issue("dan", SECRET))),
                       open_server.post("/ensemble/configure", json=CONFIGURE, headers=_bearer("x.y.z"))):
            assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
            assert answer.headers["www-authenticate"] == INVALID


def test_openapi_declares_which_operations_need_a_token(tmp_path: Path) -> None:
    writes = {("post", "/api/ai/ensemble/configure"), ("post", "/api/ai/train/schedule"),
              ("post", "/api/ai/models/{model_id}/train"), ("post", "/api/ai/train/cancel/{job_id}")}
    for protect in (False, True):
        with _client(tmp_path, protect_reads=protect) as server:
            schema = server.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
        declared = {(m, p): op["security"] for p, item in schema["paths"].items() for m, op in item.items()}
        assert writes < set(declared)
        for key, security in declared.items():
            assert security == ([{"HTTPBearer": []}] if key in writes or protect else []), key


def test_rate_limit_setting_reads_the_forms_people_write(monkeypatch: pytest.MonkeyPatch) -> None:
    for text, per_minute in (("100", 100), ("100/min", 100), ("100/minute", 100), (" 100 / Minute ", 100),
                             ("2/s", 120), ("2/sec", 120), ("2/second", 120), ("6000/h", 100), ("6000/hour", 100),
                             ("0", 0)):
        assert rate_per_minute(text) == per_minute, text
    for text in ("100/day", "lots", "-5", "1.5/min", ""):
        with pytest.raises(LydianError, match=r"is not a rate; write 100 \(a minute\), 100/min, 100/minute, 2/s"):
            rate_per_minute(text)
    with pytest.raises(LydianError, match="below one request a minute"):
        rate_per_minute("30/hour")
    monkeypatch.setenv("LYDIAN_API_RATE_LIMIT", "100/minute")
    assert ApiSettings.from_env().rate_limit == 100
    monkeypatch.delenv("LYDIAN_API_RATE_LIMIT")
    assert ApiSettings.from_env().rate_limit == 100


def test_rate_limit_answers_429_with_retry_after_per_user(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limit=3) as limited:
        assert [limited.get("/models/list").status_code for _ in range(3)] == [200, 200, 200]
        refused = limited.get("/api/ai/models/list")
        assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert limited.get("/models/list", headers=_bearer(issue("dave", SECRET))).status_code == 200  # own bucket
        assert limited.get("/health").status_code == 200  # liveness checks are not counted


def test_body_size_limit_by_length_and_by_stream(client: TestClient) -> None:
    big = client.post("/predict/single", content=b"x" * 70_000)
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large"
    streamed = client.post("/predict/batch", content=(b"x" * 10_000 for _ in range(8)))  # chunked: no Content-Length
    assert streamed.status_code == 413


def test_non_json_bodies_are_refused_where_curl_compatibility_is_not_promised(client: TestClient) -> None:
    answer = client.post("/ensemble/configure", content="symbol=BTC", headers={
        "Content-Type": "application/x-www-form-urlencoded", **_bearer(issue("erin", SECRET))})
    assert answer.status_code == 415 and answer.json()["error"] == "unsupported_media_type"


def test_cors_allow_list(tmp_path: Path) -> None:
    with _client(tmp_path, cors_origins=("https://desk.example",)) as cors:
        allowed = cors.get("/models/list", headers={"Origin": "https://desk.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://desk.example"
        other = cors.get("/models/list", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = cors.options("/predict/single", headers={"Origin": "https://desk.example",
                                                             "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 200


def test_unexpected_errors_show_no_traceback_or_path(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("boom in /work/main/core/secret.py")

    monkeypatch.setattr(Predictor, "predict", explode)
    answer = client.post("/predict/single", json={"symbol": "BTC"})
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal_error", "detail": "internal error; the server log has the details"}


def test_core_messages_lose_their_paths() -> None:
    inside = f"{artifacts_dir()}/BTC-USDT/1h/h1/lightgbm/v0001/meta.json was edited after it was written"
    assert clean(inside) == "BTC-USDT/1h/h1/lightgbm/v0001/meta.json was edited after it was written"
    assert clean("cannot read /etc/shadow") == "cannot read <path>"
    assert clean("train it with POST /api/ai/models/lightgbm/train").endswith("/api/ai/models/lightgbm/train")


def test_token_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LYDIAN_JWT_SECRET", SECRET)
    assert main(["token", "create", "--user", "frank", "--days", "1"]) == 0
    token = capsys.readouterr().out.strip()
    assert jwt.decode(token, SECRET, algorithms=["HS256"], issuer="lydian")["sub"] == "frank"
    monkeypatch.setenv("LYDIAN_JWT_SECRET", "short")
    assert main(["token", "create", "--user", "frank"]) == 2 and "32 bytes" in capsys.readouterr().err
    with pytest.raises(LydianError, match="not a user name"):
        issue("no spaces allowed", SECRET)


def test_long_query_strings_are_refused_quickly_and_clearly(client: TestClient) -> None:
    for path in ("/ensemble/weights?symbol=" + "9" * 20_000, "/train/history?limit=" + "9" * 20_000,
                 "/explain?symbol=BTC&model=lightgbm&at=" + "1" * 20_000, "/patterns?symbol=BTC&last=1e99999"):
        start = time.perf_counter()
        answer = client.get(path)
        assert answer.status_code == 422 and answer.json()["error"] == "validation_error", path[:40]
        assert time.perf_counter() - start < 1.0 and len(answer.text) < 2_000
