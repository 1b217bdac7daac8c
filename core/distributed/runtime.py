"""Start (or join) Ray safely.

Ray's cluster APIs are unauthenticated unless token authentication is on (its own docs warn; exposed
clusters have been exploited), so a local Ray started by Lydian listens on 127.0.0.1 only, has no
dashboard and no job-submission endpoint, and sends no usage statistics. Ray 2.60 turns a requested
node address of 127.0.0.1 into the machine's outward address (`services.resolve_ip_for_localhost`),
so ``_node_ip_address`` alone binds every server to that interface; what keeps it on loopback is
Ray's single-machine switch ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (`ray_constants.ENABLE_RAY_CLUSTER`),
set while the local node starts. Joining a real cluster by address is the user's explicit choice.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.errors import LydianError

_SAFE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_DOCKER_CPU_WARNING": "1"}
# loopback only, so no token (it would be written to ~/.ray); workers at the driver's priority, not Ray's nice 15,
# which on a busy machine gives them less CPU than the same jobs get in a serial run
_LOCAL_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_worker_niceness": "0"}
_SINGLE_MACHINE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")  # a cluster there lives on this machine only
_CONNECT_SECONDS = 5.0


class RayUnavailable(LydianError):
    """Ray is not installed or the cluster at the given address cannot be reached."""


def ray_address() -> str | None:
    """The cluster to join: ``LYDIAN_RAY_ADDRESS`` (``auto``, ``host:port`` or ``ray://``), else a local Ray."""
    return os.environ.get("LYDIAN_RAY_ADDRESS") or None


def ray_running() -> bool:
    """Whether this process has already started or joined a Ray (without importing Ray)."""
    ray = sys.modules.get("ray")
    return bool(ray is not None and ray.is_initialized())


def init_ray(address: str | None = None, num_cpus: int | None = None) -> Any:
    """Connect to ``address`` or start a loopback-only local Ray; a no-op when this process already has one.

    Returns the ``ray`` module so callers need not import it at module level (core imports without Ray).
    """
    address = address or ray_address()
    for key, value in (_SAFE_ENV | ({} if address else _LOCAL_ENV)).items():
        os.environ.setdefault(key, value)
    host = _check_reachable(address) if address else "127.0.0.1"
    with loopback_only(host in _LOOPBACK):
        try:
            import ray
        except ImportError as error:  # the pip extra 'scale' is missing
            raise RayUnavailable("Ray is not installed: pip install 'lydian[scale]'") from error
        if ray.is_initialized():
            return ray
        try:
            if address:
                ray.init(address=address, log_to_driver=False, include_dashboard=False)
            else:
                ray.init(address="local", num_cpus=num_cpus or os.cpu_count(), include_dashboard=False,
                         log_to_driver=False, _node_ip_address="127.0.0.1")  # "local": never join a cluster found
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise RayUnavailable(f"cannot start or reach Ray at {address or 'a local node'}: "
                                 f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from error
    return ray


def _check_reachable(address: str) -> str | None:
    """The host of ``host:port`` / ``ray://host:port`` once its port answers (Ray itself retries for minutes)."""
    if address == "auto":
        return None
    host, _, port = address.removeprefix("ray://").rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise RayUnavailable(f"Ray address {address!r} is not host:port (for example 10.0.0.5:6379) or 'auto'")
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_SECONDS).close()
    except OSError as error:
        raise RayUnavailable(
            f"cannot reach Ray at {address}: {error.strerror or error}; start the head with "
            f"'ray start --head --port {port}' there, or check the address and the firewall"
        ) from None
    return host


@contextmanager
def loopback_only(local: bool = True) -> Iterator[None]:
    """Meanwhile, Ray's single-machine mode: nodes started (or joined on loopback) keep 127.0.0.1.

    Used while a local node starts, and by the tests' two-node cluster; restored afterwards so that this
    process can still join a real cluster later.
    """
    if not local:
        yield
        return
    saved = os.environ.get(_SINGLE_MACHINE)
    os.environ[_SINGLE_MACHINE] = "0"
    constants = sys.modules.get("ray._private.ray_constants")  # read once at import: set it if Ray is loaded
    was = getattr(constants, "ENABLE_RAY_CLUSTER", None)
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(_SINGLE_MACHINE, None)
        else:
            os.environ[_SINGLE_MACHINE] = saved
        constants = sys.modules.get("ray._private.ray_constants")
        if constants is not None:
            constants.ENABLE_RAY_CLUSTER = was if was is not None else saved is None or saved.lower() in ("1", "true")


def shutdown_ray() -> None:
    """Stop the Ray this process started or joined (no-op otherwise)."""
    if ray_running():
        sys.modules["ray"].shutdown()
