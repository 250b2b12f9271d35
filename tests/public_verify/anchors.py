"""Bitcoin helpers for the registry tests: the real blocks of the conformance data, and mining.

Bitcoin Core cannot run here, so where a test needs an anchor transaction *in a block*, the
block is made the way a regtest node makes one: the transactions of real main-network block
99960 plus the anchor transaction, a header over their Merkle root with regtest's difficulty
(``nBits`` 0x207fffff) and a nonce ground until the header meets it. The Merkle tree, the branch
and the header are therefore real Bitcoin structures; only the chain around the block is not.
"""

from __future__ import annotations

import json

from bitcoin.core import (
    CBlock,
    CMutableTransaction,
    CMutableTxIn,
    CMutableTxOut,
    COutPoint,
    CTransaction,
    b2lx,
)

from public_verify.bitcoin_block import build_anchor_script, merkle_branch
from tests.conftest import SHARED_DATA

BITCOIN = SHARED_DATA / "conformance" / "bitcoin"
REGTEST_BITS = 0x207FFFFF


def real_blocks() -> dict[str, bytes]:
    """The valid main-network blocks of the conformance data, by their comment."""
    rows = json.loads((BITCOIN / "python-bitcoinlib_checkblock_valid.json").read_text())
    return {r[0]: bytes.fromhex(r[4]) for r in rows if isinstance(r, list) and len(r) == 5}


def block_99960() -> CBlock:
    return CBlock.deserialize(real_blocks()["Block 99960, three transactions"])


def anchor_transaction(root: bytes, *, funding: bytes = b"\x11" * 32) -> CTransaction:
    """A transaction as a wallet funds one: an input, the anchor output, a change output."""
    return CTransaction.from_tx(
        CMutableTransaction(
            vin=[CMutableTxIn(COutPoint(funding, 0))],
            vout=[
                CMutableTxOut(0, build_anchor_script(root)),
                CMutableTxOut(49_990_000, block_99960().vtx[0].vout[0].scriptPubKey),
            ],
        )
    )


def _target(bits: int) -> int:
    return (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))


def mine(txs: list[CTransaction], previous: CBlock | None = None) -> CBlock:
    """A regtest-difficulty block holding block 99960's transactions followed by ``txs``."""
    base = block_99960()
    vtx = [*base.vtx, *txs]
    root = CBlock.build_merkle_tree_from_txids([t.GetTxid() for t in vtx])[-1]
    parent = (previous or base).GetHash()
    for nonce in range(1 << 20):
        block = CBlock(
            nVersion=base.nVersion,
            hashPrevBlock=parent,
            hashMerkleRoot=root,
            nTime=base.nTime,
            nBits=REGTEST_BITS,
            nNonce=nonce,
            vtx=vtx,
        )
        if int.from_bytes(block.GetHash(), "little") <= _target(REGTEST_BITS):
            return block
    raise AssertionError("no nonce found")


def anchor_fields(root_hex: str) -> dict:
    """Fields of a confirmed ``Anchor`` row whose transaction carries ``root_hex``."""
    tx = anchor_transaction(bytes.fromhex(root_hex))
    block = mine([tx])
    txids = [t.GetTxid() for t in block.vtx]
    index = len(txids) - 1
    return {
        "txid": b2lx(tx.GetTxid()),
        "raw_tx": tx.serialize().hex(),
        "block_hash": b2lx(block.GetHash()),
        "block_height": 100,
        "block_header": block.get_header().serialize().hex(),
        "tx_index": index,
        "merkle_branch": [h.hex() for h in merkle_branch(txids, index)],
    }
