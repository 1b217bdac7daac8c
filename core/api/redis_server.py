"""A private Redis for one API server (or a test, or a benchmark): loopback only, no persistence.

``lydian serve --redis local`` starts one before its workers and stops it on exit: it listens on
127.0.0.1 on a free port, keeps nothing on disk (``--save ''``, no AOF) and works in its own folder
under ``LYDIAN_HOME``. Without the ``redis-server`` binary (``make redis`` installs Debian's) it
yields None and the workers keep in-process caches.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def binary() -> str | None:
    return shutil.which("redis-server")


def _ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def local_redis(folder: Path) -> Iterator[str | None]:
    """The URL of a fresh loopback redis-server for the duration of the block (None without the binary)."""
    program = binary()
    if program is None:
        yield None
        return
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with open(folder / "redis.log", "ab") as logfile:
        proc = subprocess.Popen(
            [program, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=logfile, stderr=logfile)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _ready(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (see {folder / 'redis.log'})")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
