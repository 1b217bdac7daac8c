"""Bearer tokens: HS256 JWTs signed with ``LYDIAN_JWT_SECRET``, issued by ``lydian token create``.

A token names its user (``sub``) and expires (``exp``); the issuer is checked so a token of some
other service signed with a reused secret is refused. The rules follow RFC 6750:

- reads answer without a token (unless ``LYDIAN_API_PROTECT_READS`` is set); a valid one names the
  user in the audit log and the rate limit;
- a token that is invalid, expired or cannot be checked (the server has no secret) is never ignored:
  401 with ``WWW-Authenticate: Bearer error="invalid_token"``, on reads and writes alike;
- writes without a token: 401 with a bare ``Bearer`` challenge, or 403 ``writes_disabled`` when the
  server has no secret (no token could ever pass, so asking for one would mislead).

`declare_security` makes the OpenAPI document say the same, operation by operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute

from core.db import now
from core.api.errors import ApiError
from core.errors import LydianError

ALGORITHM = "HS256"
ISSUER = "lydian"
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}  # no token where one is needed (RFC 6750 3.1: no error code)
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
SCHEME = "HTTPBearer"  # the name FastAPI gives `BEARER` in components.securitySchemes
# declares the scheme in OpenAPI (the "Authorize" button of /docs); the header itself is read by `identify`
BEARER = HTTPBearer(auto_error=False, description="a token from 'lydian token create --user NAME'")
Declared = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


@dataclass(frozen=True)
class Identity:
    """Who is asking: a verified user, or nobody (``user`` None), and from where."""

    user: str | None
    client: str
    problem: ApiError | None = None  # a token was sent but is not valid

    @property
    def name(self) -> str:
        return self.user or "anonymous"

    @property
    def bucket(self) -> str:
        return f"user:{self.user}" if self.user else f"ip:{self.client}"


def issue(user: str, secret: str, days: float = 30.0) -> str:
    """A signed token for ``user`` that expires in ``days``."""
    if not _USER.match(user):
        raise LydianError(f"{user!r} is not a user name: letters, digits and _ . @ -, at most 64 characters")
    if days <= 0:
        raise LydianError("a token must be valid for a positive number of days")
    issued = now()
    claims = {"sub": user, "iss": ISSUER, "iat": issued, "exp": issued + timedelta(days=days)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, secret: str) -> str:
    """The user named by a valid token; `ApiError` 401 otherwise, saying why."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iss"]})
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "token_expired", "the bearer token has expired; create a new one "
                       "(lydian token create --user NAME)", _INVALID) from None
    except jwt.PyJWTError:
        raise ApiError(401, "invalid_token", "the bearer token is not valid for this server", _INVALID) from None
    user = claims.get("sub")
    if not isinstance(user, str) or not _USER.match(user):
        raise ApiError(401, "invalid_token", "the bearer token names no valid user", _INVALID)
    return user


def identify(authorization: str | None, client: str, secret: str | None) -> Identity:
    """Read the Authorization header once per request (the rate limiter and the routes share it)."""
    if not authorization:
        return Identity(None, client)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":  # another method (Basic, ...): refused, not silently read as anonymous
        return Identity(None, client, ApiError(401, "unauthorized", "this server only takes "
                                               "'Authorization: Bearer <token>'", _CHALLENGE))
    if not token.strip():
        return Identity(None, client, ApiError(401, "invalid_token", "the bearer token is empty", _INVALID))
    if secret is None:
        return Identity(None, client, ApiError(401, "invalid_token", "this server has no LYDIAN_JWT_SECRET, so it "
                                               "cannot check tokens; send the request without one", _INVALID))
    try:
        return Identity(verify(token.strip(), secret), client)
    except ApiError as problem:
        return Identity(None, client, problem)


def identity_of(request: Request) -> Identity:
    found = getattr(request.state, "identity", None)
    if found is None:  # the middleware did not run (never in the app as built): read the header here
        context = request.app.state.context
        client = request.client.host if request.client else "unknown"
        found = identify(request.headers.get("authorization"), client, context.settings.jwt_secret)
    return found


async def reader(request: Request, _: Declared) -> Identity:
    """Dependency of read endpoints: a token is optional unless reads are protected, but never wrong.
    (Async, like `writer`: no I/O, so it runs on the event loop instead of costing a thread hop.)"""
    identity = identity_of(request)
    if identity.problem is not None:
        raise identity.problem
    if identity.user is None and request.app.state.context.settings.protect_reads:
        raise ApiError(401, "unauthorized", "this server requires a bearer token for every endpoint", _CHALLENGE)
    return identity


async def writer(request: Request, _: Declared) -> Identity:
    """Dependency of mutating endpoints: a valid token is required."""
    identity = identity_of(request)
    if identity.problem is not None:
        raise identity.problem
    if request.app.state.context.settings.jwt_secret is None:
        raise ApiError(403, "writes_disabled", "this server has no LYDIAN_JWT_SECRET, so its mutating endpoints "
                       "are off; set the secret (at least 32 bytes) and restart it")
    if identity.user is None:
        raise ApiError(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <token>' "
                       "(lydian token create --user NAME)", _CHALLENGE)
    return identity


def _needs(dependant: Dependant, guard: object) -> bool:
    return any(d.call is guard or _needs(d, guard) for d in dependant.dependencies)


def declare_security(schema: dict[str, Any], routes: Iterable[BaseRoute], prefix: str,
                     protect_reads: bool) -> dict[str, Any]:
    """Give each operation of ``schema`` the security the server enforces: bearer on writes (and on reads
    when they are protected), ``[]`` (none) on public reads, so generated clients and fuzzers agree with it.
    ``routes`` are the routers' own, mounted at ``prefix`` in the schema."""
    bearer: list[dict[str, list[str]]] = [{SCHEME: []}]
    paths = schema.get("paths", {})
    for route in routes:
        if not isinstance(route, APIRoute) or prefix + route.path not in paths:
            continue
        needed = _needs(route.dependant, writer) or (protect_reads and _needs(route.dependant, reader))
        for method in route.methods:
            operation = paths[prefix + route.path].get(method.lower())
            if operation is not None:
                operation["security"] = bearer if needed else []
    return schema
