"""Optional AES-256-GCM encryption at rest of model files, keyed by ``LYDIAN_ARTIFACT_KEY``.

Why: weights can be someone's edge, and an artifacts folder gets copied, synced and backed up.
With the key set, `ModelStore` encrypts every file of a new version; without it, files stay
plain as before. GCM's tag authenticates each file, and its associated data binds the file to
its name and to a digest of the version's ``meta.json`` (config, scaler, feature list), so a
swapped, edited or truncated file, or a meta.json rewritten with a fresh checksum, fails to
decrypt. The plain SHA-256 seal alone cannot catch the latter: anyone can recompute it.

The key is 32 random bytes written as 64 hex digits (``lydian models key`` prints a new one).
"""

from __future__ import annotations

import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import LydianError

KEY_ENV = "LYDIAN_ARTIFACT_KEY"
ALGORITHM = "AES-256-GCM"
NONCE_BYTES = 12  # GCM's standard nonce; random per file, so one key can seal many files


class ArtifactKeyError(LydianError):
    """``LYDIAN_ARTIFACT_KEY`` is malformed, or missing for an encrypted model."""


class TamperedError(LydianError):
    """Ciphertext that does not authenticate: a wrong key, or a file or meta.json that was altered."""


def new_key() -> str:
    """A fresh random key, in the form ``LYDIAN_ARTIFACT_KEY`` expects."""
    return secrets.token_hex(32)


def artifact_key() -> bytes | None:
    """The configured key, or None when encryption at rest is off."""
    text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ArtifactKeyError(
            f"{KEY_ENV} must be 32 bytes written as 64 hex digits (got {len(text)} characters); "
            "make one with: lydian models key"
        )
    return key


def seal(data: bytes, key: bytes, context: bytes) -> bytes:
    """``nonce + ciphertext + tag``; ``context`` is authenticated but not stored."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, data, context)


def unseal(blob: bytes, key: bytes, context: bytes) -> bytes:
    """The plaintext of `seal`, or `TamperedError` if key, blob or context differ in any bit."""
    if len(blob) < NONCE_BYTES + 16:
        raise TamperedError("too short to be an encrypted file")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context)
    except InvalidTag:
        raise TamperedError("authentication failed") from None
