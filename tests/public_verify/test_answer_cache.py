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
from django.test import Client
from django.utils import timezone

from micromerits.models import Credential
from public_verify import answer_cache, registry
from public_verify.models import Checkpoint, RegistryLeaf
from tests.micromerits.test_issuance import SOFIA, issue, person
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
    assert answer_cache.state_key("x" * 32, answer_cache.HTML) is None
    assert client.get(f"/verifiera/{'x' * 32}/").status_code == 404
    assert answer_cache.state_key("not an id!", answer_cache.HTML) is None


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

    def key(day):
        return answer_cache.state_key(credential.public_id, answer_cache.HTML, today=day)

    assert key(best_before - timedelta(days=5)) == key(best_before)
    assert key(best_before) != key(best_before + timedelta(days=1))
    assert key(best_before + timedelta(days=1)) == key(best_before + timedelta(days=300))
    assert answer_cache.state_key(credential.public_id, answer_cache.JSON) != key(None)


def test_with_no_keeping_time_nothing_is_kept(client, checkpointed, settings):
    settings.PORTAL_VERIFICATION_CACHE_SECONDS = 0

    assert client.get(page_url(checkpointed)).status_code == 200
    assert answer_cache.lookup(checkpointed.public_id, answer_cache.HTML) is None
