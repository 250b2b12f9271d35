"""Anchoring checkpoint roots in Bitcoin, behind a backend setting.

``PORTAL_ANCHOR_BACKEND`` chooses: ``none`` (the embedded default: checkpoints are signed but
not anchored) or ``bitcoin``: a Bitcoin Core node over JSON-RPC (``PORTAL_BITCOIN_RPC_URL``,
with the wallet in its path and credentials in its user part; ``PORTAL_BITCOIN_NETWORK`` is
``regtest``, ``testnet`` or ``mainnet``).

How a root is anchored (:meth:`BitcoinBackend.anchor`): python-bitcoinlib builds an unsigned
transaction with no inputs and one zero-value output, ``build_anchor_script(root)`` (OP_RETURN
``"MMR1" ‖ root``). The node's wallet then does what only it can: ``fundrawtransaction`` adds
inputs and a change output and sets the fee, ``signrawtransactionwithwallet`` signs,
``sendrawtransaction`` broadcasts. Between signing and broadcasting we parse the signed
transaction ourselves and refuse it unless it still carries exactly our root, so a misbehaving
node cannot make us store a txid for something else. The wallet pays; the portal holds no
Bitcoin keys. An :class:`~public_verify.models.Anchor` row records the txid and raw transaction.

How an anchor is confirmed (:meth:`BitcoinBackend.confirm`): ``getrawtransaction <txid> true``
says whether it is in a block; ``getblock <hash> 0`` returns the block's bytes, from which
``bitcoin_block.tx_in_block`` builds the transaction's Merkle branch to the header's Merkle root
(refusing mutated blocks); ``getblockheader <hash> true`` gives the height. The header, position
and branch are stored on the anchor so exports prove it offline. :func:`anchor_problems` checks
a stored anchor the same way the offline verifier does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bitcoin.core import CBlockHeader, CMutableTransaction, CMutableTxOut, CTransaction, b2x, x
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import bitcoin_block
from .models import Anchor, Checkpoint

logger = logging.getLogger(__name__)

BACKENDS = ("none", "bitcoin")
NETWORKS = ("regtest", "testnet", "mainnet")
#: Confirmations before an anchor counts as confirmed (one block; reorganisations deeper than
#: that are rare, and a later checkpoint's anchor covers the same leaves anyway).
MIN_CONFIRMATIONS = 1


class AnchoringError(RuntimeError):
    """The node refused or answered something we cannot accept; the message says what."""


@dataclass(frozen=True)
class Confirmation:
    block_hash: str
    block_height: int
    block_header: bytes
    tx_index: int
    merkle_branch: list[bytes]


class NoBackend:
    """``PORTAL_ANCHOR_BACKEND = "none"``: checkpoints are not anchored."""

    name = "none"

    def anchor(self, checkpoint: Checkpoint) -> Anchor | None:
        return None

    def confirm(self, anchor: Anchor) -> bool:
        return False


class BitcoinBackend:
    """Anchors through a Bitcoin Core node's wallet over JSON-RPC (python-bitcoinlib's client)."""

    name = "bitcoin"

    def __init__(self, *, rpc_url: str, network: str, timeout: float = 30):
        if network not in NETWORKS:
            raise ImproperlyConfigured(f"PORTAL_BITCOIN_NETWORK must be one of {NETWORKS}")
        if not rpc_url:
            raise ImproperlyConfigured("PORTAL_BITCOIN_RPC_URL must be set for the bitcoin backend")
        self.rpc_url = rpc_url
        self.network = network
        self.timeout = timeout

    def call(self, method: str, *params):
        """One JSON-RPC call; node errors and unreachable nodes become :class:`AnchoringError`."""
        from bitcoin.rpc import JSONRPCError, RawProxy

        proxy = RawProxy(service_url=self.rpc_url, timeout=self.timeout)
        try:
            return getattr(proxy, method)(*params)
        except JSONRPCError as exc:
            raise AnchoringError(f"{method}: the node answered {exc.error}") from exc
        except (OSError, ValueError) as exc:
            raise AnchoringError(f"{method}: cannot reach the node: {exc}") from exc
        finally:
            proxy.close()

    def anchor(self, checkpoint: Checkpoint) -> Anchor:
        """Put ``checkpoint``'s root in a transaction, broadcast it and record the anchor."""
        root = bytes.fromhex(checkpoint.root)
        unsigned = CMutableTransaction(
            vin=[], vout=[CMutableTxOut(0, bitcoin_block.build_anchor_script(root))]
        )
        # iswitness=false: a transaction without inputs would otherwise be ambiguous to decode.
        funded = self.call("fundrawtransaction", b2x(unsigned.serialize()), {}, False)
        signed = self.call("signrawtransactionwithwallet", funded["hex"])
        if not signed.get("complete"):
            raise AnchoringError("the wallet could not sign the anchor transaction completely")
        raw = x(signed["hex"])
        try:
            tx = CTransaction.deserialize(raw)
        except Exception as exc:  # python-bitcoinlib raises several unrelated types
            raise AnchoringError(f"the node returned an unparseable transaction: {exc}") from exc
        if bitcoin_block.anchor_root_in_tx(tx) != root:
            raise AnchoringError("the signed transaction does not carry the checkpoint's root")
        txid = bitcoin_block.txid_to_hex(tx.GetTxid())
        sent = self.call("sendrawtransaction", signed["hex"])
        if sent != txid:
            raise AnchoringError(f"the node broadcast {sent}, not {txid}")
        logger.info(
            "anchored checkpoint %d in %s transaction %s", checkpoint.size, self.network, txid
        )
        return Anchor.objects.create(
            checkpoint=checkpoint,
            backend=self.name,
            network=self.network,
            txid=txid,
            raw_tx=signed["hex"],
        )

    def confirmation(self, txid: str) -> Confirmation | None:
        """Where transaction ``txid`` (display hex) sits, or None while it is not confirmed."""
        info = self.call("getrawtransaction", txid, True)
        block_hash = info.get("blockhash")
        if not block_hash or info.get("confirmations", 0) < MIN_CONFIRMATIONS:
            return None
        block = x(self.call("getblock", block_hash, 0))
        try:
            index, branch = bitcoin_block.tx_in_block(block, bitcoin_block.txid_from_hex(txid))
        except bitcoin_block.TxNotInBlockError as exc:
            raise AnchoringError(f"block {block_hash}: {exc}") from exc
        if bitcoin_block.txid_to_hex(CBlockHeader.deserialize(block[:80]).GetHash()) != block_hash:
            raise AnchoringError(f"the node returned another block than {block_hash}")
        header = self.call("getblockheader", block_hash, True)
        return Confirmation(
            block_hash=block_hash,
            block_height=int(header["height"]),
            block_header=block[:80],
            tx_index=index,
            merkle_branch=branch,
        )

    def confirm(self, anchor: Anchor) -> bool:
        """Record where ``anchor``'s transaction was mined; True once it is confirmed."""
        if anchor.confirmed:
            return True
        found = self.confirmation(anchor.txid)
        if found is None:
            return False
        anchor.block_hash = found.block_hash
        anchor.block_height = found.block_height
        anchor.block_header = found.block_header.hex()
        anchor.tx_index = found.tx_index
        anchor.merkle_branch = [h.hex() for h in found.merkle_branch]
        problems = anchor_problems(anchor)
        if problems:
            raise AnchoringError("; ".join(problems))
        anchor.save(
            update_fields=[
                "block_hash",
                "block_height",
                "block_header",
                "tx_index",
                "merkle_branch",
            ]
        )
        return True


def backend() -> NoBackend | BitcoinBackend:
    """The configured anchoring backend."""
    name = getattr(settings, "PORTAL_ANCHOR_BACKEND", "none")
    if name == "none":
        return NoBackend()
    if name == "bitcoin":
        return BitcoinBackend(
            rpc_url=settings.PORTAL_BITCOIN_RPC_URL, network=settings.PORTAL_BITCOIN_NETWORK
        )
    raise ImproperlyConfigured(f"PORTAL_ANCHOR_BACKEND must be one of {BACKENDS}, not {name!r}")


def anchor_checkpoint(checkpoint: Checkpoint) -> Anchor | None:
    """Anchor ``checkpoint`` with the configured backend unless it already is; None for ``none``."""
    existing = checkpoint.anchors.order_by("pk").first()
    if existing is not None:
        return existing
    return backend().anchor(checkpoint)


def confirm_pending_anchors() -> int:
    """Ask the node about every anchor not yet in a block; return how many are confirmed now."""
    chosen = backend()
    confirmed = 0
    for anchor in Anchor.objects.filter(tx_index__isnull=True, backend=chosen.name):
        if chosen.confirm(anchor):
            confirmed += 1
    return confirmed


@dataclass(frozen=True)
class CheckpointRun:
    """What one periodic run did: the checkpoint, its anchor, anchors confirmed, a problem."""

    checkpoint: Checkpoint
    anchor: Anchor | None
    confirmed: int
    problem: str | None


def checkpoint_and_anchor() -> CheckpointRun:
    """Sign the log's current state, anchor it, and confirm earlier anchors.

    The checkpoint is committed before the node is asked, so a node that is down costs the
    anchor, never the checkpoint (``problem`` says why); the next run anchors the newest
    checkpoint and confirms what is pending. An empty log is signed but never anchored.
    """
    from .registry import checkpoint_make

    checkpoint = checkpoint_make()
    anchor, confirmed = None, 0
    try:
        if checkpoint.size:
            anchor = anchor_checkpoint(checkpoint)
        confirmed = confirm_pending_anchors()
    except AnchoringError as error:
        logger.warning("anchoring checkpoint %d failed: %s", checkpoint.size, error)
        return CheckpointRun(checkpoint, anchor, confirmed, str(error))
    return CheckpointRun(checkpoint, anchor, confirmed, None)


def anchor_problems(anchor: Anchor) -> list[str]:
    """What is wrong with a stored anchor (empty when it proves its checkpoint's root).

    An unconfirmed anchor is only checked to carry the root; a confirmed one also needs its
    Merkle branch to lead from the txid to the stored header's Merkle root.
    """
    from .offline import Anchor as BundleAnchor
    from .offline import BundleError, verify_anchor

    try:
        tx = CTransaction.deserialize(x(anchor.raw_tx))
    except Exception:  # python-bitcoinlib raises several unrelated types
        return [f"anchor {anchor.txid}: the stored transaction does not parse"]
    if bitcoin_block.txid_to_hex(tx.GetTxid()) != anchor.txid:
        return [f"anchor {anchor.txid}: the stored transaction has another txid"]
    root = bytes.fromhex(anchor.checkpoint.root)
    if not anchor.confirmed:
        if bitcoin_block.anchor_root_in_tx(tx) != root:
            return [f"anchor {anchor.txid}: the transaction does not carry the checkpoint's root"]
        return []
    try:
        verify_anchor(
            BundleAnchor(
                network=anchor.network,
                transaction=x(anchor.raw_tx),
                block_header=bytes.fromhex(anchor.block_header),
                tx_index=anchor.tx_index,
                merkle_branch=[bytes.fromhex(h) for h in anchor.merkle_branch],
            ),
            root,
        )
    except (BundleError, ValueError) as exc:
        return [f"anchor {anchor.txid}: {exc}"]
    return []
