"""Anchoring checkpoint roots through a Bitcoin node's JSON-RPC interface.

Bitcoin Core is not available here. The tests start :class:`FakeNode`, a small JSON-RPC server
on loopback that speaks the handful of methods the backend uses, with Bitcoin Core's shapes and
error conventions (HTTP basic auth, ``{"result", "error", "id"}``, code -5 for an unknown
transaction). What it is, honestly: its *blocks* are real — the main-network blocks of the
conformance data, answered as they are, and blocks it "mines" the way regtest does (block
99960's transactions plus the mempool, a real header and Merkle tree at regtest difficulty);
its *wallet* is not — funding adds an input spending a made-up output and signing puts a
placeholder scriptSig, because nothing here validates scripts. So the tests show that the
backend builds the right transaction, reads confirmations and Merkle branches from real block
bytes, and refuses a node that cheats; they do not show that a real node accepts the
transaction (that needs a regtest node, see docs/deployment.md).
"""

from __future__ import annotations

import base64
import io
import json
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bitcoin.core import (
    CBlock,
    CMutableTransaction,
    CMutableTxIn,
    CMutableTxOut,
    COutPoint,
    CTransaction,
    CTxOut,
    b2lx,
    lx,
)
from bitcoin.core.script import CScript
from bitcoin.core.serialize import VarIntSerializer, VectorSerializer

from public_verify import registry
from public_verify.anchoring import (
    AnchoringError,
    BitcoinBackend,
    NoBackend,
    anchor_problems,
    backend,
    checkpoint_and_anchor,
    confirm_pending_anchors,
)
from public_verify.bitcoin_block import anchor_root_in_tx, merkle_branch
from public_verify.export import credential_bundle
from public_verify.models import Anchor, Checkpoint
from public_verify.offline import all_passed, verify_bundle
from public_verify.signing import signer
from tests.public_verify.anchors import block_99960, mine, real_blocks
from tests.public_verify.issuing import LARS, SOFIA, issue_to

USER, PASSWORD = "portal", "rpc-secret"


def _without_inputs(raw: bytes) -> CMutableTransaction:
    """Decode a transaction without inputs the non-witness way, as Core does for iswitness=false.

    (python-bitcoinlib reads the zero input count as the segwit marker.)
    """
    stream = io.BytesIO(raw)
    version = struct.unpack("<i", stream.read(4))[0]
    assert VarIntSerializer.stream_deserialize(stream) == 0
    vout = VectorSerializer.stream_deserialize(CTxOut, stream)
    locktime = struct.unpack("<I", stream.read(4))[0]
    assert stream.read() == b""
    return CMutableTransaction(
        vin=[],
        vout=[CMutableTxOut.from_txout(o) for o in vout],
        nLockTime=locktime,
        nVersion=version,
    )


class FakeNode:
    """A loopback JSON-RPC server answering like Bitcoin Core, from real and regtest-mined blocks."""

    def __init__(self) -> None:
        self.blocks: dict[str, tuple[bytes, int]] = {}  # display hash -> (raw block, height)
        self.tx_block: dict[str, str] = {}  # display txid -> display block hash
        self.mempool: dict[str, CTransaction] = {}
        self.calls: list[str] = []
        self.tamper: str | None = None
        for comment, raw in real_blocks().items():
            # "Genesis block…" is height 0; "Block 99960, three transactions" is 99960.
            height = int(comment.split()[1].rstrip(",")) if comment.startswith("Block ") else 0
            self._add_block(CBlock.deserialize(raw), height)
        self.tip = block_99960()
        node = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                node.calls.append(request["method"])
                try:
                    result, error = getattr(node, request["method"])(*request["params"]), None
                    status = 200
                except KeyError:
                    result, status = None, 500
                    error = {"code": -5, "message": "No such mempool or blockchain transaction"}
                body = json.dumps({"result": result, "error": error, "id": request["id"]})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://{USER}:{PASSWORD}@127.0.0.1:{self.server.server_port}/wallet/anchors"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _add_block(self, block: CBlock, height: int) -> str:
        block_hash = b2lx(block.GetHash())
        self.blocks[block_hash] = (block.serialize(), height)
        for tx in block.vtx:
            self.tx_block.setdefault(b2lx(tx.GetTxid()), block_hash)
        return block_hash

    def generate(self) -> str:
        """Mine the mempool into a regtest block on top of the tip (a test helper, not RPC)."""
        block = mine(list(self.mempool.values()), previous=self.tip)
        height = self.blocks[b2lx(self.tip.GetHash())][1] + 1
        self.tip = block
        self.mempool.clear()
        return self._add_block(block, height)

    # --- The RPC methods the backend calls -----------------------------------------------------

    def fundrawtransaction(self, hexstring: str, options: dict, iswitness: bool) -> dict:
        assert not iswitness
        tx = _without_inputs(bytes.fromhex(hexstring))
        # A made-up wallet output pays for it; the change goes back to the wallet.
        tx.vin.append(CMutableTxIn(COutPoint(b"\x42" * 32, len(self.calls))))
        tx.vout.append(CMutableTxOut(99_000, block_99960().vtx[0].vout[0].scriptPubKey))
        if self.tamper == "root":
            tx.vout[0] = CMutableTxOut(0, CScript(b"\x6a\x24MMR1" + b"\x00" * 32))
        return {"hex": tx.serialize().hex(), "fee": 0.00001, "changepos": 1}

    def signrawtransactionwithwallet(self, hexstring: str) -> dict:
        tx = CMutableTransaction.from_tx(CTransaction.deserialize(bytes.fromhex(hexstring)))
        for txin in tx.vin:
            txin.scriptSig = CScript([b"\x30" * 71, b"\x02" * 33])  # placeholder signature
        return {"hex": tx.serialize().hex(), "complete": True}

    def sendrawtransaction(self, hexstring: str) -> str:
        tx = CTransaction.deserialize(bytes.fromhex(hexstring))
        self.mempool[b2lx(tx.GetTxid())] = tx
        return b2lx(tx.GetTxid())

    def getrawtransaction(self, txid: str, verbose: bool) -> dict:
        if txid in self.mempool:
            return {"txid": txid, "hex": self.mempool[txid].serialize().hex()}
        block_hash = self.tx_block[txid]
        if self.tamper == "block":
            block_hash = next(h for h in self.blocks if h != block_hash)
        return {"txid": txid, "blockhash": block_hash, "confirmations": 1}

    def getblock(self, block_hash: str, verbosity: int) -> str:
        assert verbosity == 0
        return self.blocks[block_hash][0].hex()

    def getblockheader(self, block_hash: str, verbose: bool) -> dict:
        return {"hash": block_hash, "height": self.blocks[block_hash][1]}


@pytest.fixture
def node():
    fake = FakeNode()
    yield fake
    fake.close()


@pytest.fixture
def bitcoin_settings(settings, node):
    settings.PORTAL_ANCHOR_BACKEND = "bitcoin"
    settings.PORTAL_BITCOIN_RPC_URL = node.url
    settings.PORTAL_BITCOIN_NETWORK = "regtest"
    return settings


@pytest.fixture
def issued(published_micromerit, organisations, people):
    return issue_to(published_micromerit, organisations, people, SOFIA, LARS)


def test_the_embedded_default_signs_checkpoints_without_anchoring(issued):
    assert isinstance(backend(), NoBackend)

    run = checkpoint_and_anchor()

    assert run.checkpoint.size == 2
    assert run.anchor is None and run.problem is None
    assert not Anchor.objects.exists()


def test_a_checkpoint_is_anchored_confirmed_and_exported(issued, bitcoin_settings, node):
    run = checkpoint_and_anchor()

    anchor = run.anchor
    assert run.problem is None
    assert node.calls == [
        "fundrawtransaction",
        "signrawtransactionwithwallet",
        "sendrawtransaction",
        "getrawtransaction",  # confirming pending anchors: still in the mempool
    ]
    tx = CTransaction.deserialize(bytes.fromhex(anchor.raw_tx))
    assert anchor_root_in_tx(tx) == bytes.fromhex(run.checkpoint.root)
    assert (anchor.network, anchor.backend, anchor.txid) == (
        "regtest",
        "bitcoin",
        b2lx(tx.GetTxid()),
    )
    assert anchor.txid in node.mempool
    assert not anchor.confirmed
    assert anchor_problems(anchor) == []

    # Not mined yet: nothing to confirm.
    assert confirm_pending_anchors() == 0
    node.generate()
    assert confirm_pending_anchors() == 1

    anchor.refresh_from_db()
    block, height = node.blocks[anchor.block_hash]
    assert (anchor.block_height, anchor.block_header) == (height, block[:80].hex())
    txids = [t.GetTxid() for t in CBlock.deserialize(block).vtx]
    assert anchor.tx_index == len(txids) - 1 == 3
    assert anchor.merkle_branch == [h.hex() for h in merkle_branch(txids, anchor.tx_index)]
    assert anchor_problems(anchor) == []

    bundle = credential_bundle(issued[0])
    assert bundle["anchor"]["transaction"] == anchor.raw_tx
    checks = verify_bundle(json.dumps(bundle), trusted_keys=[signer().public_key])
    assert all_passed(checks), [c.line() for c in checks]
    assert checks[-1].line() == (
        f"ok anchor (regtest transaction {anchor.txid} in block {anchor.block_hash})"
    )


def test_the_same_checkpoint_is_anchored_once(issued, bitcoin_settings, node):
    first = checkpoint_and_anchor().anchor
    again = checkpoint_and_anchor()

    assert again.anchor == first
    assert node.calls.count("sendrawtransaction") == 1


def test_an_empty_log_is_signed_but_not_anchored(db, bitcoin_settings, node):
    run = checkpoint_and_anchor()

    assert run.checkpoint.size == 0 and run.anchor is None
    assert "sendrawtransaction" not in node.calls


def test_confirmation_reads_the_branch_of_a_real_transaction_from_a_real_block(node):
    chosen = BitcoinBackend(rpc_url=node.url, network="mainnet")
    raw = real_blocks()["Block 99993, four transactions"]
    block = CBlock.deserialize(raw)
    txids = [tx.GetTxid() for tx in block.vtx]

    found = chosen.confirmation(b2lx(txids[2]))

    assert found.block_hash == b2lx(block.GetHash())
    assert found.block_height == 99993
    assert found.block_header == raw[:80]
    assert found.tx_index == 2
    assert found.merkle_branch == merkle_branch(txids, 2)


def test_an_unknown_transaction_is_reported_as_the_nodes_error(node):
    chosen = BitcoinBackend(rpc_url=node.url, network="regtest")

    with pytest.raises(AnchoringError, match="No such mempool"):
        chosen.confirmation("ab" * 32)


def test_a_node_that_changes_the_root_is_refused_and_nothing_is_stored(
    issued, bitcoin_settings, node
):
    node.tamper = "root"

    run = checkpoint_and_anchor()

    assert run.problem == "the signed transaction does not carry the checkpoint's root"
    assert "sendrawtransaction" not in node.calls
    assert not Anchor.objects.exists()
    assert Checkpoint.objects.filter(size=2).exists()


def test_a_node_that_names_a_block_without_the_transaction_is_refused(
    issued, bitcoin_settings, node
):
    anchor = checkpoint_and_anchor().anchor
    node.generate()
    node.tamper = "block"

    with pytest.raises(AnchoringError, match="is not in the block"):
        BitcoinBackend(rpc_url=node.url, network="regtest").confirm(anchor)
    anchor.refresh_from_db()
    assert not anchor.confirmed


def test_wrong_credentials_or_no_node_leave_the_checkpoint_and_report_why(
    issued, bitcoin_settings, node
):
    bitcoin_settings.PORTAL_BITCOIN_RPC_URL = node.url.replace(PASSWORD, "wrong")
    run = checkpoint_and_anchor()
    assert run.checkpoint.size == 2 and run.anchor is None
    assert run.problem.startswith("fundrawtransaction: ")

    node.close()
    bitcoin_settings.PORTAL_BITCOIN_RPC_URL = node.url
    assert "cannot reach the node" in checkpoint_and_anchor().problem
    assert not Anchor.objects.exists()


def test_a_stored_anchor_changed_later_is_reported(issued, bitcoin_settings, node):
    anchor = checkpoint_and_anchor().anchor
    node.generate()
    confirm_pending_anchors()
    anchor.refresh_from_db()

    anchor.merkle_branch = list(reversed(anchor.merkle_branch))
    assert anchor_problems(anchor) == [
        f"anchor {anchor.txid}: the Merkle branch does not lead from the transaction to the header"
    ]
    anchor.raw_tx = anchor.raw_tx[:-2]
    assert anchor_problems(anchor) == [
        f"anchor {anchor.txid}: the stored transaction does not parse"
    ]


def test_the_periodic_task_checkpoints_and_anchors(issued, bitcoin_settings, node):
    from public_verify.tasks import make_checkpoint

    result = make_checkpoint.enqueue()

    assert result.return_value == {
        "size": 2,
        "root": registry.root(2).hex(),
        "txid": Anchor.objects.get().txid,
        "confirmed": 0,
        "problem": None,
    }


def test_an_anchor_carries_nothing_but_the_root(issued, bitcoin_settings, node):
    anchor = checkpoint_and_anchor().anchor
    tx = CTransaction.deserialize(bytes.fromhex(anchor.raw_tx))
    payloads = [
        bytes(out.scriptPubKey) for out in tx.vout if bytes(out.scriptPubKey)[:1] == b"\x6a"
    ]

    assert payloads == [b"\x6a\x24MMR1" + bytes.fromhex(anchor.checkpoint.root)]
    raw = bytes.fromhex(anchor.raw_tx)
    for secret in SOFIA + LARS:
        assert secret.encode() not in raw
    assert lx(anchor.txid) == tx.GetTxid()
