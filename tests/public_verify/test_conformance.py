"""Conformance data against the parts test_merkle.py and test_bitcoin_block.py do not reach.

Those modules already run every RFC 6962 probe against ``merkle.verify_inclusion`` /
``verify_consistency``, rebuild the reference tree's roots in memory, and check branches on the
valid real blocks. This module adds:

* the reference tree rebuilt by the **database-backed log** (``RegistryNode`` rows written the
  way ``registry_append`` writes them), with every root, inclusion proof and consistency proof
  the registry serves checked against the reference roots;
* the two rules the conformance README adds to the probes, applied to every happy-path probe:
  a leaf hash that is not 32 bytes and a consistency proof from size 0 must be rejected;
* the probes through the offline verifier's own inclusion step (``offline.verify_bundle`` calls
  ``merkle.verify_inclusion`` on hashes decoded from the bundle; here: every rejected inclusion
  probe stays rejected when its hashes go through the bundle's hex decoding);
* every block of the invalid-block file whose fault is in its Merkle tree is refused by
  ``tx_in_block`` for every transaction in it, and the anchoring backend's confirmation path
  reads the same branches from the real blocks as the block module does.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from bitcoin.core import CBlock

from public_verify import merkle, registry
from public_verify.bitcoin_block import TxNotInBlockError, merkle_branch, tx_in_block
from public_verify.models import RegistryHead, RegistryNode
from public_verify.offline import BundleError, _hash_list
from tests.conftest import SHARED_DATA
from tests.public_verify.anchors import real_blocks

RFC6962 = SHARED_DATA / "conformance" / "rfc6962"
INCLUSION = sorted((RFC6962 / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((RFC6962 / "consistency").rglob("*.json"))
HAPPY_INCLUSION = [p for p in INCLUSION if not json.loads(p.read_text())["wantErr"]]
HAPPY_CONSISTENCY = [p for p in CONSISTENCY if not json.loads(p.read_text())["wantErr"]]


def _id(path: Path) -> str:
    return str(path.relative_to(RFC6962))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(values: list[str] | None) -> list[bytes]:
    return [_b64(v) for v in values or []]


def _reference() -> tuple[list[bytes], list[bytes]]:
    data = json.loads((RFC6962 / "rfc6962_reference_tree_8_leaves.json").read_text())
    return (
        [bytes.fromhex(h) for h in data["leafInputsHex"]],
        [bytes.fromhex(h) for h in data["rootHashesHexBySize"]],
    )


@pytest.fixture
def reference_log(db) -> list[bytes]:
    """The reference tree's eight leaves appended to the database log; returns the roots."""
    leaves, roots = _reference()
    written: dict[tuple[int, int], bytes] = {}
    for index, data in enumerate(leaves):
        for level, idx, value in merkle.new_full_subtrees(
            lambda lvl, i: written[(lvl, i)], index, merkle.leaf_hash(data)
        ):
            written[(level, idx)] = value
    RegistryNode.objects.bulk_create(
        RegistryNode(level=level, index=idx, hash=value.hex())
        for (level, idx), value in written.items()
    )
    RegistryHead.objects.create(pk=1, size=len(leaves))
    return roots


def test_the_database_log_reproduces_every_reference_root(reference_log) -> None:
    assert [registry.root(n) for n in range(9)] == reference_log
    assert RegistryNode.objects.count() == 8 + 4 + 2 + 1


def test_the_database_logs_proofs_verify_against_the_reference_roots(reference_log) -> None:
    leaves, roots = _reference()
    for size in range(1, 9):
        for index in range(size):
            merkle.verify_inclusion(
                merkle.leaf_hash(leaves[index]),
                index,
                size,
                registry.inclusion_proof(index, size),
                roots[size],
            )
        for older in range(1, size + 1):
            merkle.verify_consistency(
                older, size, registry.consistency_proof(older, size), roots[older], roots[size]
            )


@pytest.mark.parametrize("path", HAPPY_INCLUSION, ids=_id)
@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_a_happy_inclusion_probe_with_a_leaf_hash_of_another_length_is_rejected(
    path: Path, length: int
) -> None:
    probe = json.loads(path.read_text())
    leaf = (_b64(probe["leafHash"]) * 3)[:length]
    with pytest.raises(merkle.ProofError, match="leaf hash"):
        merkle.verify_inclusion(
            leaf, probe["leafIdx"], probe["treeSize"], _proof(probe["proof"]), _b64(probe["root"])
        )


@pytest.mark.parametrize("path", HAPPY_CONSISTENCY, ids=_id)
def test_a_happy_consistency_probe_moved_to_size_0_is_rejected(path: Path) -> None:
    probe = json.loads(path.read_text())
    with pytest.raises(merkle.ProofError, match="size1 = 0"):
        merkle.verify_consistency(
            0, probe["size2"], _proof(probe["proof"]), _b64(probe["root1"]), _b64(probe["root2"])
        )


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_every_inclusion_probe_gives_its_answer_through_the_bundles_hex_decoding(
    path: Path,
) -> None:
    probe = json.loads(path.read_text())
    hexed = [h.hex() for h in _proof(probe["proof"])]
    try:
        proof = _hash_list("inclusion_proof", hexed)
        merkle.verify_inclusion(
            _b64(probe["leafHash"]), probe["leafIdx"], probe["treeSize"], proof, _b64(probe["root"])
        )
    except (BundleError, merkle.ProofError):
        accepted = False
    else:
        accepted = True
    assert accepted is not probe["wantErr"]


def _invalid_blocks() -> dict[str, bytes]:
    rows = json.loads(
        (
            SHARED_DATA / "conformance" / "bitcoin" / "python-bitcoinlib_checkblock_invalid.json"
        ).read_text()
    )
    return {r[0]: bytes.fromhex(r[4]) for r in rows if isinstance(r, list) and len(r) == 5}


@pytest.mark.parametrize("comment", ["Merkle root mismatch", "Duplicate transaction"])
def test_a_block_whose_merkle_tree_is_wrong_proves_no_transaction(comment: str) -> None:
    raw = _invalid_blocks()[comment]
    block = CBlock.deserialize(raw)
    assert block.vtx
    for tx in block.vtx:
        with pytest.raises(TxNotInBlockError):
            tx_in_block(raw, tx.GetTxid())


def test_every_real_valid_block_gives_the_confirmation_path_its_branches() -> None:
    checked = 0
    for raw in real_blocks().values():
        block = CBlock.deserialize(raw)
        txids = [tx.GetTxid() for tx in block.vtx]
        for index, txid in enumerate(txids):
            assert tx_in_block(raw, txid) == (index, merkle_branch(txids, index))
            checked += 1
    assert checked == 1 + 1 + 3 + 4
