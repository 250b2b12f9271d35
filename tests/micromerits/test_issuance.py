"""Issuing: who may issue, what a credential freezes, encryption at rest, immutability, e-mail."""

from __future__ import annotations

import base64
import email
import socket
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from micromerits import crypto, services
from micromerits.issuance import IssuanceRefused, add_months, credentials_issue
from micromerits.models import Credential, ImmutableError, IssuanceBatch, Recipient
from micromerits.recipient_list import RecipientRow, read_recipient_list
from micromerits.spreadsheet import WorkbookError
from permissions.models import Role
from permissions.services import representative_add
from tests.conftest import SHARED_DATA

#: From Skatteverket's published test numbers (shared/data/testpersonnummer.csv).
SOFIA = "189001079806"
LARS = "189001089813"


def person(
    number=SOFIA, first="Sofia", last="Ek", email="sofia.ek@example.se", **extra
) -> RecipientRow:
    values = {
        "first_name": first,
        "last_name": last,
        "personnummer": number,
        "email": email,
        "assessment_date": timezone.localdate() - timedelta(days=3),
        "grade": "Godkänd",
        "best_before": None,
        "comment": "",
        "identity_check": "Körkort kontrollerat på plats",
        "assessment": "Praktiskt prov på arbetsplats",
        "row": 2,
    }
    values.update(extra)
    return RecipientRow(**values)


def issue(micromerit, organisation, by, rows):
    return credentials_issue(
        micromerit=micromerit, organisation=organisation, rows=rows, by=by, source="form"
    )


def test_an_issuer_issues_and_the_credential_records_everything(
    published_micromerit, organisations, people
):
    [credential] = issue(
        published_micromerit, organisations["issuer"], people["issuer"], [person()]
    )

    credential = Credential.objects.get(pk=credential.pk)
    assert credential.issuer == organisations["issuer"]
    assert credential.issued_by == people["issuer"]
    assert credential.issued_on == timezone.localdate()
    assert credential.grade == "Godkänd"
    assert credential.identity_check == "Körkort kontrollerat på plats"
    # Fasadmålning's validity period is 60 months.
    assert credential.best_before == add_months(credential.issued_on, 60)
    assert credential.content["title"] == published_micromerit.title
    assert credential.content["owner"]["orgnr"] == "802000-1239"
    assert len(credential.content["learning_outcomes"]) == 4
    assert credential.version.revision_id == published_micromerit.live_revision_id
    assert len(credential.public_id) >= 32  # 192 random bits, URL-safe
    assert credential.recipient.personnummer == SOFIA
    assert credential.recipient.first_name == "Sofia"


def test_the_same_person_issued_twice_is_one_recipient(published_micromerit, organisations, people):
    issue(published_micromerit, organisations["issuer"], people["issuer"], [person()])
    issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        [person(email="sofia.ny@example.se")],
    )
    assert Recipient.objects.count() == 1
    assert Recipient.objects.get().email == "sofia.ny@example.se"
    assert Credential.objects.count() == 2


def test_a_credential_keeps_its_copy_when_the_micromerit_changes(
    published_micromerit, organisations, people
):
    [credential] = issue(
        published_micromerit, organisations["issuer"], people["issuer"], [person()]
    )
    published_micromerit.title = "Ny titel"
    published_micromerit.save_revision(user=people["owner_creator"]).publish(
        user=people["owner_creator"]
    )
    assert Credential.objects.get(pk=credential.pk).content["title"] == (
        "Fasadmålning med silikat- och linoljefärg"
    )


def test_a_draft_never_leaks_into_an_issued_credential(published_micromerit, organisations, people):
    draft = published_micromerit.get_latest_revision_as_object()
    draft.title = "Hemligt utkast"
    draft.save_revision(user=people["owner_creator"])
    [credential] = issue(
        published_micromerit, organisations["issuer"], people["issuer"], [person()]
    )
    assert credential.content["title"] == "Fasadmålning med silikat- och linoljefärg"


def refused(micromerit, organisation, by):
    with pytest.raises(IssuanceRefused) as refusal:
        issue(micromerit, organisation, by, [person()])
    assert not Credential.objects.exists()
    assert not Recipient.objects.exists()
    return refusal.value.message


def test_an_organisation_without_the_right_is_refused(
    published_micromerit, organisations, make_representative
):
    outsider_issuer = make_representative("outsider-issuer", organisations["outsider"], Role.ISSUER)
    assert "utfärdanderätt" in refused(
        published_micromerit, organisations["outsider"], outsider_issuer
    )


def test_a_withdrawn_right_is_refused(published_micromerit, organisations, people):
    right = published_micromerit.issuing_rights.active().get(organisation=organisations["issuer"])
    services.issuing_right_withdraw(right=right, by=people["owner_creator"])
    refused(published_micromerit, organisations["issuer"], people["issuer"])


def test_an_unpublished_micromerit_is_refused(published_micromerit, organisations, people):
    published_micromerit.unpublish(user=people["owner_creator"])
    assert "inte publicerad" in refused(
        published_micromerit, organisations["issuer"], people["issuer"]
    )


def test_the_owners_creator_cannot_issue_when_the_owner_holds_no_right(
    published_micromerit, organisations, people
):
    # The owner's creator is not an issuer, and the owner holds no issuing right.
    refused(published_micromerit, organisations["owner"], people["owner_creator"])
    representative_add(
        user=people["owner_creator"], organisation=organisations["owner"], role=Role.ISSUER
    )
    refused(published_micromerit, organisations["owner"], people["owner_creator"])


def test_a_person_who_is_not_the_organisations_issuer_is_refused(
    published_micromerit, organisations, people
):
    refused(published_micromerit, organisations["issuer"], people["issuer_creator"])


def test_one_bad_row_issues_nothing(published_micromerit, organisations, people):
    rows = [person(), person(LARS, "Lars-Göran", "Nilsson", grade="Mästerlig", row=3)]
    with pytest.raises(WorkbookError) as error:
        issue(published_micromerit, organisations["issuer"], people["issuer"], rows)
    assert [p.row for p in error.value.problems] == [3]
    assert not Credential.objects.exists()
    assert not Recipient.objects.exists()
    assert not IssuanceBatch.objects.exists()


def test_the_same_person_twice_in_one_batch_issues_nothing(
    published_micromerit, organisations, people
):
    with pytest.raises(WorkbookError):
        issue(
            published_micromerit,
            organisations["issuer"],
            people["issuer"],
            [person(), person(row=3)],
        )
    assert not Credential.objects.exists()


def test_an_assessment_in_the_future_or_a_past_best_before_issues_nothing(
    published_micromerit, organisations, people
):
    today = timezone.localdate()
    for row in (person(assessment_date=today + timedelta(days=1)), person(best_before=today)):
        with pytest.raises(WorkbookError):
            issue(published_micromerit, organisations["issuer"], people["issuer"], [row])
    assert not Credential.objects.exists()


def test_a_shared_recipient_list_issues_one_credential_per_row(
    published_micromerit, organisations, people
):
    path = SHARED_DATA / "recipients" / "fasadmalning-mottagare.xlsx"
    rows = read_recipient_list(
        path.read_bytes(),
        filename=path.name,
        today=timezone.localdate(),
        grades=published_micromerit.grades,
        default_identity_check="Legitimation",
        default_assessment="Praktiskt prov",
    )
    credentials = issue(published_micromerit, organisations["issuer"], people["issuer"], rows)
    assert len(credentials) == len(rows) > 1
    assert [c.recipient.personnummer for c in credentials] == [r.personnummer for r in rows]


def test_issued_credentials_cannot_be_changed_or_deleted(
    published_micromerit, organisations, people
):
    [credential] = issue(
        published_micromerit, organisations["issuer"], people["issuer"], [person()]
    )
    credential.grade = "Underkänd"
    with pytest.raises(ImmutableError):
        credential.save()
    with pytest.raises(ImmutableError):
        credential.delete()
    with pytest.raises(ImmutableError):
        Credential.objects.filter(pk=credential.pk).update(grade="Underkänd")
    with pytest.raises(ImmutableError):
        Credential.objects.filter(pk=credential.pk).delete()
    assert Credential.objects.get(pk=credential.pk).grade == "Godkänd"


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 60) == date(2031, 11, 15)


def database_bytes() -> bytes:
    """Everything the database stores, as raw bytes (SQLite) or row text of every table (PostgreSQL)."""
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        data = path.read_bytes()
        wal = path.with_name(path.name + "-wal")
        return data + (wal.read_bytes() if wal.exists() else b"")
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT CAST(t AS text) FROM "{table}" t')  # noqa: S608 - table names from introspection
            chunks.extend(row[0].encode() for row in cursor.fetchall())
    return b"\n".join(chunks)


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_no_plaintext_personnummer_name_or_email(
    organisations, people, published_micromerit
):
    issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        [person(first="Hjördis", last="Zetterqvist", email="hjordis.zetterqvist@example.se")],
    )
    raw = database_bytes()
    assert Credential.objects.count() == 1
    for secret in (SOFIA, SOFIA[2:], "Hjördis", "Zetterqvist", "hjordis.zetterqvist"):
        assert secret.encode() not in raw, secret
    # The values are there, encrypted: the application reads them back.
    assert Recipient.objects.get().last_name == "Zetterqvist"


@pytest.fixture
def env_keys(monkeypatch):
    """Set the encryption keys through the environment, as production does."""
    index_key = base64.urlsafe_b64encode(b"i" * 32).decode()

    def use(*keys: bytes) -> None:
        monkeypatch.setenv("PORTAL_ENCRYPTION_KEYS", ",".join(k.decode() for k in keys))
        monkeypatch.setenv("PORTAL_BLIND_INDEX_KEY", index_key)
        crypto.reset_keyring()

    yield use
    crypto.reset_keyring()


def test_key_rotation_moves_every_recipient_to_the_new_key(
    published_micromerit, organisations, people, env_keys
):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    env_keys(old)
    issue(published_micromerit, organisations["issuer"], people["issuer"], [person()])

    env_keys(new, old)  # the new key first: it encrypts, both decrypt
    call_command("rotate_encryption_keys", verbosity=0)

    env_keys(new)  # the old key is gone
    recipient = Recipient.objects.get()
    assert (recipient.personnummer, recipient.first_name, recipient.email) == (
        SOFIA,
        "Sofia",
        "sofia.ek@example.se",
    )
    env_keys(old)
    with pytest.raises(InvalidToken):
        Recipient.objects.get()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
        ):
            yield inbox
    finally:
        controller.stop()


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_the_worker_delivers_the_notice_through_a_real_smtp_server(
    smtp_server, organisations, people, published_micromerit
):
    issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        [person(), person(LARS, "Lars-Göran", "Nilsson", email="lg@example.se", row=3)],
    )
    assert smtp_server.messages == []  # queued, not sent inside the request

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "lg@example.se",
        "sofia.ek@example.se",
    ]
    text = smtp_server.messages[0].content.decode("utf-8", "replace")
    message = email.message_from_bytes(smtp_server.messages[0].content)
    body = message.get_payload(decode=True).decode("utf-8")
    assert "Fasadmålning" in body and "Norrbyggs Måleri AB" in body
    assert "/mina-mikromeriter/" in body
    assert "In English" in body
    for secret in (SOFIA, SOFIA[2:], LARS, LARS[2:], "Godkänd", "Praktiskt prov"):
        assert secret not in text


def test_a_public_id_never_starts_with_a_hyphen_so_commands_can_take_it():
    from micromerits.models import new_public_id

    ids = [new_public_id() for _ in range(5000)]

    assert not any(public_id.startswith("-") for public_id in ids)
    assert len(set(ids)) == len(ids)
    assert all(len(public_id) == 32 for public_id in ids)
