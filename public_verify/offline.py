"""Offline verification of an exported credential bundle: no server, no database, no settings.

A bundle (made by :func:`public_verify.export.credential_bundle`) is one JSON object carrying a
credential's canonical document, the platform's signature of it, the public key, the leaf's place
in the registry's Merkle log with its inclusion proof, the signed checkpoint the proof leads to
and, when there is one, the Bitcoin anchor of that checkpoint. :func:`verify_bundle` checks all of
it with pure functions and returns one :class:`Check` per step, each passed or failed with a
reason in English, so the ``verify_credential`` command (or anyone else) can print them.

The verifier is strict on purpose. The bundle's shape is fixed (:data:`BUNDLE_KEYS`): a key
added or missing, a value of another JSON type (``1`` against ``"1"``, an empty object or list
where something else belongs), hex in upper case or of the wrong length, a duplicated key, and a
number not written as RFC 8785 writes it (``1.0`` for ``1``) all fail. What is signed is the RFC
8785 canonical form of the document, so the same content with its keys in another order, other
whitespace or characters written as ``\\u`` escapes still verifies: those are the only
differences JSON parsing throws away, and the only ones tolerated.

What the checks prove, and what they cannot: the signature and the signed checkpoint prove the
platform's key signed this document and this log state, *if* the key is the platform's — pass the
key the portal publishes as ``trusted_keys`` (otherwise the bundle's own key is only checked for
consistency with its id). The anchor check proves the transaction carries the checkpoint's root
and that the block header commits to the transaction; that the header is in Bitcoin's best chain
needs a node or an explorer (the bundle names the block).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import rfc8785

from . import merkle
from .bitcoin_block import anchor_root_in_tx, txid_to_hex, verify_merkle_branch
from .signing import NoteError, key_id, open_note, verify_signature

#: The bundle format's name and version; a change of shape means a new version.
BUNDLE_TYPE = "MikromeritCredentialBundle"
BUNDLE_VERSION = 1

#: Every key of a bundle, and no other.
BUNDLE_KEYS = frozenset(
    {
        "type",
        "version",
        "document",
        "digest",
        "signature",
        "key",
        "leaf_index",
        "inclusion_proof",
        "checkpoint",
        "anchor",
    }
)
KEY_KEYS = frozenset({"name", "id", "public_key"})
ANCHOR_KEYS = frozenset({"network", "transaction", "block_header", "tx_index", "merkle_branch"})
NETWORKS = ("regtest", "testnet", "mainnet")

#: The order in which checks run and are reported.
CHECKS = ("format", "key", "digest", "signature", "checkpoint", "inclusion", "anchor")

#: Refuse bigger files before parsing them (a real bundle is a few tens of kilobytes).
MAX_BUNDLE_BYTES = 5 * 1024 * 1024

_MAX_UINT64 = (1 << 64) - 1


class BundleError(ValueError):
    """The bundle is not well-formed; the message says where and why."""


@dataclass(frozen=True)
class Check:
    """One verification step: its name, whether it passed, and why (or a detail when it did)."""

    name: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        """The line ``verify_credential`` prints: ``ok <name>`` or ``FAIL <name>: <reason>``."""
        if self.ok:
            return f"ok {self.name}" + (f" ({self.detail})" if self.detail else "")
        return f"FAIL {self.name}: {self.detail}"


# --- Strict JSON --------------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise BundleError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _canonical_float(text: str) -> float:
    value = float(text)
    try:
        written = rfc8785.dumps(value).decode()
    except rfc8785.CanonicalizationError as exc:
        raise BundleError(f"number {text} cannot be canonicalised: {exc}") from exc
    if written != text:
        raise BundleError(f"number {text} is not written in canonical form ({written})")
    return value


def _constant(name: str) -> float:
    raise BundleError(f"{name} is not JSON")


def load_bundle(data: bytes | str) -> dict:
    """Parse a bundle's JSON strictly: UTF-8, no duplicate keys, numbers in canonical form.

    Raises:
        BundleError: not JSON, not UTF-8, too large, or not an object.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_BUNDLE_BYTES:
            raise BundleError(f"the file is larger than {MAX_BUNDLE_BYTES} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BundleError(f"the file is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        bundle = json.loads(
            data,
            object_pairs_hook=_no_duplicates,
            parse_float=_canonical_float,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as exc:
        raise BundleError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except RecursionError as exc:
        raise BundleError("not JSON: nested too deeply") from exc
    if not isinstance(bundle, dict):
        raise BundleError("the bundle must be a JSON object")
    return bundle


# --- Schema ---------------------------------------------------------------------------------


_HEX = re.compile(r"[0-9a-f]*")


def _keys(where: str, value: object, expected: frozenset[str]) -> dict:
    if not isinstance(value, dict):
        raise BundleError(f"{where} must be an object, not {_json_type(value)}")
    missing, unknown = expected - set(value), set(value) - expected
    if missing:
        raise BundleError(f"{where} lacks {', '.join(sorted(missing))}")
    if unknown:
        raise BundleError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _string(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise BundleError(f"{where} must be a string, not {_json_type(value)}")
    return value


def _integer(where: str, value: object, *, maximum: int = _MAX_UINT64) -> int:
    # bool is an int in Python but not a number in JSON.
    if type(value) is not int:
        raise BundleError(f"{where} must be an integer, not {_json_type(value)}")
    if not 0 <= value <= maximum:
        raise BundleError(f"{where} must be between 0 and {maximum}")
    return value


def _hex(where: str, value: object, *, size: int | None = None) -> bytes:
    """Lower-case hex of ``size`` bytes (any non-zero size when None)."""
    text = _string(where, value)
    if not _HEX.fullmatch(text) or len(text) % 2:
        raise BundleError(f"{where} must be lower-case hexadecimal")
    raw = bytes.fromhex(text)
    if size is not None and len(raw) != size:
        raise BundleError(f"{where} must be {size} bytes ({2 * size} hex digits), not {len(raw)}")
    if not raw:
        raise BundleError(f"{where} must not be empty")
    return raw


def _hash_list(where: str, value: object) -> list[bytes]:
    if not isinstance(value, list):
        raise BundleError(f"{where} must be a list, not {_json_type(value)}")
    return [_hex(f"{where}[{i}]", item, size=merkle.HASH_SIZE) for i, item in enumerate(value)]


@dataclass(frozen=True)
class Anchor:
    network: str
    transaction: bytes
    block_header: bytes
    tx_index: int
    merkle_branch: list[bytes]


@dataclass(frozen=True)
class Bundle:
    """A bundle whose shape has been checked; values decoded (hex to bytes)."""

    document: dict
    digest: bytes
    signature: bytes
    key_name: str
    key_id: bytes
    public_key: bytes
    leaf_index: int
    inclusion_proof: list[bytes]
    checkpoint: str
    anchor: Anchor | None


def parse_bundle(bundle: dict) -> Bundle:
    """Check the bundle's exact shape and decode it.

    Raises:
        BundleError: naming the first key whose presence, type or form is wrong.
    """
    _keys("the bundle", bundle, BUNDLE_KEYS)
    if bundle["type"] != BUNDLE_TYPE or type(bundle["type"]) is not str:
        raise BundleError(f"type must be {BUNDLE_TYPE!r}")
    if type(bundle["version"]) is not int or bundle["version"] != BUNDLE_VERSION:
        raise BundleError(f"version must be the number {BUNDLE_VERSION}")
    document = bundle["document"]
    if not isinstance(document, dict):
        raise BundleError(f"document must be an object, not {_json_type(document)}")
    key = _keys("key", bundle["key"], KEY_KEYS)
    name = _string("key.name", key["name"])
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise BundleError("key.name must be a non-empty name without spaces or '+'")
    anchor = None
    if bundle["anchor"] is not None:
        raw = _keys("anchor", bundle["anchor"], ANCHOR_KEYS)
        if raw["network"] not in NETWORKS or type(raw["network"]) is not str:
            raise BundleError(f"anchor.network must be one of {', '.join(NETWORKS)}")
        anchor = Anchor(
            network=raw["network"],
            transaction=_hex("anchor.transaction", raw["transaction"]),
            block_header=_hex("anchor.block_header", raw["block_header"], size=80),
            tx_index=_integer("anchor.tx_index", raw["tx_index"], maximum=(1 << 32) - 1),
            merkle_branch=_hash_list("anchor.merkle_branch", raw["merkle_branch"]),
        )
    return Bundle(
        document=document,
        digest=_hex("digest", bundle["digest"], size=32),
        signature=_hex("signature", bundle["signature"], size=64),
        key_name=name,
        key_id=_hex("key.id", key["id"], size=4),
        public_key=_hex("key.public_key", key["public_key"], size=32),
        leaf_index=_integer("leaf_index", bundle["leaf_index"]),
        inclusion_proof=_hash_list("inclusion_proof", bundle["inclusion_proof"]),
        checkpoint=_string("checkpoint", bundle["checkpoint"]),
        anchor=anchor,
    )


# --- Checkpoint text ------------------------------------------------------------------------


def parse_checkpoint_text(text: str, *, origin: str) -> tuple[int, bytes]:
    """Return (size, root) from a checkpoint body: origin, decimal size, base64 root, one a line.

    Raises:
        BundleError: another origin, extra lines, a size not in canonical decimal, or a root
        that is not the base64 of 32 bytes.
    """
    lines = text.split("\n")
    if len(lines) != 4 or lines[3] != "":
        raise BundleError("the checkpoint must have exactly three lines: origin, size, root")
    if lines[0] != origin:
        raise BundleError(f"the checkpoint is for log {lines[0]!r}, not {origin!r}")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", lines[1]) or int(lines[1]) > _MAX_UINT64:
        raise BundleError("the checkpoint's size is not a decimal number")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError as exc:
        raise BundleError("the checkpoint's root is not base64") from exc
    if len(root) != merkle.HASH_SIZE or base64.b64encode(root).decode() != lines[2]:
        raise BundleError("the checkpoint's root is not the base64 of a 32-byte hash")
    return int(lines[1]), root


# --- Verification ---------------------------------------------------------------------------


def verify_bundle(
    data: bytes | str | dict, *, trusted_keys: Iterable[bytes] | None = None
) -> list[Check]:
    """Verify a bundle completely; return one :class:`Check` per name in :data:`CHECKS`.

    Parameters:
        data: the file's bytes or text, or an already parsed object (parsed with
            :func:`load_bundle` if not).
        trusted_keys: raw Ed25519 public keys (32 bytes) to accept; ``None`` accepts the
            bundle's own key after checking it against its id.

    Returns:
        The checks in order. Every one must pass for the credential to be genuine, complete and
        unchanged. A failed format check fails the rest as not checked.
    """
    try:
        raw = data if isinstance(data, dict) else load_bundle(data)
        bundle = parse_bundle(raw)
    except BundleError as error:
        return [Check("format", False, str(error))] + [
            Check(name, False, "not checked: the bundle's format is wrong") for name in CHECKS[1:]
        ]
    checks = [Check("format", True)]
    failed: set[str] = set()

    def run(name: str, needs: tuple[str, ...], step: Callable[[], str]) -> None:
        blocked = [n for n in needs if n in failed]
        if blocked:
            checks.append(Check(name, False, f"not checked: {', '.join(blocked)} failed"))
            failed.add(name)
            return
        try:
            checks.append(Check(name, True, step()))
        except (BundleError, merkle.ProofError, NoteError) as error:
            checks.append(Check(name, False, str(error)))
            failed.add(name)

    trusted = None if trusted_keys is None else {bytes(k) for k in trusted_keys}
    state: dict = {}

    def check_key() -> str:
        if key_id(bundle.key_name, bundle.public_key) != bundle.key_id:
            raise BundleError("key.id is not the id of key.public_key under key.name")
        if trusted is not None and bundle.public_key not in trusted:
            raise BundleError(f"key {bundle.key_id.hex()} is not a trusted key of the portal")
        return f"{bundle.key_name} {bundle.key_id.hex()}" + ("" if trusted else ", untrusted")

    def check_digest() -> str:
        try:
            body = rfc8785.dumps(bundle.document)
        except (rfc8785.CanonicalizationError, UnicodeError) as exc:
            raise BundleError(f"the document cannot be canonicalised: {exc}") from exc
        state["body"] = body
        if hashlib.sha256(body).digest() != bundle.digest:
            raise BundleError("the document does not hash to the registered digest")
        return ""

    def check_signature() -> str:
        if not verify_signature(bundle.public_key, bundle.signature, state["body"]):
            raise BundleError("the signature is not the key's signature of the document")
        return ""

    def check_checkpoint() -> str:
        text = open_note(bundle.checkpoint, name=bundle.key_name, public_key=bundle.public_key)
        state["size"], state["root"] = parse_checkpoint_text(text, origin=bundle.key_name)
        return f"size {state['size']}"

    def check_inclusion() -> str:
        merkle.verify_inclusion(
            merkle.leaf_hash(bundle.digest),
            bundle.leaf_index,
            state["size"],
            bundle.inclusion_proof,
            state["root"],
        )
        return f"leaf {bundle.leaf_index} of {state['size']}"

    def check_anchor() -> str:
        if bundle.anchor is None:
            return "none: the checkpoint is not anchored yet"
        return verify_anchor(bundle.anchor, state["root"])

    run("key", (), check_key)
    run("digest", (), check_digest)
    run("signature", ("key", "digest"), check_signature)
    run("checkpoint", ("key",), check_checkpoint)
    run("inclusion", ("digest", "checkpoint"), check_inclusion)
    run("anchor", ("checkpoint",), check_anchor)
    return checks


def verify_anchor(anchor: Anchor, root: bytes) -> str:
    """Check that the transaction carries ``root`` and the header commits to the transaction.

    Returns a detail naming the block (to be checked against Bitcoin's chain with a node or an
    explorer). Raises :class:`BundleError` otherwise.
    """
    from bitcoin.core import CBlockHeader, CTransaction

    try:
        tx = CTransaction.deserialize(anchor.transaction)
    except Exception as exc:  # python-bitcoinlib raises several unrelated types
        raise BundleError(f"anchor.transaction is not a Bitcoin transaction: {exc}") from exc
    if anchor_root_in_tx(tx) != root:
        raise BundleError("the anchor transaction does not carry the checkpoint's root")
    try:
        header = CBlockHeader.deserialize(anchor.block_header)
    except Exception as exc:
        raise BundleError(f"anchor.block_header is not a block header: {exc}") from exc
    if not verify_merkle_branch(
        tx.GetTxid(), anchor.tx_index, anchor.merkle_branch, header.hashMerkleRoot
    ):
        raise BundleError("the Merkle branch does not lead from the transaction to the header")
    return (
        f"{anchor.network} transaction {txid_to_hex(tx.GetTxid())} "
        f"in block {txid_to_hex(header.GetHash())}"
    )


def all_passed(checks: Iterable[Check]) -> bool:
    """True when every check passed."""
    return all(check.ok for check in checks)
