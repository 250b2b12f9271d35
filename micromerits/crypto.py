"""Encryption at rest and blind indexes for recipients' personal data.

Personnummer, names and e-mail addresses are stored as Fernet tokens
(AES-128-CBC with HMAC-SHA256: authenticated encryption from the
``cryptography`` package). Keys come from the environment:

* ``PORTAL_ENCRYPTION_KEYS`` — comma-separated Fernet keys, newest first. The
  first encrypts; all decrypt (``MultiFernet``), which is how keys rotate: put
  a new key first, run ``manage.py rotate_encryption_keys``, then drop the old.
* ``PORTAL_BLIND_INDEX_KEY`` — a separate secret for the keyed hash (HMAC-SHA256)
  that lets the portal find a recipient by personnummer without decrypting
  every row. It is not rotated with the encryption keys: changing it means
  recomputing every index (the same command does it when given the old key).

Without the variables (development, tests, the demo) keys are generated once
into ``<PORTAL_VAR_DIR>/keys.json`` (git-ignored, mode 0600). Production
settings refuse to start without them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "blind_index", "decrypt", "encrypt", "keyring", "reset_keyring"]


class Keyring:
    """The encryption keys (newest first) and the blind-index key."""

    def __init__(self, encryption_keys: list[bytes], blind_index_key: bytes):
        if not encryption_keys:
            raise ImproperlyConfigured("at least one encryption key is required")
        self.fernet = MultiFernet([Fernet(key) for key in encryption_keys])
        self.blind_index_key = blind_index_key

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self.fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the newest key."""
        return self.fernet.rotate(token.encode("ascii")).decode("ascii")

    def blind_index(self, value: str) -> str:
        digest = hmac.new(self.blind_index_key, value.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()


def _development_keys(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {
        "encryption_keys": [Fernet.generate_key().decode()],
        "blind_index_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }
    # Created with owner-only permissions from the start, never world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(keys, file)
    return keys


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The process's keyring, read once from the environment (or the development key file)."""
    env_keys = os.environ.get("PORTAL_ENCRYPTION_KEYS")
    env_index = os.environ.get("PORTAL_BLIND_INDEX_KEY")
    if env_keys and env_index:
        encryption = [k.strip() for k in env_keys.split(",") if k.strip()]
        index_key = env_index
    elif getattr(settings, "PORTAL_REQUIRE_ENV_KEYS", False):
        raise ImproperlyConfigured(
            "PORTAL_ENCRYPTION_KEYS and PORTAL_BLIND_INDEX_KEY must be set in production."
        )
    else:
        keys = _development_keys(Path(settings.VAR_DIR) / "keys.json")
        encryption, index_key = keys["encryption_keys"], keys["blind_index_key"]
    return Keyring([k.encode() for k in encryption], base64.urlsafe_b64decode(index_key))


def reset_keyring() -> None:
    """Forget the cached keyring (after the environment changed, e.g. in tests)."""
    keyring.cache_clear()


def encrypt(plaintext: str) -> str:
    return keyring().encrypt(plaintext)


def decrypt(token: str) -> str:
    return keyring().decrypt(token)


def blind_index(value: str) -> str:
    return keyring().blind_index(value)
