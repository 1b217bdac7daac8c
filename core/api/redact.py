"""File system paths out of messages: a response must not reveal the server's layout.

Kept apart from `core.api.errors` (which loads the web stack) so the training worker can use it
while starting fast.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from core.config import PROJECT_ROOT, artifacts_dir, data_dir, home_dir

_SYSTEM_PATH = re.compile(r"(?<![\w/])/(?:home|tmp|usr|var|root|opt|work|etc|srv|mnt|private|Users)/[^\s'\",;)]*")


def _roots() -> list[str]:
    """Folders whose names must not leak; a path inside one is shown relative to it."""
    roots = {PROJECT_ROOT, artifacts_dir(), home_dir(), data_dir(), Path(sys.prefix), Path(tempfile.gettempdir())}
    return sorted((str(r.resolve()) for r in roots), key=len, reverse=True)


def clean(message: object, limit: int = 600) -> str:
    """The message without file system paths (inside known roots: relative; elsewhere: ``<path>``), cut."""
    text = str(message)
    for root in _roots():
        text = text.replace(root + "/", "").replace(root, "<path>")
    text = _SYSTEM_PATH.sub("<path>", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
