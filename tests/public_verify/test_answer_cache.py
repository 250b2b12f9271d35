"""Kept verification answers (public_verify.answer_cache): fast, and never stale.

Each test first asks for an answer, so that it is kept, then changes the state
the way an attacker with database access (raw SQL) or the registry's own work
would, and asks again over HTTP: the second answer must be the one working it
out afresh gives.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from micromerits.models import Credential
from public_verify import answer_cache, registry
from public_verify.models import Checkpoint, RegistryLeaf, RegistryNode, VerificationPage
from public_verify.verification import verify
from tests.micromerits.test_issuance import LARS, SOFIA, issue, person
from tests.public_verify.test_verification_page import (
    page_url,
    raw_sql,
    visible_text,
)


def json_url(credential: Credential) -> str:
    return f"{page_url(credential)}json/"


def status(client, credential) -> str:
    return client.get(json_url(credential)).json()["status"]


def test_a_kept_answer_is_served_with_one_query_and_is_the_same_as_worked_out(
    client, checkpointed, django_assert_num_queries
):
    worked_out = client.get(page_url(checkpointed))
    worked_out_json = client.get(json_url(checkpointed))

    with django_assert_num_queries(1):
        kept = client.get(page_url(checkpointed))
    with django_assert_num_queries(1):
        kept_json = client.get(json_url(checkpointed))

    assert kept.status_code == worked_out.status_code == 200
    assert kept.content == worked_out.content
    assert kept["Content-Type"] == worked_out["Content-Type"]
    assert "no-store" in kept["Cache-Control"]  # kept by the server, never by browsers
    assert kept_json.json() == worked_out_json.json()
    assert kept_json.json()["status"] == "genuine"


def test_every_visitor_gets_the_same_page_so_there_is_no_token_to_keep(checkpointed):
    first, second = Client(), Client()

    assert first.get(page_url(checkpointed)).content == second.get(page_url(checkpointed)).content
    assert "csrfmiddlewaretoken" not in first.get(page_url(checkpointed)).content.decode()


def forged_signature(credential) -> str:
    signature = RegistryLeaf.objects.get(credential=credential).signature
    return ("00" if not signature.startswith("00") else "11") + signature[2:]


#: Changes made behind the portal's back: (SQL and its parameters, the status the page must show).
TAMPERING = {
    "credential row": lambda c: (
        "UPDATE micromerits_credential SET assessment = %s WHERE id = %s",
        ["Teoretiskt prov hemma", c.pk],
        "data_changed",
    ),
    "frozen mikromerit content": lambda c: (
        "UPDATE micromerits_micromeritversion SET content = %s WHERE id = %s",
        [json.dumps(dict(c.content, title="Fasadmålning, avancerad")), c.version_id],
        "data_changed",
    ),
    "issuing organisation": lambda c: (
        "UPDATE micromerits_organisation SET name = %s WHERE id = %s",
        ["Fusk AB", c.issuer_id],
        "data_changed",
    ),
    "issuing representative": lambda c: (
        "UPDATE auth_user SET first_name = %s, last_name = %s WHERE id = %s",
        ["Någon", "Annan", c.issued_by_id],
        "data_changed",
    ),
    "leaf signature": lambda c: (
        "UPDATE public_verify_registryleaf SET signature = %s WHERE credential_id = %s",
        [forged_signature(c), c.pk],
        "signature_invalid",
    ),
    "leaf removed": lambda c: (
        "DELETE FROM public_verify_registryleaf WHERE credential_id = %s",
        [c.pk],
        "not_registered",
    ),
    "checkpoint root": lambda c: (
        "UPDATE public_verify_checkpoint SET root = %s",
        ["ab" * 32],
        "data_changed",
    ),
    "checkpoint note": lambda c: (
        "UPDATE public_verify_checkpoint SET note = %s",
        [Checkpoint.objects.get().note.replace("\n", " (forged)\n", 1)],  # its origin line
        "data_changed",
    ),
}


@pytest.mark.parametrize("change", TAMPERING, ids=list(TAMPERING))
def test_a_change_behind_the_portals_back_shows_on_the_very_next_request(
    client, checkpointed, change
):
    kept_page = client.get(page_url(checkpointed))
    assert status(client, checkpointed) == "genuine"
    assert "Äkta? Ja." in visible_text(kept_page)
    assert answer_cache.lookup(checkpointed.public_id, answer_cache.HTML) is not None

    sql, params, expected = TAMPERING[change](checkpointed)
    raw_sql(sql, params)

    page = client.get(page_url(checkpointed))
    assert status(client, checkpointed) == expected
    assert f"verdict--{expected}" in page.content.decode()
    assert "Äkta? Ja." not in visible_text(page)


def test_the_holders_new_name_shows_at_once(client, checkpointed):
    client.get(page_url(checkpointed))
    recipient = checkpointed.recipient
    recipient.first_name = "Sofie"
    recipient.save()

    text = visible_text(client.get(page_url(checkpointed)))

    assert "utfärdad till Sofie " in text
    assert "Äkta? Ja." in text  # the name is not part of what was registered


def test_a_pending_answer_turns_genuine_as_soon_as_a_checkpoint_covers_the_leaf(client, credential):
    assert status(client, credential) == "pending_checkpoint"
    assert status(client, credential) == "pending_checkpoint"

    registry.checkpoint_make()

    assert status(client, credential) == "genuine"


def test_swedish_and_english_answers_are_kept_apart(client, checkpointed):
    swedish = visible_text(client.get(page_url(checkpointed)))
    client.post("/i18n/setlang/", {"language": "en", "next": page_url(checkpointed)})
    english = visible_text(client.get(page_url(checkpointed)))
    english_json = client.get(json_url(checkpointed)).json()

    assert "Äkta? Ja." in swedish
    assert "Genuine? Yes." in english
    assert english_json["genuine"]["word"] == "Yes"
    assert "Äkta? Ja." in visible_text(Client().get(page_url(checkpointed)))


def test_a_holder_checks_answer_is_never_kept(client, checkpointed):
    client.get(page_url(checkpointed))
    checked = client.post(page_url(checkpointed), {"personnummer": SOFIA})

    after = client.get(page_url(checkpointed))

    assert "Stämmer." in visible_text(checked)
    assert "Stämmer." not in visible_text(after)
    assert "holder-result" not in after.content.decode()


def test_an_unknown_id_is_never_kept(client, db):
    page = VerificationPage.objects.get().pk
    assert answer_cache.state("x" * 32, answer_cache.HTML, page) is None
    assert client.get(f"/verifiera/{'x' * 32}/").status_code == 404
    assert answer_cache.state("not an id!", answer_cache.HTML, page) is None


def test_the_key_follows_the_best_before_date_not_the_calendar(
    published_micromerit, organisations, people
):
    [issued] = issue(published_micromerit, organisations["issuer"], people["issuer"], [person()])
    credential = Credential.objects.get(pk=issued.pk)
    best_before = timezone.localdate() + timedelta(days=10)
    raw_sql(
        "UPDATE micromerits_credential SET best_before = %s WHERE id = %s",
        [best_before, credential.pk],
    )

    page = VerificationPage.objects.get().pk

    def key(day):
        return answer_cache.state(credential.public_id, answer_cache.HTML, page, today=day).key

    assert key(best_before - timedelta(days=5)) == key(best_before)
    assert key(best_before) != key(best_before + timedelta(days=1))
    assert key(best_before + timedelta(days=1)) == key(best_before + timedelta(days=300))
    assert answer_cache.state(credential.public_id, answer_cache.JSON, page).key != key(None)


def test_with_no_keeping_time_nothing_is_kept(client, checkpointed, settings):
    settings.PORTAL_VERIFICATION_CACHE_SECONDS = 0

    assert client.get(page_url(checkpointed)).status_code == 200
    assert answer_cache.lookup(checkpointed.public_id, answer_cache.HTML) is None


@pytest.fixture
def in_a_tree(credential, published_micromerit, organisations, people) -> Credential:
    """Sofia's credential as leaf 0 of two under one checkpoint: its proof has a node."""
    issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        [person(number=LARS, first="Lars", last="Berg", email="lars@example.se")],
    )
    registry.checkpoint_make()
    return credential


def worked_out(credential) -> str:
    return verify(Credential.objects.get(pk=credential.pk)).status


def test_a_checkpoint_whose_size_was_changed_is_reported_not_kept(client, in_a_tree):
    assert client.get(json_url(in_a_tree)).json()["registry"]["checkpoint"]["size"] == 2

    # The note still says 2; the size column now claims a tree of one leaf, still covering leaf 0.
    raw_sql("UPDATE public_verify_checkpoint SET size = 1", [])

    after = client.get(json_url(in_a_tree)).json()
    assert worked_out(in_a_tree) == after["status"] == "data_changed"
    assert after["registry"]["checkpoint"]["size"] == 1


def test_a_checkpoint_claiming_a_larger_tree_than_the_log_holds_is_data_changed(
    client, checkpointed
):
    raw_sql("UPDATE public_verify_checkpoint SET size = 1000", [])

    assert status(client, checkpointed) == "data_changed"  # not a server error


def test_the_proofs_nodes_are_part_of_the_state_both_ways(client, in_a_tree):
    sibling = RegistryNode.objects.get(level=0, index=1)  # leaf 0's audit path
    good = sibling.hash
    assert status(client, in_a_tree) == "genuine"  # kept

    raw_sql(
        "UPDATE public_verify_registrynode SET hash = %s WHERE id = %s", ["00" * 32, sibling.pk]
    )
    assert status(client, in_a_tree) == "data_changed"
    assert status(client, in_a_tree) == "data_changed"  # kept

    raw_sql("UPDATE public_verify_registrynode SET hash = %s WHERE id = %s", [good, sibling.pk])
    assert worked_out(in_a_tree) == status(client, in_a_tree) == "genuine"


def test_an_unpublished_verification_page_answers_nothing_any_more(client, checkpointed):
    assert client.get(page_url(checkpointed)).status_code == 200  # kept

    VerificationPage.objects.get().unpublish()

    assert client.get(page_url(checkpointed)).status_code == 404
    assert client.get(json_url(checkpointed)).status_code == 404


def test_a_view_restriction_is_wagtails_to_enforce_and_its_answers_are_never_kept(
    client, checkpointed
):
    from wagtail.models import PageViewRestriction

    assert "Äkta? Ja." in visible_text(client.get(page_url(checkpointed)))  # kept
    PageViewRestriction.objects.create(
        page=VerificationPage.objects.get().get_parent(),  # a page above it
        restriction_type=PageViewRestriction.PASSWORD,
        password="hemligt-lösen",
    )

    asked = client.get(page_url(checkpointed))
    assert "Äkta? Ja." not in visible_text(asked)
    assert 'name="password"' in asked.content.decode()
    page = VerificationPage.objects.get().pk
    assert answer_cache.state(checkpointed.public_id, answer_cache.HTML, page).restricted


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the server-binding cursor is PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
def test_the_state_query_reconnects_after_the_database_dropped_the_connection(
    published_micromerit, organisations, people
):
    """Production keeps connections (CONN_MAX_AGE) with health checks: a dropped one is replaced."""
    import psycopg

    [issued] = issue(published_micromerit, organisations["issuer"], people["issuer"], [person()])
    page = 0  # any page id: the state only reads it (a transactional test may run without pages)
    kept = connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=True)
    try:
        assert answer_cache.state(issued.public_id, answer_cache.JSON, page)
        connection.close_if_unusable_or_obsolete()  # the request ends
        params = {
            k: v
            for k, v in connection.get_connection_params().items()
            if k not in ("context", "cursor_factory")
        }
        with psycopg.connect(**params, autocommit=True) as other:  # a restart, a dropped idle link
            other.execute(
                "SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid]
            )
        connection.close_if_unusable_or_obsolete()  # the next request begins

        assert answer_cache.state(issued.public_id, answer_cache.JSON, page)
    finally:
        connection.close()
        connection.settings_dict.update(CONN_MAX_AGE=kept[0], CONN_HEALTH_CHECKS=kept[1])
