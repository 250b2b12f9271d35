"""The canonical credential document: what the registry records for each credential.

A versioned JSON object holding everything a credential says, with the holder
only as a commitment ``SHA-256(salt ‖ personnummer)`` (a 128-bit random salt
that never leaves the server, so the commitment cannot be brute-forced from
anything public). Canonicalised with RFC 8785; its SHA-256 is the credential's
digest, which is the Merkle log's leaf data. Pure functions: the model
instances only provide values.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC

import rfc8785

#: The document format's name and version. A change of shape means a new version.
DOCUMENT_TYPE = "MikromeritCredential"
DOCUMENT_VERSION = 1


def holder_commitment(salt_hex: str, personnummer: str) -> str:
    """Hex SHA-256 of the salt bytes followed by the normalised 12-digit personnummer."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + personnummer.encode("ascii")).hexdigest()


def holder_matches(salt_hex: str, personnummer: str, commitment: str) -> bool:
    """Constant-time check of a personnummer against a commitment."""
    return hmac.compare_digest(holder_commitment(salt_hex, personnummer), commitment)


def credential_document(credential, *, personnummer: str, verification_url: str) -> dict:
    """The document of ``credential`` (whose recipient has ``personnummer``)."""
    issued_by = credential.issued_by
    return {
        "type": DOCUMENT_TYPE,
        "version": DOCUMENT_VERSION,
        "id": credential.public_id,
        "verification_url": verification_url,
        "micromerit": credential.version.content,
        "issuer": {"name": credential.issuer.name, "orgnr": credential.issuer.orgnr},
        "issued_by": {
            "username": issued_by.get_username(),
            "name": issued_by.get_full_name() or issued_by.get_username(),
        },
        "issued_at": credential.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "issued_on": credential.issued_on.isoformat(),
        "assessment_date": credential.assessment_date.isoformat(),
        "identity_check": credential.identity_check,
        "assessment": credential.assessment,
        "grade": credential.grade,
        "best_before": credential.best_before.isoformat() if credential.best_before else None,
        "comment": credential.comment,
        "holder": {
            "commitment": holder_commitment(credential.holder_salt, personnummer),
            "scheme": "sha256(salt||personnummer)",
        },
    }


def canonical_bytes(document: dict) -> bytes:
    """RFC 8785 canonical JSON of ``document``."""
    return rfc8785.dumps(document)


def document_digest(document: dict) -> bytes:
    """SHA-256 of the canonical document: the credential's digest and the log's leaf data."""
    return hashlib.sha256(canonical_bytes(document)).digest()


def differing_parts(recorded: dict, current: dict, prefix: str = "") -> list[str]:
    """Dotted paths where ``current`` differs from ``recorded`` (for "which part changed")."""
    paths = []
    for key in sorted(set(recorded) | set(current)):
        path = f"{prefix}{key}"
        a, b = recorded.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            paths.extend(differing_parts(a, b, f"{path}."))
        elif a != b or type(a) is not type(b):
            paths.append(path)
    return paths
