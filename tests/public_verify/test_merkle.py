"""Tests for the RFC 6962 / RFC 9162 Merkle log: conformance probes, reference tree, properties.

The probes and the reference tree come from transparency-dev/merkle (see the conformance
README); pymerkle serves as a second, independent implementation to cross-check against.
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest
from pymerkle import InmemoryTree
from pymerkle import verify_consistency as pymerkle_verify_consistency
from pymerkle import verify_inclusion as pymerkle_verify_inclusion

from public_verify.merkle import (
    EMPTY_ROOT,
    MemoryStore,
    ProofError,
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    leaf_hash,
    new_full_subtrees,
    node_hash,
    perfect_subtrees,
    root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "conformance"
RFC6962 = CONFORMANCE / "rfc6962"

INCLUSION_PROBES = sorted((RFC6962 / "inclusion").rglob("*.json"))
CONSISTENCY_PROBES = sorted((RFC6962 / "consistency").rglob("*.json"))

MAX_PROPERTY_SIZE = 64


def _probe_id(path: Path) -> str:
    return str(path.relative_to(RFC6962))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(values: list[str] | None) -> list[bytes]:
    # The Go generator writes a nil slice as JSON null; it means an empty proof.
    return [_b64(v) for v in values or []]


def _store_with(n: int) -> MemoryStore:
    store = MemoryStore()
    for i in range(n):
        store.append_data(i.to_bytes(4, "big"))
    return store


def _leaf_hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _flip_bit(value: bytes, bit: int = 0) -> bytes:
    return bytes([value[0] ^ (1 << bit), *value[1:]])


@pytest.fixture(scope="module")
def store() -> MemoryStore:
    return _store_with(MAX_PROPERTY_SIZE)


# --- Conformance probes -------------------------------------------------------------------


def test_conformance_probes_are_present() -> None:
    assert len(INCLUSION_PROBES) > 50
    assert len(CONSISTENCY_PROBES) > 50


@pytest.mark.parametrize("path", INCLUSION_PROBES, ids=_probe_id)
def test_inclusion_probe_gives_expected_answer(path: Path) -> None:
    probe = json.loads(path.read_text())
    args = (
        _b64(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        _proof(probe["proof"]),
        _b64(probe["root"]),
    )
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        assert verify_inclusion(*args) is None


@pytest.mark.parametrize("path", CONSISTENCY_PROBES, ids=_probe_id)
def test_consistency_probe_gives_expected_answer(path: Path) -> None:
    probe = json.loads(path.read_text())
    args = (
        probe["size1"],
        probe["size2"],
        _proof(probe["proof"]),
        _b64(probe["root1"]),
        _b64(probe["root2"]),
    )
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        assert verify_consistency(*args) is None


# --- Reference tree -----------------------------------------------------------------------


def _reference_tree() -> tuple[list[bytes], list[bytes]]:
    data = json.loads((RFC6962 / "rfc6962_reference_tree_8_leaves.json").read_text())
    leaves = [bytes.fromhex(h) for h in data["leafInputsHex"]]
    roots = [bytes.fromhex(h) for h in data["rootHashesHexBySize"]]
    return leaves, roots


@pytest.mark.parametrize("n", range(9))
def test_reference_root_is_reproduced_from_leaf_hashes(n: int) -> None:
    leaves, roots = _reference_tree()
    assert root_from_leaf_hashes([leaf_hash(d) for d in leaves[:n]]) == roots[n]


@pytest.mark.parametrize("n", range(9))
def test_reference_root_is_reproduced_by_memory_store(n: int) -> None:
    leaves, roots = _reference_tree()
    store = MemoryStore()
    for d in leaves:
        store.append_data(d)
    assert root(store, n) == roots[n]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root(MemoryStore(), 0) == EMPTY_ROOT


def test_leaf_and_node_hashes_use_domain_prefixes() -> None:
    import hashlib

    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()


# --- Store layout ---------------------------------------------------------------------------


def test_append_returns_consecutive_indices() -> None:
    store = MemoryStore()
    assert [store.append_data(bytes([i])) for i in range(5)] == [0, 1, 2, 3, 4]
    assert len(store) == 5


def test_memory_store_keeps_one_hash_per_complete_aligned_subtree() -> None:
    store = _store_with(13)
    expected = {(lvl, i) for lvl in range(4) for i in range(13 >> lvl)}
    assert set(store.nodes) == expected
    hashes = _leaf_hashes(13)
    for (lvl, i), digest in store.nodes.items():
        width = 1 << lvl
        assert digest == root_from_leaf_hashes(hashes[i * width : (i + 1) * width])


def test_new_full_subtrees_adds_one_row_per_trailing_one_bit() -> None:
    store = _store_with(7)

    def lookup(level: int, idx: int) -> bytes:
        return store.nodes[(level, idx)]

    rows = new_full_subtrees(lookup, 7, leaf_hash(b"eighth"))
    assert [(lvl, i) for lvl, i, _ in rows] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert len(new_full_subtrees(lookup, 8, leaf_hash(b"ninth"))) == 1


def test_new_full_subtrees_rejects_a_leaf_hash_of_wrong_length() -> None:
    with pytest.raises(ValueError):
        new_full_subtrees(lambda lvl, i: b"", 0, b"short")


def test_store_refuses_subtrees_that_are_incomplete_or_unaligned() -> None:
    store = _store_with(6)
    for start, size in [(4, 4), (2, 4), (0, 3), (6, 1)]:
        with pytest.raises(ValueError):
            store.subtree_hash(start, size)


@pytest.mark.parametrize("start,end", [(0, 1), (0, 13), (5, 64), (3, 4), (17, 100), (64, 200)])
def test_perfect_subtrees_cover_a_range_with_aligned_powers_of_two(start: int, end: int) -> None:
    pieces = perfect_subtrees(start, end)
    position = start
    for piece_start, size in pieces:
        assert piece_start == position
        assert size & (size - 1) == 0 and piece_start % size == 0
        position += size
    assert position == end
    assert len(pieces) <= 2 * max(end.bit_length(), 1)


class _CountingStore:
    """Wraps a store and records every subtree it is asked for."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner
        self.calls: list[tuple[int, int]] = []

    def subtree_hash(self, start: int, size: int) -> bytes:
        self.calls.append((start, size))
        return self.inner.subtree_hash(start, size)


def test_proofs_read_only_logarithmically_many_aligned_subtrees() -> None:
    n = 1000
    counting = _CountingStore(_store_with(n))
    limit = 2 * n.bit_length()
    for index in (0, 1, 500, 998, 999):
        counting.calls.clear()
        inclusion_proof(counting, index, n)
        assert len(counting.calls) <= limit
    for size1 in (1, 3, 512, 700, 999):
        counting.calls.clear()
        consistency_proof(counting, size1, n)
        assert len(counting.calls) <= limit
    counting.calls.clear()
    root(counting, n)
    assert len(counting.calls) == n.bit_count()
    assert all(start % size == 0 for start, size in counting.calls)


# --- Properties -------------------------------------------------------------------------------


def test_inclusion_proofs_verify_for_every_index_of_every_size(
    store: MemoryStore,
) -> None:
    hashes = _leaf_hashes(MAX_PROPERTY_SIZE)
    for size in range(1, MAX_PROPERTY_SIZE + 1):
        tree_root = root(store, size)
        assert tree_root == root_from_leaf_hashes(hashes[:size])
        for index in range(size):
            proof = inclusion_proof(store, index, size)
            assert verify_inclusion(hashes[index], index, size, proof, tree_root) is None


def test_consistency_proofs_verify_for_every_pair_of_sizes(store: MemoryStore) -> None:
    roots = [root(store, size) for size in range(MAX_PROPERTY_SIZE + 1)]
    for size2 in range(1, MAX_PROPERTY_SIZE + 1):
        for size1 in range(1, size2 + 1):
            proof = consistency_proof(store, size1, size2)
            assert verify_consistency(size1, size2, proof, roots[size1], roots[size2]) is None


def test_tampered_inclusion_proofs_are_rejected(store: MemoryStore) -> None:
    hashes = _leaf_hashes(MAX_PROPERTY_SIZE)
    for size in range(2, MAX_PROPERTY_SIZE + 1):
        tree_root = root(store, size)
        for index in range(size):
            proof = inclusion_proof(store, index, size)
            leaf = hashes[index]
            bad_cases = [
                (leaf, index, size, proof[:-1], tree_root),
                (leaf, index, size, [*proof, leaf], tree_root),
                (_flip_bit(leaf), index, size, proof, tree_root),
                (leaf, index, size, proof, _flip_bit(tree_root)),
                (leaf, index ^ 1, size, proof, tree_root),
                (leaf, index, size * 2, proof, tree_root),
            ]
            bad_cases += [
                (
                    leaf,
                    index,
                    size,
                    [*proof[:i], _flip_bit(proof[i], 7), *proof[i + 1 :]],
                    tree_root,
                )
                for i in range(len(proof))
            ]
            for args in bad_cases:
                with pytest.raises(ProofError):
                    verify_inclusion(*args)


def test_tampered_consistency_proofs_are_rejected(store: MemoryStore) -> None:
    roots = [root(store, size) for size in range(MAX_PROPERTY_SIZE + 1)]
    for size2 in range(2, MAX_PROPERTY_SIZE + 1):
        for size1 in range(1, size2):
            proof = consistency_proof(store, size1, size2)
            r1, r2 = roots[size1], roots[size2]
            bad_cases = [
                (size1, size2, proof[:-1], r1, r2),
                (size1, size2, [*proof, r1], r1, r2),
                (size1, size2, proof, _flip_bit(r1), r2),
                (size1, size2, proof, r1, _flip_bit(r2)),
                (size1, size2, proof, r2, r1),
                (size2, size1, proof, r2, r1),
            ]
            bad_cases += [
                (
                    size1,
                    size2,
                    [*proof[:i], _flip_bit(proof[i], 3), *proof[i + 1 :]],
                    r1,
                    r2,
                )
                for i in range(len(proof))
            ]
            for args in bad_cases:
                with pytest.raises(ProofError):
                    verify_consistency(*args)


def test_consistency_proof_from_a_power_of_two_omits_the_old_root(
    store: MemoryStore,
) -> None:
    # RFC 9162: the old tree's root is known to the verifier, so 4 -> 8 needs one hash only.
    assert consistency_proof_ranges(4, 8) == [(4, 8)]
    assert consistency_proof(store, 4, 8) == [store.subtree_hash(4, 4)]
    assert consistency_proof_ranges(8, 8) == []


@pytest.mark.parametrize(
    "args",
    [
        (b"\x00" * 31, 0, 1, [], b"\x00" * 31),
        (b"\x00" * 33, 0, 1, [], b"\x00" * 33),
        ("0" * 32, 0, 1, [], "0" * 32),
        (b"\x00" * 32, 0, 2, [b"\x00" * 31], b"\x00" * 32),
        (b"\x00" * 32, -1, 2, [b"\x00" * 32], b"\x00" * 32),
        (b"\x00" * 32, 0, 1 << 64, [b"\x00" * 32] * 64, b"\x00" * 32),
        (b"\x00" * 32, 0, 0, [], EMPTY_ROOT),
    ],
    ids=[
        "short-leaf",
        "long-leaf",
        "text-leaf",
        "short-proof-element",
        "negative-index",
        "size-beyond-uint64",
        "empty-tree",
    ],
)
def test_malformed_inclusion_input_is_rejected(args: tuple) -> None:
    with pytest.raises(ProofError):
        verify_inclusion(*args)


def test_consistency_proof_with_a_malformed_element_is_rejected(
    store: MemoryStore,
) -> None:
    proof = consistency_proof(store, 3, 7)
    proof[0] = proof[0] + b"\x00"
    with pytest.raises(ProofError, match="32"):
        verify_consistency(3, 7, proof, root(store, 3), root(store, 7))


def test_proof_generation_refuses_impossible_requests(store: MemoryStore) -> None:
    for index, size in [(0, 0), (5, 5), (-1, 3)]:
        with pytest.raises(ValueError):
            inclusion_proof(store, index, size)
    for size1, size2 in [(0, 5), (6, 5), (-1, 2)]:
        with pytest.raises(ValueError):
            consistency_proof(store, size1, size2)


# --- Cross-check with pymerkle ------------------------------------------------------------

PYMERKLE_MAX_SIZE = 200


@pytest.fixture(scope="module")
def pymerkle_pair() -> tuple[InmemoryTree, MemoryStore]:
    entries = [b"credential-%d" % i for i in range(PYMERKLE_MAX_SIZE)]
    # pymerkle's defaults (sha256, security prefixes on) are RFC 6962 hashing.
    tree = InmemoryTree.init_from_entries(entries, algorithm="sha256")
    ours = MemoryStore()
    for entry in entries:
        ours.append_data(entry)
    return tree, ours


def test_pymerkle_defaults_hash_leaves_like_rfc_6962() -> None:
    tree = InmemoryTree()
    tree.append_entry(b"abc")
    assert tree.get_leaf(1) == leaf_hash(b"abc")


def test_roots_match_pymerkle_for_every_size_up_to_200(
    pymerkle_pair: tuple[InmemoryTree, MemoryStore],
) -> None:
    tree, ours = pymerkle_pair
    for size in range(PYMERKLE_MAX_SIZE + 1):
        assert root(ours, size) == tree.get_root(size)


def test_inclusion_proofs_match_pymerkle_audit_paths_for_random_sizes(
    pymerkle_pair: tuple[InmemoryTree, MemoryStore],
) -> None:
    tree, ours = pymerkle_pair
    rng = random.Random(6962)
    for _ in range(400):
        size = rng.randint(1, PYMERKLE_MAX_SIZE)
        index = rng.randrange(size)
        theirs = tree.prove_inclusion(index + 1, size)  # pymerkle counts leaves from one
        proof = inclusion_proof(ours, index, size)
        # pymerkle's path is the leaf hash followed by the RFC 9162 audit path.
        assert theirs.path[1:] == proof
        leaf = ours.subtree_hash(index, 1)
        tree_root = root(ours, size)
        pymerkle_verify_inclusion(leaf, tree_root, theirs, index=index + 1, size=size)
        verify_inclusion(leaf, index, size, proof, tree_root)


def test_consistency_roots_agree_with_pymerkle_for_random_sizes(
    pymerkle_pair: tuple[InmemoryTree, MemoryStore],
) -> None:
    tree, ours = pymerkle_pair
    rng = random.Random(9162)
    for _ in range(400):
        size2 = rng.randint(1, PYMERKLE_MAX_SIZE)
        size1 = rng.randint(1, size2)
        r1, r2 = root(ours, size1), root(ours, size2)
        # pymerkle's consistency proofs have their own shape, so compare through the roots:
        # its proof must accept our two roots, and ours must verify too.
        theirs = tree.prove_consistency(size1, size2)
        pymerkle_verify_consistency(r1, r2, theirs, prior_size=size1, later_size=size2)
        verify_consistency(size1, size2, consistency_proof(ours, size1, size2), r1, r2)
