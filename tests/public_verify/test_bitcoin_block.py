"""Tests for anchor scripts and Bitcoin block Merkle branches, on real main-network blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bitcoin.core import CBlock, CMutableTransaction, CMutableTxOut, Hash, b2lx
from bitcoin.core.script import OP_CHECKSIG, OP_DUP, OP_RETURN, CScript

from public_verify.bitcoin_block import (
    ANCHOR_SCRIPT_SIZE,
    TxNotInBlockError,
    anchor_root_in_tx,
    build_anchor_script,
    merkle_branch,
    merkle_root,
    op_return_payload,
    parse_anchor_script,
    tx_in_block,
    txid_from_hex,
    txid_to_hex,
    verify_merkle_branch,
)

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "conformance"
BITCOIN = CONFORMANCE / "bitcoin"

# Block 100000, from the conformance README (displayed, big-endian hex).
BLOCK_100000_TXIDS = [
    "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
    "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
    "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
    "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
]
BLOCK_100000_ROOT = "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"

ROOT = bytes(range(32))


def _blocks(name: str) -> list[tuple[str, bytes]]:
    rows = json.loads((BITCOIN / name).read_text())
    # Rows are [comment, header only, check proof of work, time, block hex]; lone strings are
    # comments in the original test file.
    return [
        (row[0], bytes.fromhex(row[4])) for row in rows if isinstance(row, list) and len(row) == 5
    ]


VALID_BLOCKS = _blocks("python-bitcoinlib_checkblock_valid.json")
INVALID_BLOCKS = dict(_blocks("python-bitcoinlib_checkblock_invalid.json"))


def _block(comment: str) -> CBlock:
    return CBlock.deserialize(dict(VALID_BLOCKS)[comment])


def test_valid_block_file_holds_the_expected_blocks() -> None:
    counts = {comment: len(CBlock.deserialize(raw).vtx) for comment, raw in VALID_BLOCKS}
    assert counts["Block 99960, three transactions"] == 3
    assert counts["Block 99993, four transactions"] == 4
    assert counts["Genesis block"] == 1


@pytest.mark.parametrize("comment,raw", VALID_BLOCKS, ids=[c for c, _ in VALID_BLOCKS])
def test_every_transaction_of_a_real_block_has_a_branch_to_the_header_root(
    comment: str, raw: bytes
) -> None:
    block = CBlock.deserialize(raw)
    txids = [tx.GetTxid() for tx in block.vtx]
    assert merkle_root(txids) == block.hashMerkleRoot
    for index, txid in enumerate(txids):
        branch = merkle_branch(txids, index)
        assert verify_merkle_branch(txid, index, branch, block.hashMerkleRoot)
        assert tx_in_block(raw, txid) == (index, branch)


def test_branches_agree_with_python_bitcoinlib_tree() -> None:
    block = _block("Block 99960, three transactions")
    txids = [tx.GetTxid() for tx in block.vtx]
    tree = CBlock.build_merkle_tree_from_txids(txids)
    # Levels of 3, 2 and 1 hashes, deepest first.
    assert merkle_branch(txids, 0) == [tree[1], tree[4]]
    assert merkle_branch(txids, 2) == [tree[2], tree[3]]
    assert tree[-1] == block.hashMerkleRoot


def test_odd_level_pairs_the_last_transaction_with_itself() -> None:
    block = _block("Block 99960, three transactions")
    txids = [tx.GetTxid() for tx in block.vtx]
    branch = merkle_branch(txids, 2)
    assert branch[0] == txids[2]
    assert Hash(branch[1] + Hash(txids[2] + txids[2])) == block.hashMerkleRoot
    # CVE-2012-2459: repeating the last txid gives the same root.
    assert merkle_root([*txids, txids[2]]) == merkle_root(txids)


def test_single_transaction_block_has_an_empty_branch_and_the_txid_as_root() -> None:
    block = _block("Genesis block")
    txid = block.vtx[0].GetTxid()
    assert merkle_branch([txid], 0) == []
    assert block.hashMerkleRoot == txid
    assert verify_merkle_branch(txid, 0, [], block.hashMerkleRoot)
    assert not verify_merkle_branch(txid, 1, [], block.hashMerkleRoot)


def test_wrong_index_or_txid_does_not_reach_the_root() -> None:
    block = _block("Block 99993, four transactions")
    txids = [tx.GetTxid() for tx in block.vtx]
    merkle = block.hashMerkleRoot
    branch = merkle_branch(txids, 1)
    assert verify_merkle_branch(txids[1], 1, branch, merkle)
    assert not verify_merkle_branch(txids[1], 0, branch, merkle)
    assert not verify_merkle_branch(txids[1], 5, branch, merkle)
    assert not verify_merkle_branch(txids[1], -1, branch, merkle)
    assert not verify_merkle_branch(txids[2], 1, branch, merkle)
    assert not verify_merkle_branch(txids[1][::-1], 1, branch, merkle)
    assert not verify_merkle_branch(txids[1], 1, branch[:1], merkle)
    assert not verify_merkle_branch(txids[1], 1, branch, merkle[::-1])


def test_transaction_absent_from_a_block_is_reported() -> None:
    raw = dict(VALID_BLOCKS)["Block 99993, four transactions"]
    other = _block("Block 99960, three transactions").vtx[0].GetTxid()
    with pytest.raises(TxNotInBlockError, match="not in the block"):
        tx_in_block(raw, other)


def test_block_whose_transactions_do_not_match_its_header_is_rejected() -> None:
    raw = INVALID_BLOCKS["Merkle root mismatch"]
    txid = CBlock.deserialize(raw).vtx[0].GetTxid()
    with pytest.raises(TxNotInBlockError, match="Merkle root"):
        tx_in_block(raw, txid)


def test_block_with_duplicated_transactions_is_rejected() -> None:
    block = _block("Block 99960, three transactions")
    # Re-create the CVE-2012-2459 mutation: same header root, last transaction repeated.
    mutated = CBlock(
        nVersion=block.nVersion,
        hashPrevBlock=block.hashPrevBlock,
        hashMerkleRoot=block.hashMerkleRoot,
        nTime=block.nTime,
        nBits=block.nBits,
        nNonce=block.nNonce,
        vtx=[*block.vtx, block.vtx[2]],
    )
    with pytest.raises(TxNotInBlockError, match="mutated"):
        tx_in_block(mutated.serialize(), block.vtx[0].GetTxid())


def test_unparseable_block_is_rejected() -> None:
    raw = dict(VALID_BLOCKS)["Genesis block"]
    with pytest.raises(TxNotInBlockError, match="parse"):
        tx_in_block(raw[:100], b"\x00" * 32)


def test_block_100000_root_is_rebuilt_from_its_four_txids() -> None:
    txids = [txid_from_hex(h) for h in BLOCK_100000_TXIDS]
    assert txid_to_hex(merkle_root(txids)) == BLOCK_100000_ROOT
    assert merkle_root(txids) == CBlock.build_merkle_tree_from_txids(txids)[-1]
    root = txid_from_hex(BLOCK_100000_ROOT)
    for index, txid in enumerate(txids):
        assert verify_merkle_branch(txid, index, merkle_branch(txids, index), root)


def test_displayed_txid_is_the_reverse_of_internal_bytes() -> None:
    internal = txid_from_hex(BLOCK_100000_TXIDS[0])
    assert internal == bytes.fromhex(BLOCK_100000_TXIDS[0])[::-1]
    assert b2lx(internal) == BLOCK_100000_TXIDS[0]
    # Using displayed-order bytes by mistake must not verify.
    txids = [bytes.fromhex(h) for h in BLOCK_100000_TXIDS]
    assert merkle_root(txids) != txid_from_hex(BLOCK_100000_ROOT)


# --- Anchor scripts -------------------------------------------------------------------------


def test_anchor_script_has_the_documented_layout() -> None:
    script = build_anchor_script(ROOT)
    assert isinstance(script, CScript)
    assert bytes(script) == b"\x6a\x24MMR1" + ROOT
    assert len(script) == ANCHOR_SCRIPT_SIZE == 38
    assert script.is_unspendable()


def test_anchor_script_round_trips_the_root() -> None:
    assert parse_anchor_script(build_anchor_script(ROOT)) == ROOT


@pytest.mark.parametrize("size", [0, 31, 33])
def test_building_an_anchor_for_a_root_of_wrong_length_fails(size: int) -> None:
    with pytest.raises(ValueError):
        build_anchor_script(b"\x01" * size)


@pytest.mark.parametrize(
    "script",
    [
        CScript([OP_RETURN, b"MMR1" + ROOT[:31]]),
        CScript([OP_RETURN, b"MMR1" + ROOT + b"\x00"]),
        CScript([OP_RETURN, b"MMR2" + ROOT]),
        CScript([OP_RETURN, b"mmr1" + ROOT]),
        CScript([OP_RETURN, ROOT]),
        CScript([OP_RETURN, b"MMR1", ROOT]),
        CScript(b"\x6a\x4c\x24MMR1" + ROOT),  # same push via OP_PUSHDATA1, not canonical
        CScript([OP_DUP, b"MMR1" + ROOT]),
        CScript(),
    ],
    ids=[
        "short-root",
        "long-root",
        "other-version",
        "lowercase-tag",
        "no-tag",
        "two-pushes",
        "pushdata1",
        "not-op-return",
        "empty",
    ],
)
def test_anchor_payload_of_wrong_length_or_tag_is_rejected(script: CScript) -> None:
    assert parse_anchor_script(script) is None


def _tx_with_outputs(*scripts: CScript) -> CMutableTransaction:
    return CMutableTransaction(vin=[], vout=[CMutableTxOut(0, s) for s in scripts])


def test_op_return_payload_is_found_among_other_outputs() -> None:
    p2pk = CScript([b"\x02" * 33, OP_CHECKSIG])
    tx = _tx_with_outputs(p2pk, build_anchor_script(ROOT))
    assert op_return_payload(tx) == b"MMR1" + ROOT
    assert anchor_root_in_tx(tx) == ROOT


def test_transaction_without_op_return_has_no_payload() -> None:
    tx = _tx_with_outputs(CScript([b"\x02" * 33, OP_CHECKSIG]))
    assert op_return_payload(tx) is None
    assert anchor_root_in_tx(tx) is None


def test_bare_op_return_has_an_empty_payload_and_no_anchor() -> None:
    tx = _tx_with_outputs(CScript([OP_RETURN]))
    assert op_return_payload(tx) == b""
    assert anchor_root_in_tx(tx) is None


def test_op_return_with_truncated_push_has_no_payload() -> None:
    tx = _tx_with_outputs(CScript(b"\x6a\x24MMR1"))
    assert op_return_payload(tx) is None


def test_anchor_in_a_later_output_is_found_after_a_foreign_op_return() -> None:
    tx = _tx_with_outputs(CScript([OP_RETURN, b"other protocol"]), build_anchor_script(ROOT))
    assert op_return_payload(tx) == b"other protocol"
    assert anchor_root_in_tx(tx) == ROOT
