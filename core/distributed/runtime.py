"""Start (or join) Ray safely.

Ray's cluster APIs are unauthenticated (its own docs warn; exposed clusters have been exploited), so a
local Ray started by Lydian binds to 127.0.0.1, has no dashboard and no job-submission endpoint, and
sends no usage statistics. Joining a real cluster by address is the user's explicit choice.
"""

from __future__ import annotations

import os
from typing import Any

from core.errors import LydianError

_SAFE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled", "RAY_DISABLE_DOCKER_CPU_WARNING": "1"}


class RayUnavailable(LydianError):
    """Ray is not installed or the cluster at the given address cannot be reached."""


def ray_address() -> str | None:
    """The cluster to join: ``LYDIAN_RAY_ADDRESS`` (``auto``, ``host:port`` or ``ray://``), else a local Ray."""
    return os.environ.get("LYDIAN_RAY_ADDRESS") or None


def init_ray(address: str | None = None, num_cpus: int | None = None) -> Any:
    """Connect to ``address`` or start a loopback-only local Ray; a no-op when this process already has one.

    Returns the ``ray`` module so callers need not import it at module level (core imports without Ray).
    """
    for key, value in _SAFE_ENV.items():
        os.environ.setdefault(key, value)
    try:
        import ray
    except ImportError as error:  # the pip extra 'scale' is missing
        raise RayUnavailable("Ray is not installed: pip install 'lydian[scale]'") from error
    if ray.is_initialized():
        return ray
    address = address or ray_address()
    try:
        if address:
            ray.init(address=address, log_to_driver=False, include_dashboard=False)
        else:
            ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False,
                     _node_ip_address="127.0.0.1")
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise RayUnavailable(f"cannot start or reach Ray at {address or 'a local node'}: {error}") from error
    return ray


def shutdown_ray() -> None:
    """Stop the Ray this process started or joined (no-op otherwise)."""
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
