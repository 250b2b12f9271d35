"""Registry services: append credentials to the log, prove inclusion and consistency, checkpoint.

Appends happen inside the issuing transaction: the ``RegistryHead`` row is
updated first (``size = size + n``), which on PostgreSQL locks the row and on
SQLite takes the database's write lock, so concurrent issuers in several
processes or app servers get consecutive, gap-free index ranges. Proofs read
only stored perfect-subtree hashes: O(log n) rows, fetched in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from . import merkle
from .document import canonical_bytes, credential_document
from .models import Checkpoint, RegistryHead, RegistryLeaf, RegistryNode
from .signing import signer


def node_positions(ranges: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """The ``(level, index)`` of every stored node the hashes of leaf ranges ``ranges`` are made of."""
    return {
        (size.bit_length() - 1, start // size)
        for begin, end in ranges
        for start, size in merkle.perfect_subtrees(begin, end)
    }


def stored_hashes(keys: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The stored hex hash of each node ``(level, index)`` in ``keys`` the log holds, in one query."""
    if not keys:
        return {}
    # One raw query: building the same OR of ~2·log2(n) terms through the ORM costs several
    # milliseconds per proof in query compilation alone (bench/inclusion_proof.py).
    table = connection.ops.quote_name(RegistryNode._meta.db_table)
    level_col, index_col, hash_col = (
        connection.ops.quote_name(RegistryNode._meta.get_field(name).column)
        for name in ("level", "index", "hash")
    )
    where = " OR ".join([f"({level_col} = %s AND {index_col} = %s)"] * len(keys))
    params = [value for key in sorted(keys) for value in key]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {level_col}, {index_col}, {hash_col} FROM {table} WHERE {where}",  # noqa: S608 - names quoted, values bound
            params,
        )
        return {(level, index): value for level, index, value in cursor.fetchall()}


class DbStore:
    """``merkle.SubtreeStore`` over ``RegistryNode`` rows, prefetched in one query."""

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()):
        self.cache: dict[tuple[int, int], bytes] = {}
        self._fetch(node_positions(ranges))

    def _fetch(self, keys: set[tuple[int, int]]) -> None:
        for key, value in stored_hashes(keys - set(self.cache)).items():
            self.cache[key] = bytes.fromhex(value)

    def subtree_hash(self, start: int, size: int) -> bytes:
        key = (size.bit_length() - 1, start // size)
        if key not in self.cache:
            self._fetch({key})
        return self.cache[key]


def log_size() -> int:
    head = RegistryHead.objects.filter(pk=1).first()
    return head.size if head else 0


def root(size: int) -> bytes:
    store = DbStore([(0, size)] if size else [])
    return merkle.root(store, size)


def inclusion_proof(index: int, size: int) -> list[bytes]:
    ranges = merkle.inclusion_proof_ranges(index, size)
    return merkle.inclusion_proof(DbStore(ranges), index, size)


def consistency_proof(size1: int, size2: int) -> list[bytes]:
    ranges = merkle.consistency_proof_ranges(size1, size2)
    return merkle.consistency_proof(DbStore(ranges), size1, size2)


def _reserve(count: int) -> int:
    """Reserve ``count`` consecutive indexes; return the first. Holds the append lock until commit."""
    RegistryHead.objects.get_or_create(pk=1)
    RegistryHead.objects.filter(pk=1).update(size=F("size") + count)
    return RegistryHead.objects.get(pk=1).size - count


@transaction.atomic
def registry_append(
    credentials: Sequence, personnummer: Sequence[str], verification_urls: Sequence[str]
) -> list[RegistryLeaf]:
    """Append ``credentials`` (with their recipients' numbers and URLs) to the log, in order.

    Must run inside the issuing transaction, so that a credential exists if and
    only if its leaf does.
    """
    key = signer()
    documents = [
        credential_document(c, personnummer=p, verification_url=u)
        for c, p, u in zip(credentials, personnummer, verification_urls, strict=True)
    ]
    first = _reserve(len(documents))
    frontier = DbStore([(0, first)] if first else [])
    batch: dict[tuple[int, int], bytes] = {}

    def lookup(level: int, index: int) -> bytes:
        return batch.get((level, index)) or frontier.subtree_hash(index << level, 1 << level)

    leaves, nodes = [], []
    for offset, (credential, document) in enumerate(zip(credentials, documents, strict=True)):
        body = canonical_bytes(document)
        # The digest is SHA-256 of these same bytes: canonicalise once, not twice.
        digest = hashlib.sha256(body).digest()
        index = first + offset
        for level, idx, value in merkle.new_full_subtrees(lookup, index, merkle.leaf_hash(digest)):
            batch[(level, idx)] = value
            nodes.append(RegistryNode(level=level, index=idx, hash=value.hex()))
        leaves.append(
            RegistryLeaf(
                index=index,
                credential=credential,
                document=body.decode("utf-8"),
                digest=digest.hex(),
                signature=key.sign(body).hex(),
                key_id=key.key_id,
            )
        )
    RegistryLeaf.objects.bulk_create(leaves, batch_size=500)
    RegistryNode.objects.bulk_create(nodes, batch_size=1000)
    return leaves


def checkpoint_text(size: int, root_hash: bytes) -> str:
    """The body of a C2SP checkpoint: origin, size, base64 root, each on its own line."""
    import base64

    return f"{settings.PORTAL_LOG_ORIGIN}\n{size}\n{base64.b64encode(root_hash).decode()}\n"


@transaction.atomic
def checkpoint_make() -> Checkpoint:
    """Sign the log's current state (or return the existing checkpoint of that size)."""
    size = log_size()
    existing = Checkpoint.objects.filter(size=size).first()
    if existing is not None:
        return existing
    root_hash = root(size)
    return Checkpoint.objects.create(
        size=size, root=root_hash.hex(), note=signer().sign_note(checkpoint_text(size, root_hash))
    )


def covering_checkpoint(index: int) -> Checkpoint | None:
    """The earliest checkpoint whose tree contains leaf ``index``."""
    return Checkpoint.objects.filter(size__gt=index).order_by("size").first()
