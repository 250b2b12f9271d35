"""Verdicts on a credential: is it genuine, is its data complete and unchanged, is it registered.

One function, ``verify``, answers for the public page, the JSON endpoint and
``registry_audit``, so they can never disagree. It re-derives the canonical
document from what the database holds now and compares it with what was
signed and logged at issuing, checks the platform's signature, and proves the
leaf's inclusion in the earliest signed checkpoint that covers it. A leaf not
yet in any checkpoint is "pending", never "tampered".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.utils import timezone

from micromerits.selectors import verification_url

from . import merkle, registry
from .document import credential_document, differing_parts
from .models import Checkpoint, RegistryLeaf
from .signing import NoteError, open_note, signer, verify_signature


class Status:
    GENUINE = "genuine"
    DATA_CHANGED = "data_changed"
    SIGNATURE_INVALID = "signature_invalid"
    PENDING = "pending_checkpoint"
    NOT_REGISTERED = "not_registered"


@dataclass
class Verdict:
    """What the verification found. ``status`` is one of ``Status``'s values."""

    status: str
    changed_parts: list[str] = field(default_factory=list)
    leaf_index: int | None = None
    checkpoint: Checkpoint | None = None
    best_before_passed: bool = False

    @property
    def genuine(self) -> bool:
        """Issued by the named issuer and recorded in the registry (signature and inclusion hold)."""
        return self.status in (Status.GENUINE,)

    @property
    def intact(self) -> bool | None:
        """Everything shown hashes to what was registered (None when that could not be judged)."""
        if self.status in (Status.GENUINE, Status.PENDING):
            return True
        if self.status == Status.DATA_CHANGED:
            return False
        return None


def current_document(credential) -> dict:
    """The document as the database's present data would make it."""
    return credential_document(
        credential,
        personnummer=credential.recipient.personnummer,
        verification_url=verification_url(credential),
    )


def verify(credential, *, today=None) -> Verdict:
    """Judge ``credential`` against the registry."""
    best_before_passed = credential.best_before_passed(today or timezone.localdate())
    leaf = RegistryLeaf.objects.filter(credential=credential).first()
    if leaf is None:
        return Verdict(Status.NOT_REGISTERED, best_before_passed=best_before_passed)
    verdict = Verdict(Status.GENUINE, leaf_index=leaf.index, best_before_passed=best_before_passed)

    key = signer()
    body = leaf.document.encode("utf-8")
    if leaf.key_id != key.key_id or not verify_signature(
        key.public_key, bytes.fromhex(leaf.signature), body
    ):
        verdict.status = Status.SIGNATURE_INVALID
        return verdict

    recorded = json.loads(leaf.document)
    changed = differing_parts(recorded, current_document(credential))
    if hashlib.sha256(body).hexdigest() != leaf.digest:
        changed.append("registry.digest")
    checkpoint = registry.covering_checkpoint(leaf.index)
    if checkpoint is not None:
        verdict.checkpoint = checkpoint
        try:
            open_note(checkpoint.note, name=key.name, public_key=key.public_key)
            merkle.verify_inclusion(
                merkle.leaf_hash(bytes.fromhex(leaf.digest)),
                leaf.index,
                checkpoint.size,
                registry.inclusion_proof(leaf.index, checkpoint.size),
                bytes.fromhex(checkpoint.root),
            )
        # KeyError: the checkpoint names a tree the log holds no nodes for (a forged size).
        except (NoteError, merkle.ProofError, ValueError, KeyError):
            changed.append("registry.inclusion")
    if changed:
        verdict.status = Status.DATA_CHANGED
        verdict.changed_parts = changed
    elif checkpoint is None:
        verdict.status = Status.PENDING
    return verdict
