"""The strict offline verifier, on bundles built without a database (pure functions only).

A small log of six documents is built in memory with a fresh Ed25519 key, and the bundle of
leaf 3 is checked as the export would write it, then changed in every way the issue lists:
each change must fail with a reason, while the same content reformatted must still verify.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from public_verify import merkle
from public_verify.offline import (
    BUNDLE_KEYS,
    CHECKS,
    all_passed,
    load_bundle,
    verify_bundle,
)
from public_verify.signing import Signer
from tests.conftest import REPO_DIR
from tests.public_verify.anchors import anchor_fields

ORIGIN = "mikromerit.test/registry"
INDEX = 3
SIZE = 6


def document(n: int) -> dict:
    return {
        "type": "MikromeritCredential",
        "version": 1,
        "id": f"credential-{n}",
        "micromerit": {
            "title": "Fasadmålning – grund",
            "learning_outcomes": [{"type": "Kunskap", "sentence": "Innehavaren kan välja färg."}],
            "workload_hours": "40",
        },
        "issuer": {"name": "Norrbyggs Måleri AB", "orgnr": "559900-1111"},
        "grade": "Godkänd",
        "best_before": None,
        "holder": {"commitment": hashlib.sha256(b"salt" + bytes([n])).hexdigest()},
    }


def note(signer: Signer, size: int, root: bytes) -> str:
    return signer.sign_note(f"{ORIGIN}\n{size}\n{base64.b64encode(root).decode()}\n")


class Log:
    """Six signed documents in an in-memory log, with a checkpoint at size six."""

    def __init__(self) -> None:
        self.signer = Signer(Ed25519PrivateKey.generate(), ORIGIN)
        self.store = merkle.MemoryStore()
        self.documents = [document(n) for n in range(SIZE)]
        for doc in self.documents:
            self.store.append_data(hashlib.sha256(rfc8785.dumps(doc)).digest())

    def bundle(self, index: int = INDEX, size: int = SIZE) -> dict:
        doc = self.documents[index]
        body = rfc8785.dumps(doc)
        return {
            "type": "MikromeritCredentialBundle",
            "version": 1,
            "document": copy.deepcopy(doc),
            "digest": hashlib.sha256(body).hexdigest(),
            "signature": self.signer.sign(body).hex(),
            "key": {
                "name": ORIGIN,
                "id": self.signer.key_id,
                "public_key": self.signer.public_key.hex(),
            },
            "leaf_index": index,
            "inclusion_proof": [h.hex() for h in merkle.inclusion_proof(self.store, index, size)],
            "checkpoint": note(self.signer, size, merkle.root(self.store, size)),
            "anchor": None,
        }


@pytest.fixture(scope="module")
def log() -> Log:
    return Log()


def failures(bundle, log: Log) -> dict[str, str]:
    checks = verify_bundle(
        json.dumps(bundle) if isinstance(bundle, dict) else bundle,
        trusted_keys=[log.signer.public_key],
    )
    assert [c.name for c in checks] == list(CHECKS)
    return {c.name: c.detail for c in checks if not c.ok}


def test_a_bundle_as_exported_verifies(log: Log) -> None:
    checks = verify_bundle(json.dumps(log.bundle()), trusted_keys=[log.signer.public_key])
    assert all_passed(checks), [c.line() for c in checks]
    assert [c.line() for c in checks][-2:] == [
        f"ok inclusion (leaf {INDEX} of {SIZE})",
        "ok anchor (none: the checkpoint is not anchored yet)",
    ]


def test_every_leaf_of_the_log_verifies_against_every_later_checkpoint(log: Log) -> None:
    for size in range(1, SIZE + 1):
        for index in range(size):
            assert failures(log.bundle(index, size), log) == {}


# --- Each kind of change fails, with a reason -------------------------------------------------


def _set(path: str, value):
    def change(bundle: dict) -> None:
        *parents, last = path.split(".")
        target = bundle
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _delete(path: str):
    def change(bundle: dict) -> None:
        *parents, last = path.split(".")
        target = bundle
        for part in parents:
            target = target[part]
        del target[last]

    return change


DOCUMENT_CHANGES = {
    "value-changed": _set("document.grade", "Väl godkänd"),
    "nested-value-changed": _set("document.micromerit.workload_hours", "400"),
    "key-added": _set("document.comment", ""),
    "key-removed": _delete("document.best_before"),
    "number-to-string": _set("document.version", "1"),
    "string-to-number": _set("document.micromerit.workload_hours", 40),
    "null-to-empty-string": _set("document.best_before", ""),
    "empty-object-inserted": _set("document.extra", {}),
    "empty-list-inserted": _set("document.issuer.names", []),
    "empty-object-in-list": lambda b: b["document"]["micromerit"]["learning_outcomes"].append({}),
    "list-emptied": _set("document.micromerit.learning_outcomes", []),
    "unicode-changed": _set("document.micromerit.title", "Fasadmalning – grund"),
}


@pytest.mark.parametrize("change", DOCUMENT_CHANGES.values(), ids=DOCUMENT_CHANGES.keys())
def test_a_changed_document_fails_the_digest(log: Log, change) -> None:
    bundle = log.bundle()
    change(bundle)
    failed = failures(bundle, log)
    assert failed["digest"] == "the document does not hash to the registered digest"
    assert "signature" in failed


def test_a_changed_document_with_its_digest_recomputed_fails_signature_and_inclusion(
    log: Log,
) -> None:
    bundle = log.bundle()
    bundle["document"]["grade"] = "Väl godkänd"
    bundle["digest"] = hashlib.sha256(rfc8785.dumps(bundle["document"])).hexdigest()
    failed = failures(bundle, log)
    assert set(failed) == {"signature", "inclusion"}
    assert "not the key's signature" in failed["signature"]
    assert "does not lead to the given root" in failed["inclusion"]


def test_a_document_re_signed_by_another_key_fails_the_key_check(log: Log) -> None:
    other = Log()
    bundle = other.bundle()
    failed = failures(bundle, log)
    assert "not a trusted key" in failed["key"]
    assert failed["signature"] == "not checked: key failed"


FORMAT_CHANGES = {
    "unknown-key": (_set("comment", "x"), "unknown keys: comment"),
    "empty-object-added": (_set("extra", {}), "unknown keys: extra"),
    "empty-list-added": (_set("extra", []), "unknown keys: extra"),
    "key-missing": (_delete("anchor"), "lacks anchor"),
    "key-object-extra-key": (_set("key.algorithm", "ed25519"), "key has unknown keys"),
    "key-object-missing-key": (_delete("key.id"), "key lacks id"),
    "index-as-string": (_set("leaf_index", str(INDEX)), "leaf_index must be an integer"),
    "index-as-boolean": (_set("leaf_index", True), "leaf_index must be an integer"),
    "index-as-float": (_set("leaf_index", 3.5), "leaf_index must be an integer"),
    "index-negative": (_set("leaf_index", -1), "leaf_index must be between"),
    "version-as-string": (_set("version", "1"), "version must be the number 1"),
    "other-type": (_set("type", "Bundle"), "type must be"),
    "anchor-empty-object": (_set("anchor", {}), "anchor lacks"),
    "anchor-empty-list": (_set("anchor", []), "anchor must be an object"),
    "document-empty-list": (_set("document", []), "document must be an object"),
    "proof-as-object": (_set("inclusion_proof", {}), "inclusion_proof must be a list"),
    "proof-empty-list-element": (
        lambda b: b["inclusion_proof"].append([]),
        "inclusion_proof[3] must be a string",
    ),
    "proof-hash-too-short": (
        lambda b: b["inclusion_proof"].__setitem__(0, b["inclusion_proof"][0][:62]),
        "inclusion_proof[0] must be 32 bytes",
    ),
    "proof-hash-too-long": (
        lambda b: b["inclusion_proof"].__setitem__(0, b["inclusion_proof"][0] + "00"),
        "inclusion_proof[0] must be 32 bytes",
    ),
    "proof-hash-upper-case": (
        lambda b: b["inclusion_proof"].__setitem__(0, b["inclusion_proof"][0].upper()),
        "lower-case hexadecimal",
    ),
    "digest-wrong-length": (lambda b: b.__setitem__("digest", b["digest"][:-2]), "digest must be"),
    "signature-wrong-length": (
        lambda b: b.__setitem__("signature", b["signature"] + "00"),
        "signature must be 64 bytes",
    ),
    "checkpoint-as-object": (_set("checkpoint", {}), "checkpoint must be a string"),
    "key-name-with-space": (_set("key.name", "two words"), "key.name must be"),
}


@pytest.mark.parametrize("change,reason", FORMAT_CHANGES.values(), ids=FORMAT_CHANGES.keys())
def test_a_bundle_of_the_wrong_shape_fails_the_format_check(log: Log, change, reason) -> None:
    bundle = log.bundle()
    change(bundle)
    failed = failures(bundle, log)
    assert reason in failed["format"]
    # Nothing else is judged on a bundle whose shape is wrong.
    assert set(failed) == set(CHECKS)


def test_a_proof_for_another_index_fails(log: Log) -> None:
    bundle = log.bundle()
    bundle["inclusion_proof"] = log.bundle(index=INDEX - 1)["inclusion_proof"]
    assert "does not lead to the given root" in failures(bundle, log)["inclusion"]


def test_a_claimed_index_that_is_not_the_leaf_fails(log: Log) -> None:
    bundle = log.bundle()
    bundle["leaf_index"] = INDEX + 1
    assert "inclusion" in failures(bundle, log)


def test_a_proof_for_another_tree_size_fails(log: Log) -> None:
    bundle = log.bundle()
    bundle["inclusion_proof"] = log.bundle(size=SIZE - 1)["inclusion_proof"]
    assert "inclusion" in failures(bundle, log)


def test_a_checkpoint_of_another_size_fails_the_inclusion(log: Log) -> None:
    bundle = log.bundle()
    bundle["checkpoint"] = log.bundle(size=SIZE - 1)["checkpoint"]
    assert failures(bundle, log) == {"inclusion": "inclusion proof does not lead to the given root"}


def test_an_index_beyond_the_checkpoint_fails(log: Log) -> None:
    bundle = log.bundle()
    bundle["leaf_index"] = SIZE
    assert "beyond the tree size" in failures(bundle, log)["inclusion"]


@pytest.mark.parametrize("drop", ["first", "last"])
def test_a_proof_with_a_hash_removed_or_added_fails(log: Log, drop: str) -> None:
    bundle = log.bundle()
    proof = bundle["inclusion_proof"]
    shorter = proof[1:] if drop == "first" else proof[:-1]
    bundle["inclusion_proof"] = shorter
    assert "inclusion proof has" in failures(bundle, log)["inclusion"]
    bundle["inclusion_proof"] = [*proof, proof[0]]
    assert "inclusion proof has" in failures(bundle, log)["inclusion"]


def test_a_checkpoint_whose_text_was_edited_fails(log: Log) -> None:
    bundle = log.bundle()
    bundle["checkpoint"] = bundle["checkpoint"].replace(f"\n{SIZE}\n", f"\n{SIZE + 1}\n", 1)
    assert failures(bundle, log)["checkpoint"] == "signature does not verify"


def test_a_checkpoint_signed_by_another_key_fails(log: Log) -> None:
    other = Log()
    bundle = log.bundle()
    bundle["checkpoint"] = note(other.signer, SIZE, merkle.root(log.store, SIZE))
    assert failures(bundle, log)["checkpoint"] == "signature does not verify"


def test_a_checkpoint_of_another_log_fails(log: Log) -> None:
    bundle = log.bundle()
    root = merkle.root(log.store, SIZE)
    bundle["checkpoint"] = log.signer.sign_note(
        f"other.example/log\n{SIZE}\n{base64.b64encode(root).decode()}\n"
    )
    assert "is for log 'other.example/log'" in failures(bundle, log)["checkpoint"]


def test_a_key_id_that_does_not_belong_to_the_key_fails(log: Log) -> None:
    bundle = log.bundle()
    bundle["key"]["id"] = "00000000"
    assert "key.id is not the id" in failures(bundle, log)["key"]


def test_a_changed_signature_fails(log: Log) -> None:
    bundle = log.bundle()
    signature = bytearray.fromhex(bundle["signature"])
    signature[10] ^= 1
    bundle["signature"] = signature.hex()
    assert set(failures(bundle, log)) == {"signature"}


@pytest.mark.parametrize(
    "text,reason",
    [
        (b"", "not JSON"),
        (b"\x00\xff\xfe garbage", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b'{"a": NaN}', "NaN is not JSON"),
        (b"{" * 100_000, "not JSON"),
        (b'{"leaf_index": 1, "leaf_index": 1}', "appears twice"),
    ],
    ids=["empty", "binary", "list", "null", "nan", "deep", "duplicate-key"],
)
def test_garbage_fails_the_format_check_with_a_reason(log: Log, text: bytes, reason: str) -> None:
    assert reason in failures(text, log)["format"]


def test_a_number_not_in_canonical_form_fails(log: Log) -> None:
    text = json.dumps(log.bundle()).replace('"version": 1,', '"version": 1.0,', 1)
    assert '"version": 1.0' in text
    assert "not written in canonical form" in failures(text, log)["format"]


def test_a_duplicated_key_inside_the_document_fails(log: Log) -> None:
    text = json.dumps(log.bundle(), ensure_ascii=False)
    text = text.replace('"grade": "Godkänd"', '"grade": "Godkänd", "grade": "x"')
    assert text.count('"grade"') == 2
    assert "appears twice" in failures(text, log)["format"]


# --- Reformatting still verifies ---------------------------------------------------------------


def _reverse_keys(value):
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


REFORMATS = {
    "keys-reversed": lambda b: json.dumps(_reverse_keys(b)),
    "compact": lambda b: json.dumps(b, separators=(",", ":")),
    "indented-with-tabs": lambda b: json.dumps(b, indent="\t"),
    "unicode-escaped": lambda b: json.dumps(b, ensure_ascii=True),
    "utf8-raw": lambda b: json.dumps(b, ensure_ascii=False, indent=1),
    "ascii-letters-escaped": lambda b: json.dumps(b).replace('"grade"', '"\\u0067rade"'),
    "crlf-and-spaces": lambda b: json.dumps(b, indent=3).replace("\n", "\r\n  "),
}


@pytest.mark.parametrize("reformat", REFORMATS.values(), ids=REFORMATS.keys())
def test_the_same_content_reformatted_still_verifies(log: Log, reformat) -> None:
    text = reformat(log.bundle())
    assert text != json.dumps(log.bundle(), ensure_ascii=False)
    assert failures(text.encode("utf-8"), log) == {}


def test_load_bundle_returns_the_same_content_for_every_reformatting(log: Log) -> None:
    bundle = log.bundle()
    for reformat in REFORMATS.values():
        assert load_bundle(reformat(bundle)) == bundle


def test_the_bundle_keys_are_exactly_what_the_export_writes(log: Log) -> None:
    assert set(log.bundle()) == BUNDLE_KEYS


# --- Anchors ----------------------------------------------------------------------------------


def _anchored(log: Log, root: bytes | None = None) -> dict:
    """The bundle with an anchor: a transaction carrying the root, mined into a block."""
    root = merkle.root(log.store, SIZE) if root is None else root
    fields = anchor_fields(root.hex())
    bundle = log.bundle()
    bundle["anchor"] = {
        "network": "regtest",
        "transaction": fields["raw_tx"],
        "block_header": fields["block_header"],
        "tx_index": fields["tx_index"],
        "merkle_branch": fields["merkle_branch"],
    }
    return bundle


def test_an_anchored_bundle_verifies_and_names_the_block(log: Log) -> None:
    checks = verify_bundle(json.dumps(_anchored(log)), trusted_keys=[log.signer.public_key])
    assert all_passed(checks), [c.line() for c in checks]
    assert checks[-1].line().startswith("ok anchor (regtest transaction ")
    assert " in block " in checks[-1].line()


def test_an_anchor_carrying_another_root_fails(log: Log) -> None:
    bundle = _anchored(log, root=b"\x07" * 32)
    assert "does not carry the checkpoint's root" in failures(bundle, log)["anchor"]


@pytest.mark.parametrize(
    "change",
    [
        _set("anchor.tx_index", 1),
        lambda b: b["anchor"]["merkle_branch"].reverse(),
        lambda b: b["anchor"]["merkle_branch"].pop(),
    ],
    ids=["wrong-position", "branch-reordered", "branch-shortened"],
)
def test_an_anchor_whose_branch_does_not_reach_the_header_fails(log: Log, change) -> None:
    bundle = _anchored(log)
    change(bundle)
    assert "does not lead from the transaction" in failures(bundle, log)["anchor"]


@pytest.mark.parametrize(
    "change,reason",
    [
        (_set("anchor.network", "litecoin"), "anchor.network must be one of"),
        (_set("anchor.block_header", "00" * 79), "must be 80 bytes"),
        (_set("anchor.tx_index", "1"), "anchor.tx_index must be an integer"),
        (_set("anchor.extra", None), "anchor has unknown keys"),
    ],
    ids=["network", "short-header", "index-string", "extra-key"],
)
def test_an_anchor_of_the_wrong_shape_fails_the_format(log: Log, change, reason) -> None:
    bundle = _anchored(log)
    change(bundle)
    assert reason in failures(bundle, log)["format"]


def test_an_unparseable_anchor_transaction_fails(log: Log) -> None:
    bundle = _anchored(log)
    bundle["anchor"]["transaction"] = bundle["anchor"]["transaction"][:-2]
    assert "is not a Bitcoin transaction" in failures(bundle, log)["anchor"]


# --- No database, no settings -----------------------------------------------------------------


def test_the_verifier_runs_without_django_settings(log: Log, tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(log.bundle()))
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    script = (
        "import sys; from public_verify.offline import verify_bundle, all_passed; "
        "checks = verify_bundle(open(sys.argv[1], 'rb').read()); "
        "print('\\n'.join(c.line() for c in checks)); "
        "import django.conf; assert not django.conf.settings.configured; "
        "sys.exit(0 if all_passed(checks) else 1)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "ok format"
    assert "ok key (mikromerit.test/registry" in result.stdout
