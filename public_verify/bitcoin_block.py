"""Bitcoin-side checks for checkpoint anchors: OP_RETURN scripts and block Merkle branches.

A checkpoint of the credential log is anchored by putting its root in an OP_RETURN output of a
Bitcoin transaction. This module builds and parses that output script, and checks that a
transaction is inside a block by building and verifying the transaction's branch in Bitcoin's
own Merkle tree up to the block header's ``hashMerkleRoot``. It uses python-bitcoinlib for block
and transaction parsing and imports nothing from Django.

Byte order: every txid and Merkle root passed to or returned by this module as ``bytes`` is in
Bitcoin's *internal* byte order - the raw double-SHA-256 output as it appears in serialized
blocks and transactions (``CTransaction.GetTxid()``, ``CBlockHeader.hashMerkleRoot``). Block
explorers and Bitcoin Core's RPC *display* the same 32 bytes reversed, as big-endian hex. Use
:func:`txid_from_hex` / :func:`txid_to_hex` (python-bitcoinlib's ``lx`` / ``b2lx``) to convert.
The log root carried in an anchor is not a Bitcoin hash and is never reversed.

Bitcoin's tree is not the RFC 6962 tree: nodes are SHA-256d(left || right) with no domain
prefixes, and an odd level duplicates its last hash, so ``[a, b, c]`` and ``[a, b, c, c]`` share
a root (CVE-2012-2459). That is why the credential log uses RFC 6962 hashing and this tree is
only used to check block membership; :func:`tx_in_block` rejects blocks whose transaction list
was mutated that way.
"""

from __future__ import annotations

from collections.abc import Sequence

from bitcoin.core import CBlock, CTransaction, Hash, b2lx, lx
from bitcoin.core.script import OP_RETURN, CScript, CScriptInvalidError

__all__ = [
    "ANCHOR_SCRIPT_SIZE",
    "ANCHOR_TAG",
    "TxNotInBlockError",
    "anchor_root_in_tx",
    "build_anchor_script",
    "merkle_branch",
    "merkle_root",
    "op_return_payload",
    "parse_anchor_script",
    "tx_in_block",
    "txid_from_hex",
    "txid_to_hex",
    "verify_merkle_branch",
]

ANCHOR_TAG = b"MMR1"
"""Version tag that starts every anchor payload; a new payload layout would get a new tag."""

_ROOT_SIZE = 32

# OP_RETURN (0x6a), a direct push of 36 bytes (opcode 0x24), then tag and root.
_ANCHOR_PREFIX = bytes([OP_RETURN, len(ANCHOR_TAG) + _ROOT_SIZE]) + ANCHOR_TAG
ANCHOR_SCRIPT_SIZE = len(_ANCHOR_PREFIX) + _ROOT_SIZE
"""Length of an anchor output script: 38 bytes, within the 83-byte standard OP_RETURN limit."""


class TxNotInBlockError(ValueError):
    """The transaction is not in the block, or the block's Merkle tree does not check out."""


def txid_from_hex(display_hex: str) -> bytes:
    """Convert a txid or block hash shown as big-endian hex to internal-order bytes."""
    value = lx(display_hex)
    if len(value) != 32:
        raise ValueError(f"a txid is 32 bytes, got {len(value)}")
    return value


def txid_to_hex(txid: bytes) -> str:
    """Convert an internal-order txid or hash to the big-endian hex that explorers display."""
    return b2lx(txid)


def _check_hash(name: str, value: bytes) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes (internal byte order)")
    return bytes(value)


def _next_level(level: list[bytes]) -> list[bytes]:
    """Hash one level of Bitcoin's tree into the next, duplicating an odd last element."""
    if len(level) % 2:
        level = [*level, level[-1]]
    return [Hash(level[i] + level[i + 1]) for i in range(0, len(level), 2)]


def merkle_root(txids: Sequence[bytes]) -> bytes:
    """Return Bitcoin's Merkle root (internal order) of txids given in internal order."""
    if not txids:
        raise ValueError("a block has at least one transaction")
    level = [_check_hash("txid", t) for t in txids]
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def merkle_branch(txids: Sequence[bytes], index: int) -> list[bytes]:
    """Return the Merkle branch of ``txids[index]``: sibling hashes from the bottom level up.

    ``txids`` are the block's transaction ids in block order and internal byte order. Where a
    level has an odd number of hashes the last one is its own sibling, as in Bitcoin Core's
    ``ComputeMerkleBranch``. A block with one transaction gives an empty branch.
    """
    if not 0 <= index < len(txids):
        raise ValueError(f"transaction index {index} is outside a block of {len(txids)}")
    level = [_check_hash("txid", t) for t in txids]
    branch: list[bytes] = []
    while len(level) > 1:
        sibling = index ^ 1
        branch.append(level[sibling] if sibling < len(level) else level[index])
        level = _next_level(level)
        index >>= 1
    return branch


def verify_merkle_branch(txid: bytes, index: int, branch: Sequence[bytes], root: bytes) -> bool:
    """Tell whether ``branch`` leads from ``txid`` at position ``index`` to ``root``.

    All hashes are in internal byte order. The bits of ``index`` say, level by level, whether the
    running hash is the right (1) or left (0) child; an index with bits beyond the branch length
    is rejected, so one branch cannot be claimed for several positions. On its own a branch is an
    SPV-level check: it does not prove the number of transactions in the block.
    """
    try:
        current = _check_hash("txid", txid)
        root = _check_hash("merkle root", root)
        steps = [_check_hash("branch hash", h) for h in branch]
    except ValueError:
        return False
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 1 << len(steps):
        return False
    for depth, sibling in enumerate(steps):
        # A set bit means the running hash is the right child at this depth.
        current = Hash(sibling + current) if (index >> depth) & 1 else Hash(current + sibling)
    return current == root


def _is_mutated(txids: Sequence[bytes]) -> bool:
    """Tell whether the tree has two equal siblings at some level (CVE-2012-2459).

    Mirrors the ``mutated`` flag of Bitcoin Core's ``ComputeMerkleRoot``: a block whose
    transaction list repeats its tail can have the same root as the honest block, so such
    blocks must not be taken as evidence.
    """
    level = list(txids)
    while len(level) > 1:
        if any(level[i] == level[i + 1] for i in range(0, len(level) - 1, 2)):
            return True
        level = _next_level(level)
    return False


def tx_in_block(block_bytes: bytes, txid: bytes) -> tuple[int, list[bytes]]:
    """Find ``txid`` (internal order) in a serialized block and return ``(index, branch)``.

    The block is parsed with python-bitcoinlib; the branch is checked against the header's
    ``hashMerkleRoot``, so success means the transaction is committed to by that header (whose
    place in the chain and proof of work the caller checks separately). Raises
    :class:`TxNotInBlockError` if the block does not parse, its transactions do not hash to the
    header's root, its tree is mutated, or the txid is not among its transactions.
    """
    txid = _check_hash("txid", txid)
    try:
        block = CBlock.deserialize(bytes(block_bytes))
    except Exception as exc:  # python-bitcoinlib raises several unrelated types here
        raise TxNotInBlockError(f"block does not parse: {exc}") from exc
    txids = [tx.GetTxid() for tx in block.vtx]
    if not txids:
        raise TxNotInBlockError("block has no transactions")
    if merkle_root(txids) != block.hashMerkleRoot:
        raise TxNotInBlockError("block transactions do not hash to the header's Merkle root")
    if _is_mutated(txids):
        raise TxNotInBlockError("block Merkle tree is mutated (duplicate transactions)")
    try:
        index = txids.index(txid)
    except ValueError:
        raise TxNotInBlockError(f"transaction {txid_to_hex(txid)} is not in the block") from None
    branch = merkle_branch(txids, index)
    # Cheap self-check, so a bug in branch building can never report a false inclusion.
    if not verify_merkle_branch(txid, index, branch, block.hashMerkleRoot):
        raise TxNotInBlockError("Merkle branch does not reach the header's Merkle root")
    return index, branch


def _single_push(script: bytes) -> bytes | None:
    """Return the data of a script ``OP_RETURN <one push>`` (b"" for a bare OP_RETURN)."""
    script = CScript(script)
    if not script or script[0] != OP_RETURN:
        return None
    try:
        ops = list(CScript(script[1:]).raw_iter())
    except CScriptInvalidError:  # truncated or malformed push data
        return None
    if not ops:
        return b""
    if len(ops) != 1:
        return None
    _opcode, data, _sop_idx = ops[0]
    if data is None:
        return None
    return data


def op_return_payload(tx: CTransaction) -> bytes | None:
    """Return the data of the transaction's first OP_RETURN output, or None if there is none.

    Only outputs of the form ``OP_RETURN <one data push>`` (or a bare ``OP_RETURN``, giving
    ``b""``) count; OP_RETURN scripts of any other shape are skipped.
    """
    for txout in tx.vout:
        payload = _single_push(txout.scriptPubKey)
        if payload is not None:
            return payload
    return None


def build_anchor_script(root: bytes) -> CScript:
    """Return the OP_RETURN output script that anchors a log root.

    Layout (38 bytes)::

        0x6a            OP_RETURN
        0x24            push the next 36 bytes
        b"MMR1"         version tag (4 bytes)
        root            RFC 6962 root of the credential log (32 bytes, as hashed, not reversed)
    """
    if not isinstance(root, bytes | bytearray) or len(root) != _ROOT_SIZE:
        raise ValueError(f"an anchored root must be {_ROOT_SIZE} bytes")
    script = CScript([OP_RETURN, ANCHOR_TAG + bytes(root)])
    assert bytes(script) == _ANCHOR_PREFIX + bytes(root)  # layout documented above
    return script


def parse_anchor_script(script: bytes) -> bytes | None:
    """Return the log root carried by an anchor script, or None if it is not one.

    Accepts exactly the layout :func:`build_anchor_script` writes; other encodings of the same
    push, other tags or payload lengths are not anchors.
    """
    script = bytes(script)
    if len(script) != ANCHOR_SCRIPT_SIZE or not script.startswith(_ANCHOR_PREFIX):
        return None
    return script[len(_ANCHOR_PREFIX) :]


def anchor_root_in_tx(tx: CTransaction) -> bytes | None:
    """Return the log root from the first anchor output of ``tx``, or None if it has none."""
    for txout in tx.vout:
        root = parse_anchor_script(txout.scriptPubKey)
        if root is not None:
            return root
    return None
