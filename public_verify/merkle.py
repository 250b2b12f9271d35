"""RFC 6962 / RFC 9162 Merkle tree hashing, proof generation and proof verification.

This module is the cryptographic core of the credential registry's append-only log. It hashes
leaves and nodes the RFC 6962 way (leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || l || r)),
computes tree heads, builds inclusion and consistency proofs, and verifies them as
transparency-dev/merkle's ``proof/verify.go`` does (plus two stricter rules the conformance
probes allow: proof elements must be 32 bytes, and size1 = 0 is refused). It imports nothing from Django: the
database-backed log plugs in through the small :class:`SubtreeStore` protocol.

Proof generation never looks at individual leaves. Every node an RFC 9162 proof needs is the
Merkle tree hash of a range that splits into *aligned perfect subtrees* (a range of ``2**level``
leaves starting at a multiple of ``2**level``), and at most one proof element is not itself such
a subtree. A store that keeps one hash per complete aligned subtree (written as leaves are
appended, see :func:`new_full_subtrees`) therefore answers any root, inclusion proof or
consistency proof with O(log n) point reads.

How pymerkle (7.0.0) is used, and why proof generation is our own: pymerkle hashes the same way
as RFC 6962 with its defaults (``algorithm="sha256"``, ``disable_security=False`` gives the
0x00/0x01 prefixes), so the tests cross-check our roots and inclusion proofs against its
``InmemoryTree`` and check that its ``verify_inclusion``/``verify_consistency`` accept our roots.
It is not used at run time, for three reasons found by reading its source:

* Its storage model (``BaseMerkleTree``) asks a backend only for leaves: ``_get_leaf`` and
  ``_get_leaves(offset, width)``. Every perfect subtree hash is recomputed by
  ``_get_subroot_uncached``, which reads all ``width`` leaves and rehashes them, so a proof for
  leaf 0 of an n-leaf tree costs O(n) leaf reads and hashes (``SqliteTree._get_leaves`` is a
  ``SELECT ... WHERE id BETWEEN`` over the range). Its LRU subroot cache only helps within one
  process and only for widths >= 128. ``InmemoryTree`` reads subtree hashes off node objects,
  but that requires the whole tree in memory.
* Its proofs are not RFC 9162 proofs: an inclusion proof carries the leaf hash as ``path[0]``
  plus a ``rule`` bit list (``path[1:]`` equals the RFC audit path), and a consistency proof uses
  a different decomposition with a ``subset`` mask (sizes 4 -> 8 give four hashes where RFC 9162
  needs one; equal sizes give a one-hash proof where RFC 9162 gives an empty one). Its verifiers
  only accept such objects, so checking RFC-format proofs from other logs or the
  transparency-dev conformance probes would need its private helpers
  (``pymerkle.core._inclusion_path_layout``), and a consistency proof in RFC shape cannot be
  turned into its format at all.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryStore",
    "ProofError",
    "SubtreeStore",
    "consistency_proof",
    "consistency_proof_ranges",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "leaf_hash",
    "new_full_subtrees",
    "node_hash",
    "perfect_subtrees",
    "range_hash",
    "root",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the empty tree, MTH({}) = SHA-256 of the empty string (RFC 6962 §2.1)."""

# Tree sizes and indices are uint64 in RFC 9162 and transparency-dev/merkle; refusing larger
# values keeps our answers identical to theirs instead of silently accepting bigger numbers.
_MAX_UINT64 = (1 << 64) - 1

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A Merkle proof failed verification; the message says why, in English."""


class SubtreeStore(Protocol):
    """Storage that can return the hash of any complete, aligned, perfect subtree.

    ``subtree_hash(start, size)`` is only ever called with ``size`` a power of two, ``start`` a
    multiple of ``size`` and ``start + size`` not beyond the tree size the caller asked about.
    It must return MTH of leaves ``[start, start + size)``; for ``size == 1`` that is the leaf
    hash itself. Keyed as (level, index) it is ``(log2(size), start // size)``.
    """

    def subtree_hash(self, start: int, size: int) -> bytes:
        """Return the hash of the perfect subtree covering leaves ``[start, start + size)``."""
        ...


# --- Hashing -------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + bytes(left) + bytes(right)).digest()


def _split_point(width: int) -> int:
    """Return the largest power of two strictly less than ``width`` (``width`` >= 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return MTH of the given leaf hashes, computed directly (RFC 6962 §2.1).

    Reference implementation over a list held in memory; O(n) hashing. The empty list gives
    :data:`EMPTY_ROOT`.
    """
    if not hashes:
        return EMPTY_ROOT
    # Iterative form of the recursive definition: fold the perfect subtrees of the binary
    # decomposition of n from right to left, which is exactly what the "largest power of two
    # smaller than n" split produces.
    subroots: list[bytes] = []
    for start, width in perfect_subtrees(0, len(hashes)):
        level = [bytes(h) for h in hashes[start : start + width]]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        subroots.append(level[0])
    return _fold(subroots)


def _fold(subroots: Sequence[bytes]) -> bytes:
    """Combine perfect-subtree roots given left to right into the root of their union."""
    result = subroots[-1]
    for h in reversed(subroots[:-1]):
        result = node_hash(h, result)
    return result


# --- Range decomposition into aligned perfect subtrees -------------------------------------


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Split leaves ``[start, end)`` into aligned perfect subtrees, left to right.

    Returns ``(start, size)`` pairs with ``size`` a power of two and ``start % size == 0``,
    greedily taking the largest such subtree at each position. Any range yields at most
    2*log2(n) pieces; the ranges of RFC 6962 tree nodes yield one piece per set bit of their
    width, largest first, so MTH of such a range is the right-to-left fold of the pieces.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    pieces: list[tuple[int, int]] = []
    while start < end:
        # Largest power of two dividing start (any power for start 0), then shrink to fit.
        size = start & -start if start else 1 << ((end - start).bit_length() - 1)
        while start + size > end:
            size >>= 1
        pieces.append((start, size))
        start += size
    return pieces


def _is_node_range(start: int, end: int) -> bool:
    """Tell whether ``[start, end)`` can be a node of some RFC 6962 tree (aligned start)."""
    width = end - start
    if width <= 0:
        return False
    # A node's start is a multiple of the smallest power of two >= its width.
    span = 1 << (width - 1).bit_length()
    return start % span == 0


def range_hash(store: SubtreeStore, start: int, end: int) -> bytes:
    """Return MTH of leaves ``[start, end)`` for a range that is a node of the tree.

    Reads one stored subtree per set bit of ``end - start``. The range must start at a multiple
    of the smallest power of two not below its width, as every RFC 6962 node range does (the
    proof functions only ask for such ranges).
    """
    if not _is_node_range(start, end):
        raise ValueError(f"[{start}, {end}) is not the leaf range of a tree node")
    return _fold([store.subtree_hash(s, w) for s, w in perfect_subtrees(start, end)])


def root(store: SubtreeStore, tree_size: int) -> bytes:
    """Return the root hash of the first ``tree_size`` leaves held by ``store``."""
    if tree_size < 0:
        raise ValueError("tree size must not be negative")
    if tree_size == 0:
        return EMPTY_ROOT
    return range_hash(store, 0, tree_size)


# --- Proof generation ------------------------------------------------------------------------


def inclusion_proof_ranges(index: int, tree_size: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form the audit path of ``index`` in ``tree_size``.

    Ranges are ``(start, end)``, ordered from the leaf's sibling up to the root's child, as in
    RFC 9162 §2.1.3.1. Only the layout is computed; no hashes are read. A database store can use
    it (with :func:`perfect_subtrees`) to fetch all needed rows in one query.
    """
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is outside a tree of size {tree_size}")
    start, end = 0, tree_size
    siblings: list[tuple[int, int]] = []
    while end - start > 1:
        k = _split_point(end - start)
        if index < start + k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start += k
    siblings.reverse()
    return siblings


def inclusion_proof(store: SubtreeStore, index: int, tree_size: int) -> list[bytes]:
    """Return the RFC 9162 inclusion proof (audit path) for leaf ``index`` in ``tree_size``.

    At most one path element is not a stored perfect subtree (the first right sibling on the
    tree's right border), so this makes at most about 2*log2(n) ``subtree_hash`` calls.
    """
    return [range_hash(store, s, e) for s, e in inclusion_proof_ranges(index, tree_size)]


def consistency_proof_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form the consistency proof from ``size1`` to ``size2``.

    Follows SUBPROOF of RFC 9162 §2.1.4.1 and returns the ranges in proof order. Requires
    ``0 < size1 <= size2``; equal sizes give an empty proof.
    """
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof exists from size {size1} to size {size2}")
    start, end = 0, size2
    # ``complete`` is SUBPROOF's b flag: true while the old tree is exactly a left part of the
    # current range, in which case the verifier already knows its hash (it is root1).
    complete = True
    nodes: list[tuple[int, int]] = []
    while True:
        width, old = end - start, size1 - start
        if old == width:
            if not complete:
                nodes.append((start, end))
            break
        k = _split_point(width)
        if old <= k:
            nodes.append((start + k, end))
            end = start + k
        else:
            nodes.append((start, start + k))
            start += k
            complete = False
    nodes.reverse()
    return nodes


def consistency_proof(store: SubtreeStore, size1: int, size2: int) -> list[bytes]:
    """Return the RFC 9162 consistency proof between tree sizes ``size1`` and ``size2``."""
    return [range_hash(store, s, e) for s, e in consistency_proof_ranges(size1, size2)]


# --- Appending ------------------------------------------------------------------------------


def new_full_subtrees(
    existing_lookup: Callable[[int, int], bytes], index: int, leaf: bytes
) -> list[tuple[int, int, bytes]]:
    """Return the perfect subtrees completed by appending leaf hash ``leaf`` at ``index``.

    Each item is ``(level, idx, hash)``: the subtree covering leaves
    ``[idx * 2**level, (idx + 1) * 2**level)``. The first item is always ``(0, index, leaf)``;
    one more follows for each trailing 1 bit of ``index``, since the new leaf then closes a
    right child whose left sibling is already stored. ``existing_lookup(level, idx)`` must return
    the hash of an earlier, already complete subtree; it is called once per trailing 1 bit, so an
    append costs O(log n). When appending several leaves in one batch, the lookup must also see
    the rows returned for the earlier leaves of the batch.
    """
    if index < 0:
        raise ValueError("leaf index must not be negative")
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf)}")
    current = bytes(leaf)
    level, idx = 0, index
    rows = [(0, index, current)]
    while idx & 1:
        current = node_hash(existing_lookup(level, idx - 1), current)
        level, idx = level + 1, idx >> 1
        rows.append((level, idx, current))
    return rows


class MemoryStore:
    """In-memory append-only log keeping one hash per complete aligned perfect subtree.

    The hashes live in a dict keyed by ``(level, idx)``; the database-backed store mirrors this
    layout with one row per key. Implements :class:`SubtreeStore`.
    """

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def append(self, leaf: bytes) -> int:
        """Append a leaf hash (32 bytes) and return its index (counting from 0)."""
        index = self.size
        rows = new_full_subtrees(lambda lvl, i: self.nodes[(lvl, i)], index, leaf)
        for level, idx, digest in rows:
            self.nodes[(level, idx)] = digest
        self.size = index + 1
        return index

    def append_data(self, data: bytes) -> int:
        """Append a leaf for ``data`` (hashed with :func:`leaf_hash`) and return its index."""
        return self.append(leaf_hash(data))

    def subtree_hash(self, start: int, size: int) -> bytes:
        """Return the stored hash of perfect subtree ``[start, start + size)``."""
        if size <= 0 or size & (size - 1) or start % size or start + size > self.size:
            raise ValueError(
                f"no complete aligned subtree [{start}, {start + size}) in a tree of size {self.size}"
            )
        return self.nodes[(size.bit_length() - 1, start // size)]


# --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2, transparency-dev/merkle semantics) -------


def _check_uint64(name: str, value: int) -> None:
    """Reject non-integers and values outside uint64, the range the reference code accepts."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofError(f"{name} must be an integer")
    if not 0 <= value <= _MAX_UINT64:
        raise ProofError(f"{name} {value} is outside the range 0..2**64-1")


def _check_hash(name: str, value: object) -> bytes:
    """Return ``value`` as bytes, rejecting anything that is not a 32-byte hash."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise ProofError(f"{name} must be bytes")
    value = bytes(value)
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} has {len(value)} bytes, want {HASH_SIZE}")
    return value


def _check_proof(proof: Sequence[bytes]) -> list[bytes]:
    """Return the proof as a list of bytes, rejecting elements that are not 32-byte hashes.

    transparency-dev/merkle hashes whatever it is given; refusing malformed elements up front is
    stricter but cannot accept anything the reference rejects.
    """
    if isinstance(proof, bytes | str):
        raise ProofError("proof must be a sequence of hashes, not a single string")
    return [_check_hash(f"proof element {i}", h) for i, h in enumerate(proof)]


def _same(a: bytes, b: bytes) -> bool:
    """Compare two byte strings in constant time (for roots and hashes of any length)."""
    return hmac.compare_digest(bytes(a), bytes(b))


def _decompose_inclusion_proof(index: int, size: int) -> tuple[int, int]:
    """Split an audit path length into (inner, border) parts, as verify.go's decompInclProof.

    ``inner`` counts levels below the point where the paths to ``index`` and to ``size - 1``
    meet; ``border`` counts left siblings above it, on the tree's right border.
    """
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only the left siblings contribute: this recomputes the hash of the old, smaller tree.
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root implied by an inclusion proof, raising :class:`ProofError` if malformed."""
    _check_uint64("leaf index", index)
    _check_uint64("tree size", tree_size)
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is beyond the tree size {tree_size}")
    leaf = _check_hash("leaf hash", leaf_hash)
    path = _check_proof(proof)
    inner, border = _decompose_inclusion_proof(index, tree_size)
    if len(path) != inner + border:
        raise ProofError(f"inclusion proof has {len(path)} hashes, want {inner + border}")
    result = _chain_inner(leaf, path[:inner], index)
    return _chain_border_right(result, path[inner:])


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` with ``root``.

    Implements RFC 9162 §2.1.3.2 as transparency-dev/merkle's ``VerifyInclusion``. Returns None
    on success and raises :class:`ProofError` on any failure: index not below the size, leaf
    hash or proof element not 32 bytes, proof of the wrong length, or a root mismatch.
    """
    calculated = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    if not isinstance(root, bytes | bytearray | memoryview) or not _same(calculated, root):
        raise ProofError("inclusion proof does not lead to the given root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree of ``size1`` with ``root1``.

    Implements RFC 9162 §2.1.4.2 as transparency-dev/merkle's ``VerifyConsistency``, with the
    conformance probes' stricter rule for size 0: a consistency check from the empty tree proves
    nothing, so ``size1 == 0`` is always rejected. Equal sizes need an empty proof and equal
    roots. Returns None on success, raises :class:`ProofError` otherwise.
    """
    _check_uint64("size1", size1)
    _check_uint64("size2", size2)
    for name, value in (("root1", root1), ("root2", root2)):
        if not isinstance(value, bytes | bytearray | memoryview):
            raise ProofError(f"{name} must be bytes")
    path = _check_proof(proof)
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree (size1 = 0) proves nothing")
    if size1 == size2:
        if path:
            raise ProofError("size1 equals size2, but the proof is not empty")
        if not _same(root1, root2):
            raise ProofError("size1 equals size2, but the roots differ")
        return
    if not path:
        raise ProofError("consistency proof is empty")

    # The proof is a suffix of the inclusion proof of leaf size1 - 1 in the tree of size2,
    # starting at the level of the largest perfect subtree ending at size1 (2**shift leaves).
    inner, border = _decompose_inclusion_proof(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift

    # The proof starts with that subtree's hash, unless size1 is itself 2**shift: then the
    # subtree is the whole old tree and its hash is root1.
    if size1 == 1 << shift:
        seed, start = bytes(root1), 0
    else:
        seed, start = path[0], 1
    if len(path) != start + inner + border:
        raise ProofError(f"consistency proof has {len(path)} hashes, want {start + inner + border}")
    path = path[start:]

    mask = (size1 - 1) >> shift
    hash1 = _chain_inner_right(seed, path[:inner], mask)
    hash1 = _chain_border_right(hash1, path[inner:])
    if not _same(hash1, root1):
        raise ProofError("consistency proof does not lead to root1")
    hash2 = _chain_inner(seed, path[:inner], mask)
    hash2 = _chain_border_right(hash2, path[inner:])
    if not _same(hash2, root2):
        raise ProofError("consistency proof does not lead to root2")
