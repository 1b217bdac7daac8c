"""One torch thread while a nets test module runs: import `one_torch_thread` into the module to apply it.

Small nets gain nothing from threads here, and 2 OpenMP threads on a busy 2-core box stall (~100x).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
