"""The platform's Ed25519 signing key, and C2SP signed notes for checkpoints.

The private key is a PEM file named by ``PORTAL_SIGNING_KEY_FILE``; without it
(development, tests, the demo) one is generated once into
``<PORTAL_VAR_DIR>/signing-key.pem`` (mode 0600). Production refuses to start
without the variable. Checkpoints are signed notes in the C2SP form
(https://c2sp.org/signed-note): the text, a blank line, then
``— <key name> <base64(key id ‖ signature)>``, where the key id is the first
four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ED25519_TYPE = b"\x01"
EM_DASH = "\u2014"


class NoteError(ValueError):
    """A signed note is malformed or its signature does not verify."""


def key_id(name: str, public_key: bytes) -> bytes:
    """The C2SP key id: the first 4 bytes of SHA-256(name ‖ LF ‖ 0x01 ‖ public key)."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[:4]


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Signer:
    """The platform's key: signs documents and checkpoint notes."""

    private_key: Ed25519PrivateKey
    name: str

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.private_key.public_key())

    @property
    def key_id(self) -> str:
        """Hex key id, as credential documents and exports name the key."""
        return key_id(self.name, self.public_key).hex()

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def sign_note(self, text: str) -> str:
        """The signed note of ``text`` (which must end with a newline)."""
        if not text.endswith("\n"):
            raise ValueError("note text must end with a newline")
        signature = self.sign(text.encode())
        blob = base64.b64encode(key_id(self.name, self.public_key) + signature).decode()
        return f"{text}\n{EM_DASH} {self.name} {blob}\n"


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is ``public_key``'s Ed25519 signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def open_note(note: str, *, name: str, public_key: bytes) -> str:
    """Check a signed note against the key; return its text.

    Raises:
        NoteError: malformed, no signature by that key, or a wrong signature.
    """
    text, separator, signatures = note.partition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise NoteError("not a signed note")
    text += "\n"
    wanted = key_id(name, public_key)
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH or parts[1] != name:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except ValueError as exc:
            raise NoteError("signature is not base64") from exc
        if blob[:4] == wanted and verify_signature(public_key, blob[4:], text.encode()):
            return text
        raise NoteError("signature does not verify")
    raise NoteError(f"no signature by {name}")


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured(f"{path} is not an Ed25519 private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    return key


@lru_cache(maxsize=1)
def signer() -> Signer:
    """The platform's signer, loaded once per process."""
    configured = os.environ.get("PORTAL_SIGNING_KEY_FILE")
    if configured:
        path = Path(configured)
        if not path.exists():
            raise ImproperlyConfigured(f"PORTAL_SIGNING_KEY_FILE {path} does not exist")
    elif getattr(settings, "PORTAL_REQUIRE_ENV_KEYS", False):
        raise ImproperlyConfigured("PORTAL_SIGNING_KEY_FILE must be set in production.")
    else:
        path = Path(settings.VAR_DIR) / "signing-key.pem"
    return Signer(_load_or_create(path), settings.PORTAL_LOG_ORIGIN)
