"""The exported credential: one JSON bundle that proves a credential without the server.

:func:`credential_bundle` gathers what :mod:`public_verify.offline` checks: the canonical
document exactly as it was signed and logged at issuing, its digest and signature, the platform's
public key and key id, the leaf's index and inclusion proof, the signed checkpoint the proof
leads to and, when that checkpoint is anchored in a confirmed Bitcoin transaction, the
transaction with its block header and Merkle branch. The holder downloads it (C2's page) and
``manage.py export_credential`` writes it.

Which checkpoint: the earliest one that covers the leaf *and* has a confirmed anchor, so a bundle
carries an anchor whenever one exists; otherwise the earliest covering checkpoint; and when no
checkpoint covers the leaf yet (issued since the last one), one is made now, so an export always
verifies offline. The bundle holds no personal data: the holder appears only as the salted
commitment inside the document, and the salt is not exported (with it, the few thousand
personnummer of a birth date could be tried against the commitment).
"""

from __future__ import annotations

import json

from . import registry
from .models import Anchor, Checkpoint, RegistryLeaf
from .offline import BUNDLE_TYPE, BUNDLE_VERSION
from .signing import signer


class NotRegistered(LookupError):
    """The credential has no leaf in the registry (cannot happen for issued credentials)."""


def bundle_checkpoint(index: int) -> tuple[Checkpoint, Anchor | None]:
    """The checkpoint a bundle for leaf ``index`` proves against, and its confirmed anchor."""
    anchor = (
        Anchor.objects.filter(checkpoint__size__gt=index, tx_index__isnull=False)
        .exclude(block_header="")
        .select_related("checkpoint")
        .order_by("checkpoint__size", "pk")
        .first()
    )
    if anchor is not None:
        return anchor.checkpoint, anchor
    checkpoint = registry.covering_checkpoint(index)
    if checkpoint is None:
        checkpoint = registry.checkpoint_make()
    return checkpoint, None


def anchor_json(anchor: Anchor) -> dict:
    """The bundle's ``anchor`` object (hex throughout; branch hashes in internal byte order)."""
    return {
        "network": anchor.network,
        "transaction": anchor.raw_tx,
        "block_header": anchor.block_header,
        "tx_index": anchor.tx_index,
        "merkle_branch": list(anchor.merkle_branch),
    }


def credential_bundle(credential) -> dict:
    """The offline-verifiable bundle of ``credential``, as a JSON-ready dict.

    Raises:
        NotRegistered: the credential has no registry leaf.
    """
    leaf = RegistryLeaf.objects.filter(credential=credential).first()
    if leaf is None:
        raise NotRegistered(f"credential {credential.public_id} is not in the registry")
    checkpoint, anchor = bundle_checkpoint(leaf.index)
    key = signer()
    return {
        "type": BUNDLE_TYPE,
        "version": BUNDLE_VERSION,
        "document": json.loads(leaf.document),
        "digest": leaf.digest,
        "signature": leaf.signature,
        "key": {"name": key.name, "id": key.key_id, "public_key": key.public_key.hex()},
        "leaf_index": leaf.index,
        "inclusion_proof": [h.hex() for h in registry.inclusion_proof(leaf.index, checkpoint.size)],
        "checkpoint": checkpoint.note,
        "anchor": anchor_json(anchor) if anchor is not None else None,
    }


def bundle_json(bundle: dict) -> str:
    """The bundle as the file holds it: UTF-8 JSON, indented for people who open it."""
    return json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
