"""The registry audit: recompute everything the log claims from what the database holds.

``registry_audit`` (the command) prints what :func:`registry_audit` finds. It checks that:

* the log's head, its leaves and the credentials agree: leaves at exactly 0..size-1, one per
  credential, every credential in the log;
* each leaf's stored document is what the credential's data makes today
  (``verification.current_document``, so the page and the audit judge alike), hashes to the
  stored digest and carries the platform's valid signature;
* every stored node is the hash of its children (level 0: the leaf hash of the digest) and no
  node is missing or extra, so every root and proof served is the log's;
* every checkpoint's signed note verifies and states the root the nodes give for its size, and
  each checkpoint is consistent with its successor by an RFC 9162 consistency proof;
* every anchor's transaction carries its checkpoint's root (and, once confirmed, its Merkle
  branch reaches the stored block header).

Nodes are read one level at a time in index order, so memory stays O(n) hashes of one level.
"""

from __future__ import annotations

import hashlib

from . import merkle, registry
from .anchoring import anchor_problems
from .document import canonical_bytes, differing_parts
from .models import Anchor, Checkpoint, RegistryHead, RegistryLeaf, RegistryNode
from .signing import NoteError, open_note, signer, verify_signature

#: Rows read per query when walking the leaves.
CHUNK = 500


def _leaf_problems(leaf: RegistryLeaf, key) -> list[str]:
    import json

    from .verification import current_document

    credential = leaf.credential
    name = f"credential {credential.public_id} (leaf {leaf.index})"
    problems = []
    body = leaf.document.encode("utf-8")
    if hashlib.sha256(body).hexdigest() != leaf.digest:
        problems.append(f"{name}: the stored document does not hash to the stored digest")
    if leaf.key_id != key.key_id or not verify_signature(
        key.public_key, bytes.fromhex(leaf.signature), body
    ):
        problems.append(f"{name}: the signature does not verify")
    current = current_document(credential)
    if canonical_bytes(current) != body:
        try:
            parts = differing_parts(json.loads(leaf.document), current)
        except ValueError:
            parts = ["document"]
        problems.append(f"{name}: data changed since issuing: {', '.join(parts) or 'encoding'}")
    return problems


def _level(level: int) -> list[tuple[int, bytes]]:
    return [
        (index, bytes.fromhex(value))
        for index, value in RegistryNode.objects.filter(level=level)
        .order_by("index")
        .values_list("index", "hash")
    ]


def _node_problems(size: int, leaf_hashes: dict[int, bytes]) -> list[str]:
    problems = []
    below: list[bytes] = []
    level = 0
    while True:
        stored = _level(level)
        want = size >> level
        indexes = [index for index, _ in stored]
        if indexes != list(range(want)):
            missing = sorted(set(range(want)) - set(indexes))[:5]
            extra = sorted(set(indexes) - set(range(want)))[:5]
            problems.append(
                f"nodes at level {level}: want indexes 0..{want - 1}"
                + (f", missing {missing}" if missing else "")
                + (f", unexpected {extra}" if extra else "")
            )
        hashes = dict(stored)
        for index, value in stored:
            if level == 0:
                expected = leaf_hashes.get(index)
            elif 2 * index + 1 < len(below):
                expected = merkle.node_hash(below[2 * index], below[2 * index + 1])
            else:
                expected = None
            if expected is not None and expected != value:
                problems.append(
                    f"node {level}/{index}: stored hash is not the hash of its children"
                )
        below = [hashes.get(i, b"") for i in range(want)]
        if want <= 1 and not RegistryNode.objects.filter(level__gt=level).exists():
            return problems
        level += 1


def registry_audit() -> tuple[list[str], dict[str, int]]:
    """Audit the whole registry. Returns (problems, counts); no problems means it checks out."""
    from micromerits.models import Credential

    key = signer()
    problems: list[str] = []
    head = RegistryHead.objects.filter(pk=1).first()
    size = head.size if head else 0
    leaf_count = RegistryLeaf.objects.count()
    if leaf_count != size:
        problems.append(f"the log's head says {size} leaves, the database holds {leaf_count}")
    for credential in Credential.objects.filter(registry_leaf__isnull=True).order_by("pk"):
        problems.append(f"credential {credential.public_id}: not in the registry")

    leaf_hashes: dict[int, bytes] = {}
    expected_index = 0
    last = -1
    while True:
        chunk = list(
            RegistryLeaf.objects.filter(index__gt=last)
            .select_related(
                "credential__version",
                "credential__recipient",
                "credential__issuer",
                "credential__issued_by",
            )
            .order_by("index")[:CHUNK]
        )
        if not chunk:
            break
        for leaf in chunk:
            if leaf.index != expected_index:
                problems.append(f"leaf indexes jump from {expected_index - 1} to {leaf.index}")
                expected_index = leaf.index
            expected_index += 1
            leaf_hashes[leaf.index] = merkle.leaf_hash(bytes.fromhex(leaf.digest))
            problems.extend(_leaf_problems(leaf, key))
        last = chunk[-1].index

    problems.extend(_node_problems(size, leaf_hashes))

    previous: Checkpoint | None = None
    checkpoints = list(Checkpoint.objects.order_by("size"))
    for checkpoint in checkpoints:
        name = f"checkpoint {checkpoint.size}"
        try:
            text = open_note(checkpoint.note, name=key.name, public_key=key.public_key)
        except NoteError as error:
            problems.append(f"{name}: {error}")
            text = None
        if text is not None and text != registry.checkpoint_text(
            checkpoint.size, bytes.fromhex(checkpoint.root)
        ):
            problems.append(f"{name}: the signed note states another size or root")
        if checkpoint.size > size:
            problems.append(f"{name}: larger than the log ({size})")
            continue
        try:
            if registry.root(checkpoint.size).hex() != checkpoint.root:
                problems.append(f"{name}: the log's root at this size is not the checkpoint's root")
        except KeyError:
            problems.append(f"{name}: the log lacks nodes to compute its root")
        if previous is not None and previous.size > 0:
            try:
                merkle.verify_consistency(
                    previous.size,
                    checkpoint.size,
                    registry.consistency_proof(previous.size, checkpoint.size),
                    bytes.fromhex(previous.root),
                    bytes.fromhex(checkpoint.root),
                )
            except (merkle.ProofError, KeyError) as error:
                problems.append(f"{name}: not consistent with checkpoint {previous.size}: {error}")
        previous = checkpoint

    anchors = list(Anchor.objects.select_related("checkpoint").order_by("pk"))
    for anchor in anchors:
        problems.extend(anchor_problems(anchor))
    counts = {"leaves": leaf_count, "checkpoints": len(checkpoints), "anchors": len(anchors)}
    return problems, counts
