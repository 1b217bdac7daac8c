"""The model registry on disk: versioned folders of weights plus a checksummed ``meta.json``.

Layout: ``<root>/<BASE-QUOTE>/<timeframe>/h<horizon>/<model id>/v0001/``. A version folder is
written under a temporary name and renamed into place, so a crash never leaves half a model.
``meta.json`` records what the model is (id, config, feature list and hash, scaler), what it
learnt from (source, range, rows), how well it did on validation, and the SHA-256 of every
file; its own content is sealed by ``meta_checksum``. Loading verifies all of that first and
refuses any mismatch with a message that names the file. No pickle anywhere. With
``LYDIAN_ARTIFACT_KEY`` set, the files are also encrypted with AES-256-GCM (`core.models.encryption`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from core import __version__
from core.config import artifacts_dir
from core.data.symbols import file_token
from core.data.timeframes import check_timeframe
from core.errors import LydianError
from core.lru import Lru
from core.models import encryption, registry
from core.models.base import Model

SCHEMA = 1
META = "meta.json"


class ModelFileError(LydianError):
    """A saved model that is missing, altered or unreadable."""


@dataclass(frozen=True)
class Key:
    """Which market and horizon a model was trained for."""

    symbol: str
    timeframe: str
    horizon: int

    def folder(self, root: Path, model_id: str) -> Path:
        return _folder(root, self, model_id)


@lru_cache(maxsize=4096)
def _folder(root: Path, key: Key, model_id: str) -> Path:
    """Memoised: a forecast of 19 members asks for their folders about 80 times."""
    check_timeframe(key.timeframe)
    return root / file_token(key.symbol) / key.timeframe / f"h{int(key.horizon)}" / model_id


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _seal(meta: dict[str, Any], leave_out: tuple[str, ...] = ("meta_checksum",)) -> str:
    body = {k: v for k, v in meta.items() if k not in leave_out}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _cipher_context(meta: dict[str, Any], name: str) -> bytes:
    """What each encrypted file is bound to: its name and everything meta.json says but the file digests."""
    return f"{name}\n{_seal(meta, leave_out=('meta_checksum', 'files'))}".encode()


@lru_cache(maxsize=8192)
def _file_matches(path: str, expected: str, inode: int, size: int, mtime_ns: int) -> bool:
    """Whether a file's SHA-256 is ``expected``, hashed once per (inode, size, mtime): a live signal checks
    every member's files on each call, and hashing 26 members' weights cost 45 ms of a 100 ms signal.
    Any rewrite, copy or truncation changes the key, so the file is hashed again."""
    return _sha256(Path(path)) == expected


def _check_files(folder: Path, files: dict[str, str]) -> None:
    """Every file meta.json lists is inside its folder, present, and matches its SHA-256."""
    for name, expected in files.items():
        if not _inside(name):
            raise ModelFileError(f"{folder / META} names a file outside its folder ({name!r}); refusing to read it")
        file = folder / name
        try:
            stat = file.stat()
        except OSError:
            stat = None
        if stat is None or not file.is_file():
            raise ModelFileError(f"{file} is missing; the saved model is incomplete")
        if not _file_matches(str(file), expected, stat.st_ino, stat.st_size, stat.st_mtime_ns):
            raise ModelFileError(f"{file} does not match its checksum (corrupt, truncated or altered)")


# meta.json (path, inode, size, mtime, model id) -> (meta checksum, config JSON, files it lists), kept only once
# every check in `ModelStore.meta` passed: an ensemble's meta.json is 600 kB (5 ms to parse), and the live signal
# asks for the identity and configuration of its members on every call.
_VERIFIED: Lru[tuple[str, str, dict[str, str]]] = Lru(512)


def _inside(name: str) -> bool:
    """A stored file name is a plain relative path (members of an ensemble sit in sub-folders)."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and "\\" not in name


class ModelStore:
    """Save, list, load, promote and delete model versions under one root folder."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else artifacts_dir()

    # ---- writing
    def save(self, model: Model, key: Key, data: dict[str, Any], extra: dict[str, Any] | None = None) -> int:
        """Store a fitted model as the next version; returns the version number."""
        folder = key.folder(self.root, model.model_id)
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".staging-"))
        try:
            state = model.save(staging)
            key_bytes = encryption.artifact_key()
            version = max(self.versions(key, model.model_id), default=0) + 1
            meta = {
                "schema": SCHEMA,
                "model_id": model.model_id,
                "family": registry.spec(model.model_id).family,
                "version": version,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "code_version": __version__,
                "symbol": key.symbol,
                "timeframe": key.timeframe,
                "horizon": key.horizon,
                "data": data,
                "config": model.config.to_dict(),
                "state": state,
                "n_parameters": model.n_parameters(),
                "fit_seconds": round(getattr(model, "fit_seconds_", 0.0), 3),
                "device": getattr(model, "device_", "cpu"),
                "valid_metrics": getattr(model, "valid_metrics_", {}),
                "encryption": encryption.ALGORITHM if key_bytes else None,
                **(extra or {}),
            }
            names = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
            if key_bytes:
                for name in names:
                    path = staging / name
                    path.write_bytes(encryption.seal(path.read_bytes(), key_bytes, _cipher_context(meta, name)))
            meta["files"] = {name: _sha256(staging / name) for name in names}
            meta["meta_checksum"] = _seal(meta)
            (staging / META).write_text(json.dumps(meta, indent=1))
            os.replace(staging, folder / f"v{version:04d}")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return version

    def promote(self, key: Key, model_id: str, version: int) -> None:
        """Make ``version`` the one loaded by default (``version=None``), until another is promoted."""
        self.meta(key, model_id, version)  # verifies it exists and is intact
        pointer = key.folder(self.root, model_id) / "promoted.json"
        tmp = pointer.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": version}))
        os.replace(tmp, pointer)

    def delete(self, key: Key, model_id: str, version: int) -> None:
        folder = self._version_folder(key, model_id, version)
        if self.promoted(key, model_id) == version:
            (key.folder(self.root, model_id) / "promoted.json").unlink()
        shutil.rmtree(folder)

    # ---- reading
    def versions(self, key: Key, model_id: str) -> list[int]:
        folder = key.folder(self.root, model_id)
        if not folder.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in folder.iterdir() if p.is_dir() and p.name[1:].isdigit())

    def promoted(self, key: Key, model_id: str, have: list[int] | None = None) -> int | None:
        """The promoted version if it still exists; ``have``: the versions, when the caller just listed them."""
        pointer = key.folder(self.root, model_id) / "promoted.json"
        try:
            version = int(json.loads(pointer.read_text())["version"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return version if version in (have if have is not None else self.versions(key, model_id)) else None

    def resolve(self, key: Key, model_id: str, version: int | str | None = None) -> int:
        """A concrete version: ``"latest"`` is the newest, None the promoted one (else the newest)."""
        registry.spec(model_id)  # unknown ids fail with the list of known ones
        have = self.versions(key, model_id)
        if not have:
            raise ModelFileError(
                f"no trained {model_id} for {key.symbol} {key.timeframe} horizon {key.horizon}; "
                f"train it first (lydian train --symbol {key.symbol} --timeframe {key.timeframe} --models {model_id})"
            )
        if version is None:
            return self.promoted(key, model_id, have) or have[-1]
        if version == "latest":
            return have[-1]
        if int(version) not in have:
            raise ModelFileError(f"{model_id} has no version {version}; versions: {', '.join(map(str, have))}")
        return int(version)

    def identity(self, key: Key, model_id: str, version: int) -> str:
        """The version's meta checksum (tells a reused version number apart); "" for a version that fails its checks."""
        try:
            return self._verified(key, model_id, version)[0]
        except ModelFileError:
            return ""

    def meta(self, key: Key, model_id: str, version: int | str | None = None) -> dict[str, Any]:
        """The verified ``meta.json`` of one version (checksums of meta and every file checked)."""
        folder = self._version_folder(key, model_id, self.resolve(key, model_id, version))
        path = folder / META
        try:
            meta = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"{path} is missing or not valid JSON ({exc})") from None
        if not isinstance(meta, dict) or meta.get("meta_checksum") != _seal(meta):
            raise ModelFileError(f"{path} was edited after it was written (checksum mismatch); retrain the model")
        if meta.get("schema") != SCHEMA or meta.get("model_id") != model_id:
            raise ModelFileError(f"{path} belongs to {meta.get('model_id')!r} schema {meta.get('schema')}, not {model_id}")
        _check_files(folder, meta["files"])
        return meta

    def config(self, key: Key, model_id: str, version: int | str | None = None) -> dict[str, Any]:
        """The ``config`` of a verified version, for callers that ask on every forecast."""
        return json.loads(self._verified(key, model_id, version)[1])

    def _verified(self, key: Key, model_id: str, version: int | str | None) -> tuple[str, str, dict[str, str]]:
        """(meta checksum, config JSON, files) of a verified version: meta.json is parsed and sealed-checked once per
        (inode, size, mtime), the files it lists are re-checked on every call (hashed again only when changed)."""
        folder = self._version_folder(key, model_id, self.resolve(key, model_id, version))
        try:
            stat = (folder / META).stat()
        except OSError:
            stat = None
        signature = None if stat is None else (str(folder / META), stat.st_ino, stat.st_size, stat.st_mtime_ns, model_id)
        known = _VERIFIED.get(signature) if signature else None
        if known is None:
            meta = self.meta(key, model_id, version)  # raises on anything wrong, so only good versions are kept
            known = meta["meta_checksum"], json.dumps(meta["config"]), dict(meta["files"])
            _VERIFIED.put(signature, known)
        else:
            _check_files(folder, known[2])
        return known

    def load(self, key: Key, model_id: str, version: int | str | None = None) -> Model:
        """A fitted model, after every check in `meta` passed."""
        meta = self.meta(key, model_id, version)
        model = registry.create(model_id, **meta["config"])
        folder = self._version_folder(key, model_id, meta["version"])
        if meta.get("encryption"):
            with tempfile.TemporaryDirectory(prefix="lydian-model-") as plain:  # 0700, removed on exit
                self._decrypt(folder, meta, Path(plain))
                model.load(Path(plain), meta["state"])
        else:
            model.load(folder, meta["state"])
        model.meta_ = meta
        return model

    @staticmethod
    def _decrypt(folder: Path, meta: dict[str, Any], into: Path) -> None:
        key_bytes = encryption.artifact_key()
        if key_bytes is None:
            raise ModelFileError(
                f"{folder} is encrypted ({meta['encryption']}); set {encryption.KEY_ENV} to the key it was saved with"
            )
        for name in meta["files"]:
            try:
                plain = encryption.unseal((folder / name).read_bytes(), key_bytes, _cipher_context(meta, name))
            except encryption.TamperedError:
                raise ModelFileError(
                    f"{folder / name} cannot be decrypted: {encryption.KEY_ENV} is not the key it was saved with, "
                    "or the file or its meta.json was altered"
                ) from None
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            (into / name).write_bytes(plain)

    def catalog(self) -> list[dict[str, Any]]:
        """Every stored version with its headline facts (unverified; for listings)."""
        rows = []
        for path in sorted(self.root.glob(f"*/*/h*/*/v*/{META}")):
            try:
                meta = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            rows.append(
                {k: meta.get(k) for k in ("symbol", "timeframe", "horizon", "model_id", "version", "created",
                                          "n_parameters", "fit_seconds", "valid_metrics", "encryption")}
            )
        return rows

    def _version_folder(self, key: Key, model_id: str, version: int) -> Path:
        folder = key.folder(self.root, model_id) / f"v{int(version):04d}"
        if not folder.is_dir():
            raise ModelFileError(f"{model_id} has no version {version} at {folder}")
        return folder
