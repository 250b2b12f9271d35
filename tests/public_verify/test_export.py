"""The exported bundle of a real issued credential: it verifies offline and holds no personal data."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from public_verify import registry
from public_verify.export import bundle_json, credential_bundle
from public_verify.models import Anchor, Checkpoint
from public_verify.offline import verify_bundle
from public_verify.signing import signer
from tests.public_verify.anchors import anchor_fields
from tests.public_verify.issuing import LARS, MAJA, SOFIA, issue_to


def verify(bundle: dict) -> list[str]:
    checks = verify_bundle(bundle_json(bundle).encode(), trusted_keys=[signer().public_key])
    return [check.line() for check in checks if not check.ok]


def test_an_issued_credential_verifies_offline(published_micromerit, organisations, people):
    sofia, lars = issue_to(published_micromerit, organisations, people, SOFIA, LARS)

    bundle = credential_bundle(lars)

    assert verify(bundle) == []
    assert bundle["document"]["id"] == lars.public_id
    assert bundle["leaf_index"] == lars.registry_leaf.index
    assert bundle["key"]["id"] == signer().key_id
    assert bundle["anchor"] is None


def test_exporting_before_any_checkpoint_makes_one_that_covers_the_credential(
    published_micromerit, organisations, people
):
    [sofia] = issue_to(published_micromerit, organisations, people, SOFIA)
    assert not Checkpoint.objects.exists()

    bundle = credential_bundle(sofia)

    checkpoint = Checkpoint.objects.get()
    assert checkpoint.size == registry.log_size() > sofia.registry_leaf.index
    assert bundle["checkpoint"] == checkpoint.note


def test_the_earliest_covering_checkpoint_is_used(published_micromerit, organisations, people):
    [sofia] = issue_to(published_micromerit, organisations, people, SOFIA)
    first = registry.checkpoint_make()
    issue_to(published_micromerit, organisations, people, LARS, MAJA)
    registry.checkpoint_make()

    bundle = credential_bundle(sofia)

    assert bundle["checkpoint"] == first.note
    assert verify(bundle) == []


def test_a_later_checkpoint_with_a_confirmed_anchor_is_preferred(
    published_micromerit, organisations, people
):
    [sofia] = issue_to(published_micromerit, organisations, people, SOFIA)
    registry.checkpoint_make()
    issue_to(published_micromerit, organisations, people, LARS)
    anchored = registry.checkpoint_make()
    anchor = Anchor.objects.create(
        checkpoint=anchored, backend="bitcoin", network="regtest", **anchor_fields(anchored.root)
    )

    bundle = credential_bundle(sofia)

    assert bundle["checkpoint"] == anchored.note
    assert bundle["anchor"]["transaction"] == anchor.raw_tx
    assert verify(bundle) == []


def test_a_bundle_exported_earlier_still_verifies_after_the_log_grows(
    published_micromerit, organisations, people
):
    [sofia] = issue_to(published_micromerit, organisations, people, SOFIA)
    bundle = credential_bundle(sofia)
    issue_to(published_micromerit, organisations, people, LARS, MAJA)
    registry.checkpoint_make()

    assert verify(bundle) == []


def test_a_bundle_holds_no_personal_data_of_the_holder(published_micromerit, organisations, people):
    [sofia] = issue_to(published_micromerit, organisations, people, SOFIA)

    text = bundle_json(credential_bundle(sofia))

    number, first, last, email = SOFIA
    for secret in (number, number[2:], f"{number[2:8]}-{number[8:]}", first, last, email):
        assert secret not in text
    # The salt stays on the server: with it, the commitment could be brute-forced.
    assert sofia.holder_salt not in text
    assert json.loads(text)["document"]["holder"]["scheme"] == "sha256(salt||personnummer)"


@pytest.mark.django_db(transaction=True)
def test_a_credential_changed_in_the_database_still_exports_what_was_registered(
    published_micromerit, organisations, people
):
    [sofia] = issue_to(published_micromerit, organisations, people, SOFIA)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE micromerits_credential SET grade = %s WHERE id = %s", ["Väl godkänd", sofia.pk]
        )

    bundle = credential_bundle(sofia)

    # The export carries the signed document, not the changed row; the page and
    # registry_audit are where the change shows.
    assert bundle["document"]["grade"] == "Godkänd"
    assert verify(bundle) == []
