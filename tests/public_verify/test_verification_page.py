"""The public verification page /verifiera/<id>/ and its JSON twin, over HTTP.

Credentials are issued through the real issuing service; tampering is done the
way an attacker with database access would do it, with raw SQL past the
model's refusal to change an issued credential.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from wagtail.models import Page

from cms.models import HomePage
from micromerits.models import Credential
from public_verify import merkle, registry
from public_verify.document import canonical_bytes, document_digest
from public_verify.models import RegistryLeaf, RegistryNode, VerificationPage
from public_verify.signing import signer
from public_verify.verification import current_document, verify
from tests.micromerits.test_issuance import LARS, SOFIA, issue, person

#: Every way Sofia's personnummer (Skatteverket test number) can be written, and its parts.
SOFIA_FORMS = ["189001079806", "18900107-9806", "9001079806", "900107-9806", "900107+9806"]
#: The forms that name her: born 1890, so the 10-digit form takes "+" (aged 100 or more).
SOFIA_ACCEPTED = ["189001079806", "18900107-9806", "900107+9806", " 18900107 9806 "]
SOFIA_PARTS = ["900107", "9806"]


def issue_to_sofia(micromerit, organisations, people) -> Credential:
    """Fasadmålning issued to Sofia by the delegated issuer (not yet in a checkpoint)."""
    [issued] = issue(micromerit, organisations["issuer"], people["issuer"], [person()])
    return Credential.objects.get(pk=issued.pk)


def page_url(credential: Credential) -> str:
    return f"/verifiera/{credential.public_id}/"


def visible_text(response) -> str:
    """The page's text as a reader sees it: tags dropped, whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def without_random_values(body: str, credential: Credential) -> str:
    """``body`` without the random values that could by chance hold a few digits.

    The credential's random id and the checkpoint's root hash are
    not derived from the personnummer; anything else on the page must not hold it.
    """
    body = re.sub(r"[0-9a-f]{64}", "", body)
    return body.replace(credential.public_id, "")


def raw_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def backdate(credential: Credential, *, days: int, valid_days: int) -> Credential:
    """Make ``credential`` (alone in the log) look issued ``days`` ago, registered as then.

    The row is moved back in time and its leaf re-signed and re-hashed exactly as
    the issuing transaction would have done on that day, so the result is a
    genuine credential whose best-before date (``valid_days`` after issuing) may lie
    in the past: the test needs no clock but the real one.
    """
    assert registry.log_size() == 1
    issued_at = credential.issued_at - timedelta(days=days)
    issued_on = credential.issued_on - timedelta(days=days)
    raw_sql(
        "UPDATE micromerits_credential SET issued_at = %s, issued_on = %s, assessment_date = %s,"
        " best_before = %s WHERE id = %s",
        [
            issued_at,
            issued_on,
            issued_on - timedelta(days=1),
            issued_on + timedelta(days=valid_days),
            credential.pk,
        ],
    )
    credential = Credential.objects.get(pk=credential.pk)
    document = current_document(credential)
    body = canonical_bytes(document)
    digest = document_digest(document)
    leaf = RegistryLeaf.objects.get(credential=credential)
    RegistryLeaf.objects.filter(pk=leaf.pk).update(
        document=body.decode(), digest=digest.hex(), signature=signer().sign(body).hex()
    )
    RegistryNode.objects.filter(level=0, index=leaf.index).update(
        hash=merkle.leaf_hash(digest).hex()
    )
    return credential


# The page itself


def test_the_data_migration_made_one_verification_page_below_the_home_page(db):
    page = VerificationPage.objects.get()
    assert page.slug == "verifiera"
    assert page.live
    assert isinstance(page.get_parent().specific, HomePage)
    assert page.url == "/verifiera/"
    assert VerificationPage.max_count == 1
    assert not VerificationPage.can_create_at(Page.objects.get(pk=page.get_parent().pk))


def test_the_index_explains_and_offers_a_form(client, db):
    response = client.get("/verifiera/")

    assert response.status_code == 200
    text = visible_text(response)
    assert "Kontrollera ett intyg" in text
    assert "äkta" in text
    assert 'name="id"' in response.content.decode()


def test_the_index_form_takes_an_id_or_a_pasted_url(client, credential):
    by_id = client.get("/verifiera/", {"id": f"  {credential.public_id} "})
    by_url = client.get(
        "/verifiera/", {"id": f"https://mikromerit.example/verifiera/{credential.public_id}/"}
    )
    by_json_url = client.get(
        "/verifiera/", {"id": f"http://127.0.0.1:8000/verifiera/{credential.public_id}/json/"}
    )

    for response in (by_id, by_url, by_json_url):
        assert response.status_code == 302
        assert response["Location"] == page_url(credential)


def test_the_index_form_says_in_swedish_when_the_text_is_no_credential_id(client, db):
    response = client.get("/verifiera/", {"id": "hej hopp"})

    assert response.status_code == 200
    assert "Det ser inte ut som ett intygs id" in visible_text(response)


# Verdicts


def test_a_genuine_credential_is_genuine_intact_and_shows_what_it_says(client, checkpointed):
    response = client.get(page_url(checkpointed))

    assert response.status_code == 200
    body = response.content.decode()
    text = visible_text(response)
    assert "verdict--genuine" in body
    assert "Äkta? Ja. Intyget är utfärdat av Norrbyggs Måleri AB" in text
    assert "Oförändrad och fullständig? Ja." in text
    assert "Är det innehavaren?" in text
    content = checkpointed.content
    assert content["title"] in text
    for outcome in content["learning_outcomes"]:
        assert outcome["sentence"] in text
    assert "Fasadbranschens Yrkesråd" in text  # the owner organisation
    assert "Sofia Ek" in text
    assert "Körkort kontrollerat på plats" in text
    assert "Praktiskt prov på arbetsplats" in text
    assert "Godkänd" in text
    assert "Bäst före" in text
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_credential_not_yet_in_a_checkpoint_is_pending_and_never_called_tampered(
    client, credential
):
    response = client.get(page_url(credential))
    data = client.get(f"{page_url(credential)}json/").json()

    assert response.status_code == 200
    text = visible_text(response)
    assert "verdict--pending_checkpoint" in response.content.decode()
    assert "Äkta? Väntar på bekräftelse." in text
    assert "betyder inte att något är fel" in text
    assert "Oförändrad och fullständig? Ja." in text
    assert "Nej" not in text
    assert data["status"] == "pending_checkpoint"
    assert data["genuine"]["answer"] == "pending"
    assert data["intact"] == {
        "answer": "yes",
        "word": "Ja",
        "changed_parts": [],
        "text": data["intact"]["text"],
    }


def test_a_row_changed_in_the_database_makes_the_page_say_data_changed_and_name_the_part(
    client, checkpointed
):
    raw_sql(
        "UPDATE micromerits_credential SET assessment = %s WHERE id = %s",
        ["Teoretiskt prov hemma", checkpointed.pk],
    )

    response = client.get(page_url(checkpointed))
    data = client.get(f"{page_url(checkpointed)}json/").json()

    assert response.status_code == 200
    text = visible_text(response)
    assert "verdict--data_changed" in response.content.decode()
    assert "Äkta? Nej." in text
    assert "Oförändrad och fullständig? Nej." in text
    assert "stämmer inte längre med det som registrerades: bedömningen" in text
    assert data["status"] == "data_changed"
    assert data["intact"]["answer"] == "no"
    assert data["intact"]["changed_parts"] == ["bedömningen"]


def test_changed_grade_and_learning_outcomes_are_each_named(client, checkpointed):
    raw_sql(
        "UPDATE micromerits_credential SET grade = %s WHERE id = %s",
        ["Väl godkänd", checkpointed.pk],
    )
    content = dict(checkpointed.content)
    content["learning_outcomes"] = content["learning_outcomes"][:1]
    raw_sql(
        "UPDATE micromerits_micromeritversion SET content = %s WHERE id = %s",
        [json.dumps(content), checkpointed.version_id],
    )

    data = client.get(f"{page_url(checkpointed)}json/").json()

    assert data["status"] == "data_changed"
    assert data["intact"]["changed_parts"] == ["betyget", "läranderesultaten"]


def test_a_credential_moved_to_another_person_names_the_holder_as_changed(
    client, checkpointed, published_micromerit, organisations, people
):
    [lars] = issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        [person(number=LARS, first="Lars", last="Berg", email="lars@example.se")],
    )
    registry.checkpoint_make()
    assert "verdict--genuine" in client.get(page_url(checkpointed)).content.decode()  # and kept
    raw_sql(
        "UPDATE micromerits_credential SET recipient_id = %s WHERE id = %s",
        [lars.recipient_id, checkpointed.pk],
    )

    response = client.get(page_url(checkpointed))
    holder_check = client.post(page_url(checkpointed), {"personnummer": SOFIA})

    text = visible_text(response)
    assert "verdict--data_changed" in response.content.decode()
    assert "stämmer inte längre med det som registrerades: innehavaren" in text
    # The check still answers for the person the registry recorded at issuing.
    assert "Stämmer. Personnumret stämmer med intygets innehavare." in visible_text(holder_check)


def test_a_credential_missing_from_the_registry_is_not_genuine(client, checkpointed):
    raw_sql("DELETE FROM public_verify_registryleaf WHERE credential_id = %s", [checkpointed.pk])

    response = client.get(page_url(checkpointed))
    data = client.get(f"{page_url(checkpointed)}json/").json()

    assert response.status_code == 200
    assert "Äkta? Nej. Intyget finns inte i mikromeritregistret." in visible_text(response)
    assert data["status"] == "not_registered"
    assert data["registry"] == {"leaf_index": None, "checkpoint": None}


def test_a_tampered_stored_signature_makes_the_signature_invalid(client, checkpointed):
    leaf = RegistryLeaf.objects.get(credential=checkpointed)
    forged = ("00" if not leaf.signature.startswith("00") else "11") + leaf.signature[2:]
    raw_sql("UPDATE public_verify_registryleaf SET signature = %s WHERE id = %s", [forged, leaf.pk])

    response = client.get(page_url(checkpointed))
    data = client.get(f"{page_url(checkpointed)}json/").json()

    text = visible_text(response)
    assert "verdict--signature_invalid" in response.content.decode()
    assert "Äkta? Nej. Portalens signatur på det registrerade intyget är ogiltig" in text
    assert "Oförändrad och fullständig? Kan inte avgöras." in text
    assert data["status"] == "signature_invalid"
    assert data["intact"]["answer"] == "unknown"


def test_a_passed_best_before_date_is_shown_and_the_credential_stays_genuine(client, credential):
    credential = backdate(credential, days=400, valid_days=30)
    registry.checkpoint_make()

    response = client.get(page_url(credential))
    data = client.get(f"{page_url(credential)}json/").json()

    text = visible_text(response)
    assert "verdict--genuine" in response.content.decode()
    assert "Äkta? Ja." in text
    assert "har passerat. Intyget är fortfarande äkta" in text
    assert data["status"] == "genuine"
    assert data["best_before"]["passed"] is True
    assert data["best_before"]["date"] == credential.best_before.isoformat()


def test_a_best_before_date_still_ahead_is_not_passed(client, checkpointed):
    data = client.get(f"{page_url(checkpointed)}json/").json()

    assert data["best_before"]["passed"] is False
    assert data["best_before"]["date"] == checkpointed.best_before.isoformat()


# Unknown and malformed ids


@pytest.mark.parametrize(
    "path",
    [
        "/verifiera/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",  # well-formed, unknown
        "/verifiera/abc/",  # too short
        "/verifiera/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
        "/verifiera/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/extra/parts/",
        "/verifiera/" + "A" * 200 + "/",
    ],
)
def test_unknown_and_malformed_ids_get_a_friendly_404(client, db, path):
    response = client.get(path)

    assert response.status_code == 404
    text = visible_text(response)
    assert "Intyget hittades inte" in text
    assert "<script>" not in response.content.decode()
    assert 'name="id"' in response.content.decode()


def test_the_json_endpoint_answers_404_for_an_unknown_id(client, db):
    response = client.get("/verifiera/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/json/")

    assert response.status_code == 404
    assert response.json()["status"] == "not_found"


# JSON


def test_the_json_endpoint_mirrors_the_page(client, checkpointed):
    page = client.get(page_url(checkpointed))
    response = client.get(f"{page_url(checkpointed)}json/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    text = visible_text(page)
    assert data["id"] == checkpointed.public_id
    assert data["verification_url"].endswith(page_url(checkpointed))
    assert f"verdict--{data['status']}" in page.content.decode()
    for question in ("genuine", "intact"):
        assert f"{data[question]['word']}. {data[question]['text']}" in text
    assert data["best_before"]["text"] in text
    shown = data["credential"]
    for value in (
        shown["title"],
        shown["issuer"]["name"],
        shown["owner"]["name"],
        shown["assessment"],
        shown["identity_check"],
        shown["grade"],
        shown["holder_name"],
        *shown["learning_outcomes"],
    ):
        assert value in text
    assert data["registry"]["leaf_index"] == 0
    assert data["registry"]["checkpoint"]["size"] == 1


# Personal data


def test_neither_page_nor_json_shows_the_personnummer_salt_or_commitment(client, checkpointed):
    leaf = RegistryLeaf.objects.get(credential=checkpointed)
    commitment = json.loads(leaf.document)["holder"]["commitment"]
    responses = [
        client.get(page_url(checkpointed)),
        client.get(f"{page_url(checkpointed)}json/"),
        client.post(page_url(checkpointed), {"personnummer": "18900107-9806"}),
        client.post(page_url(checkpointed), {"personnummer": LARS}),
        client.post(page_url(checkpointed), {"personnummer": "900107-980"}),  # invalid
        client.post(f"{page_url(checkpointed)}json/", {"personnummer": SOFIA}),
    ]

    for response in responses:
        assert response.status_code == 200
        body = without_random_values(response.content.decode(), checkpointed)
        for secret in [*SOFIA_FORMS, *SOFIA_PARTS, LARS]:
            assert secret not in body
        assert checkpointed.holder_salt not in body
        assert commitment not in body
        assert "salt" not in body.lower()
        assert "commitment" not in body.lower()


# Language


def test_the_english_version_answers_in_english(client, checkpointed):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": page_url(checkpointed)}, follow=True
    )

    assert response.status_code == 200
    text = visible_text(response)
    assert "Genuine? Yes." in text
    assert "Unchanged and complete? Yes." in text
    assert "Is it the holder?" in text
    assert "Äkta?" not in text
    data = client.get(f"{page_url(checkpointed)}json/").json()
    assert data["genuine"]["word"] == "Yes"

    back = client.post(
        "/i18n/setlang/", {"language": "sv", "next": page_url(checkpointed)}, follow=True
    )
    assert "Äkta? Ja." in visible_text(back)


# Public pages are ready for a strict Content-Security-Policy


def test_the_public_pages_have_no_inline_scripts_or_styles(client, checkpointed):
    for path in ("/verifiera/", page_url(checkpointed), "/verifiera/unknown-id/"):
        body = client.get(path).content.decode()
        assert "<script" not in body
        assert "style=" not in body
        assert "<style" not in body
        assert not re.search(r"\son[a-z]+=", body)


def test_other_methods_than_get_and_post_are_not_allowed(client, checkpointed):
    assert client.put(page_url(checkpointed)).status_code == 405
    assert client.delete(f"{page_url(checkpointed)}json/").status_code == 405


# The include other pages use (the holder's share page)


def test_the_verdict_include_needs_only_a_verdict_and_a_credential(checkpointed):
    rendered = render_to_string(
        "public_verify/includes/verdict.html",
        {"verdict": verify(checkpointed), "credential": checkpointed},
    )

    text = " ".join(re.sub(r"<[^>]+>", " ", rendered).split())
    assert "verdict--genuine" in rendered
    assert "Äkta? Ja. Intyget är utfärdat av Norrbyggs Måleri AB" in text
    assert "Oförändrad och fullständig? Ja." in text
    assert "Bäst före" in text
