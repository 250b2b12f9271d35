"""The registry's commands, run as separate processes against the test database.

export_credential writes a bundle that verify_credential accepts line by line; a changed or
broken file fails with a reason and no traceback; registry_checkpoint prints the signed state;
registry_audit passes on an honest registry and names every mismatch after rows are changed
behind the portal's back with raw SQL.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from django.db import connection

from public_verify import registry
from public_verify.models import Checkpoint
from public_verify.offline import CHECKS
from tests.micromerits.test_commands import file_database, manage  # noqa: F401 (fixture)
from tests.public_verify.issuing import LARS, SOFIA, issue_to

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def issued(file_database, published_micromerit, organisations, people):  # noqa: F811
    return issue_to(published_micromerit, organisations, people, SOFIA, LARS)


def test_an_exported_credential_verifies_offline_check_by_check(issued, tmp_path):
    path = tmp_path / "intyg.json"

    exported = manage(
        "export_credential", issued[1].public_id, "--format", "json", "--out", str(path)
    )

    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"exported {issued[1].public_id} {path}"
    assert json.loads(path.read_text())["document"]["id"] == issued[1].public_id
    verified = manage("verify_credential", str(path))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lines = verified.stdout.splitlines()
    assert [line.split()[1] for line in lines] == list(CHECKS)
    assert all(line.startswith("ok ") for line in lines)
    assert "ok inclusion (leaf 1 of 2)" in lines


def test_a_changed_file_fails_naming_the_check_and_the_reason(issued, tmp_path):
    path = tmp_path / "intyg.json"
    manage("export_credential", issued[0].public_id, "--out", str(path))
    bundle = json.loads(path.read_text())
    bundle["document"]["grade"] = "Väl godkänd"
    path.write_text(json.dumps(bundle, sort_keys=True, indent=4, ensure_ascii=True))

    result = manage("verify_credential", str(path))

    assert result.returncode == 1
    assert "FAIL digest: the document does not hash to the registered digest" in result.stdout
    assert "ok checkpoint" in result.stdout
    assert "did not verify" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_reformatted_file_still_verifies(issued, tmp_path):
    path = tmp_path / "intyg.json"
    manage("export_credential", issued[0].public_id, "--out", str(path))
    bundle = json.loads(path.read_text())
    path.write_text(json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=True))

    result = manage("verify_credential", str(path))

    assert result.returncode == 0, result.stdout


def test_a_bundle_checked_against_another_public_key_fails(issued, tmp_path):
    path = tmp_path / "intyg.json"
    manage("export_credential", issued[0].public_id, "--out", str(path))

    result = manage("verify_credential", str(path), "--public-key", "ab" * 32)

    assert result.returncode == 1
    assert "FAIL key: key " in result.stdout
    assert "not a trusted key" in result.stdout


def test_garbage_files_exit_1_with_a_reason_and_no_traceback(file_database, tmp_path):  # noqa: F811
    for content in (b"", b"\x89PNG\r\n\x1a\n\x00\x00", b'[{"type": 1}]'):
        path = tmp_path / "skrap.json"
        path.write_bytes(content)

        result = manage("verify_credential", str(path))

        assert result.returncode == 1
        assert result.stdout.splitlines()[0].startswith("FAIL format: ")
        assert "Traceback" not in result.stderr


def test_bad_input_exits_1_and_wrong_usage_exits_2(file_database, tmp_path):  # noqa: F811
    cases = [
        (("verify_credential", str(tmp_path / "saknas.json")), 1, "cannot read"),
        (("verify_credential", str(tmp_path), "--public-key", "zz"), 1, "hexadecimal"),
        (("export_credential", "okänt-id", "--out", str(tmp_path / "x.json")), 1, "no credential"),
        (("export_credential", "okänt-id"), 2, "--out"),
        (("export_credential", "id", "--format", "xml", "--out", "x"), 2, "invalid choice"),
    ]
    for args, status, message in cases:
        result = manage(*args)
        assert result.returncode == status, (args, result.stdout, result.stderr)
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_pdf_export_writes_the_certificate(issued, tmp_path):
    path = tmp_path / "intyg.pdf"

    result = manage("export_credential", issued[0].public_id, "--format", "pdf", "--out", str(path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"exported {issued[0].public_id} {path}"
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert issued[0].title in " ".join(text.split())


def test_registry_checkpoint_prints_the_signed_size_and_root_and_the_audit_passes(issued):
    result = manage("registry_checkpoint")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"checkpoint 2 {registry.root(2).hex()}"
    assert Checkpoint.objects.get().size == 2
    audit = manage("registry_audit")
    assert audit.returncode == 0, audit.stderr
    assert audit.stdout.strip() == "audited 2 leaves, 1 checkpoints, 0 anchors"


def test_registry_audit_names_a_credential_changed_with_raw_sql(issued):
    registry.checkpoint_make()
    lars = issued[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE micromerits_credential SET grade = %s, assessment_date = %s WHERE id = %s",
            ["Väl godkänd", "2001-01-01", lars.pk],
        )

    result = manage("registry_audit")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"credential {lars.public_id} (leaf 1): data changed since issuing: assessment_date, grade"
    )


def test_registry_audit_names_changed_leaves_nodes_and_checkpoints(issued):
    registry.checkpoint_make()
    sofia = issued[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE public_verify_registryleaf SET document = REPLACE(document, 'Godkänd', 'Väl godkänd') "
            "WHERE credential_id = %s",
            [sofia.pk],
        )
        cursor.execute(
            'UPDATE public_verify_registrynode SET hash = %s WHERE level = 1 AND "index" = 0',
            ["00" * 32],
        )
        cursor.execute("UPDATE public_verify_checkpoint SET root = %s", ["11" * 32])

    problems = manage("registry_audit").stderr.splitlines()

    assert (
        f"credential {sofia.public_id} (leaf 0): the stored document does not hash to the stored digest"
        in problems
    )
    assert f"credential {sofia.public_id} (leaf 0): the signature does not verify" in problems
    changed = f"credential {sofia.public_id} (leaf 0): data changed since issuing: "
    assert any(p.startswith(changed) and "grade" in p.split(": ")[-1] for p in problems)
    assert "node 1/0: stored hash is not the hash of its children" in problems
    assert "checkpoint 2: the signed note states another size or root" in problems
    assert "checkpoint 2: the log's root at this size is not the checkpoint's root" in problems
