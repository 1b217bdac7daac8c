"""A fitted library model's state as JSON plus one safetensors file: no pickle.

statsforecast keeps a fitted model as a nested dict of numbers, strings, tuples and numpy arrays.
`split` turns such a tree into a JSON-able tree where every array is replaced by a reference into a
flat dict of arrays (written with safetensors), and `merge` rebuilds it. Anything else (an object,
a function) is refused at save time rather than silently lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from core.errors import DataError

ARRAYS = "state.safetensors"
REF = "__array__"
TUPLE = "__tuple__"


def split(tree: Any, arrays: dict[str, np.ndarray], path: str = "s") -> Any:
    """``tree`` with arrays moved into ``arrays`` (keyed by their path) and numpy scalars made plain."""
    if isinstance(tree, dict):
        return {str(k): split(v, arrays, f"{path}.{k}") for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        items = [split(v, arrays, f"{path}[{i}]") for i, v in enumerate(tree)]
        return {TUPLE: items} if isinstance(tree, tuple) else items
    if isinstance(tree, np.ndarray):
        arrays[path] = np.ascontiguousarray(tree)
        return {REF: path}
    if isinstance(tree, np.generic):
        return tree.item()
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    raise TypeError(f"cannot store a {type(tree).__name__} at {path} without pickle")


def merge(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of `split`."""
    if isinstance(tree, dict):
        if REF in tree:
            return arrays[tree[REF]]
        if TUPLE in tree:
            return tuple(merge(v, arrays) for v in tree[TUPLE])
        return {k: merge(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [merge(v, arrays) for v in tree]
    return tree


def write(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    save_file(arrays, folder / ARRAYS)


def read(folder: Path, model_id: str) -> dict[str, np.ndarray]:
    try:
        return load_file(folder / ARRAYS)
    except (OSError, SafetensorError, ValueError) as exc:
        raise DataError(f"{model_id}: the stored state cannot be read ({exc})") from None
