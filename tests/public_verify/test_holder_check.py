"""The holder check on the verification page: "stämmer" / "stämmer inte", rate limits, audit log.

Over HTTP through the page's form and the JSON endpoint. The rate limit's store
is the database, so a test also counts attempts made by another process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from wagtail.models import ModelLogEntry

from micromerits.models import Credential
from public_verify import registry
from public_verify.holder_check import LOG_HOLDER_CHECK, Outcome, client_key, holder_check
from public_verify.models import HolderCheckAttempt
from tests.conftest import REPO_DIR
from tests.micromerits.test_issuance import LARS, SOFIA, issue, person
from tests.public_verify.test_verification_page import (
    SOFIA_ACCEPTED,
    SOFIA_FORMS,
    SOFIA_PARTS,
    page_url,
    visible_text,
    without_random_values,
)

#: Small limits, so that a test reaches them in a few requests.
TIGHT = {"client": (3, 3600), "credential": (100, 86400)}
TIGHT_PER_CREDENTIAL = {"client": (100, 3600), "credential": (3, 86400)}


def check(client, credential, number, *, address="192.0.2.10"):
    return client.post(page_url(credential), {"personnummer": number}, REMOTE_ADDR=address)


def check_json(client, credential, number, *, address="192.0.2.10"):
    return client.post(
        f"{page_url(credential)}json/", {"personnummer": number}, REMOTE_ADDR=address
    )


def holder_checks_logged(credential) -> list[ModelLogEntry]:
    return list(
        ModelLogEntry.objects.filter(
            action=LOG_HOLDER_CHECK,
            content_type=ContentType.objects.get_for_model(Credential),
            object_id=str(credential.pk),
        ).order_by("pk")
    )


@pytest.mark.parametrize("number", SOFIA_ACCEPTED)
def test_the_holders_number_in_any_accepted_format_stammer(client, checkpointed, number):
    response = check(client, checkpointed, number)

    assert response.status_code == 200
    text = visible_text(response)
    assert "Stämmer. Personnumret stämmer med intygets innehavare." in text
    assert "stämmer inte" not in text


@pytest.mark.parametrize("number", [LARS, "900107-9806"])  # the latter: born 1990, not 1890
def test_another_persons_number_stammer_inte(client, checkpointed, number):
    response = check(client, checkpointed, number)

    assert response.status_code == 200
    assert "Stämmer inte. Personnumret stämmer inte med intygets innehavare." in visible_text(
        response
    )


def test_the_holder_check_works_before_the_first_checkpoint_too(client, credential):
    assert "Stämmer." in visible_text(check(client, credential, SOFIA))


@pytest.mark.parametrize("typed", ["12345", "18900107-9807", "19901399-1234", "", "x" * 500])
def test_an_invalid_number_gets_a_swedish_message_and_counts_as_an_attempt(
    client, checkpointed, typed
):
    response = check(client, checkpointed, typed)

    assert response.status_code == 200
    text = visible_text(response)
    assert "Det är inte ett giltigt personnummer eller samordningsnummer" in text
    assert "Stämmer" not in text
    assert HolderCheckAttempt.objects.filter(credential=checkpointed).count() == 1
    assert [entry.data["result"] for entry in holder_checks_logged(checkpointed)] == ["invalid"]


def test_the_answer_is_rendered_in_the_post_response_and_never_put_in_a_url(client, checkpointed):
    response = check(client, checkpointed, SOFIA)

    assert response.status_code == 200  # no redirect carrying the result
    assert response.request["PATH_INFO"] == page_url(checkpointed)
    assert "no-store" in response["Cache-Control"]
    assert 'name="personnummer"' in response.content.decode()
    assert 'value="' + SOFIA not in response.content.decode()


def test_the_holder_check_takes_no_csrf_token_and_its_rate_limit_still_holds(
    checkpointed, settings
):
    """No session acts here, so no CSRF token: a cross-site POST gets no further than the limit."""
    settings.PORTAL_HOLDER_CHECK_LIMITS = TIGHT
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(page_url(checkpointed))

    answers = [browser.post(page_url(checkpointed), {"personnummer": SOFIA}) for _ in range(4)]

    assert "csrftoken" not in page.cookies
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert "Stämmer." in visible_text(answers[0])
    assert len(holder_checks_logged(checkpointed)) == 3  # the refused one was never made


# JSON


def test_the_json_endpoint_answers_the_holder_check_by_post(client, checkpointed):
    match = check_json(client, checkpointed, "18900107-9806").json()
    no_match = check_json(client, checkpointed, LARS).json()
    invalid = check_json(client, checkpointed, "nonsense").json()

    assert match["holder_check"]["result"] == "match"
    assert match["holder_check"]["answer"] == "stämmer"
    assert no_match["holder_check"]["result"] == "no_match"
    assert no_match["holder_check"]["answer"] == "stämmer inte"
    assert invalid["holder_check"]["result"] == "invalid"
    assert invalid["holder_check"]["answer"] == ""
    assert match["status"] == "genuine"  # the same answers as a GET, plus the check


def test_the_json_endpoint_takes_a_json_body(checkpointed):
    machine = Client(enforce_csrf_checks=True)

    response = machine.post(
        f"{page_url(checkpointed)}json/",
        {"personnummer": "900107+9806"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["holder_check"]["result"] == "match"


# Rate limits


def test_a_client_over_its_limit_gets_429_and_a_clear_swedish_message(
    client, checkpointed, settings
):
    settings.PORTAL_HOLDER_CHECK_LIMITS = TIGHT
    answers = [check(client, checkpointed, LARS).status_code for _attempt in range(3)]

    refused = check(client, checkpointed, SOFIA)
    other_client = check(client, checkpointed, SOFIA, address="198.51.100.7")

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    text = visible_text(refused)
    assert "För många kontroller har gjorts på kort tid" in text
    assert "Stämmer" not in text
    assert other_client.status_code == 200
    assert "Stämmer." in visible_text(other_client)


def test_the_client_limit_counts_across_credentials(
    client, checkpointed, published_micromerit, organisations, people, settings
):
    settings.PORTAL_HOLDER_CHECK_LIMITS = TIGHT
    [second] = issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        [person(number=LARS, first="Lars", last="Berg", email="lars@example.se")],
    )
    for _attempt in range(3):
        check(client, checkpointed, LARS)

    assert check(client, second, LARS).status_code == 429


def test_a_credential_over_its_limit_gets_429_from_every_client(
    client, checkpointed, published_micromerit, organisations, people, settings
):
    settings.PORTAL_HOLDER_CHECK_LIMITS = TIGHT_PER_CREDENTIAL
    for number in range(3):
        assert check(client, checkpointed, LARS, address=f"203.0.113.{number}").status_code == 200

    refused = check(client, checkpointed, SOFIA, address="203.0.113.99")
    refused_json = check_json(client, checkpointed, SOFIA, address="203.0.113.98")
    [other] = issue(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        [person(number=LARS, first="Lars", last="Berg", email="lars@example.se")],
    )

    assert refused.status_code == 429
    assert "För många kontroller" in visible_text(refused)
    assert refused_json.status_code == 429
    assert refused_json.json()["holder_check"]["result"] == "rate_limited"
    assert check(client, other, LARS, address="203.0.113.99").status_code == 200


def test_refused_checks_are_not_answered_or_logged(client, checkpointed, settings):
    settings.PORTAL_HOLDER_CHECK_LIMITS = TIGHT
    for _attempt in range(3):
        check(client, checkpointed, LARS)

    check(client, checkpointed, SOFIA)

    assert [entry.data["result"] for entry in holder_checks_logged(checkpointed)] == [
        "no_match"
    ] * 3


def test_the_store_keeps_no_address_and_no_number(client, checkpointed):
    check(client, checkpointed, SOFIA, address="192.0.2.77")

    attempt = HolderCheckAttempt.objects.get()
    assert attempt.credential_id == checkpointed.pk
    assert "192.0.2.77" not in attempt.client
    assert SOFIA not in attempt.client


# Audit log


def test_each_check_is_audit_logged_with_the_result_but_never_the_number(client, checkpointed):
    check(client, checkpointed, "18900107-9806")
    check(client, checkpointed, LARS)

    entries = holder_checks_logged(checkpointed)
    assert [entry.data["result"] for entry in entries] == ["match", "no_match"]
    assert all(entry.user is None for entry in entries)
    for entry in entries:
        logged = f"{entry.data} {entry.label} {entry.action}"
        for secret in [*SOFIA_FORMS, *SOFIA_PARTS, LARS, checkpointed.holder_salt]:
            assert secret not in logged
    assert entries[0].data["credential"] == checkpointed.public_id


def test_match_and_no_match_do_the_same_work(client, checkpointed):
    """Timing is not asserted (no timed assertions); the work is: one attempt, one log entry each."""
    check(client, checkpointed, SOFIA)
    after_match = (HolderCheckAttempt.objects.count(), len(holder_checks_logged(checkpointed)))
    check(client, checkpointed, LARS)
    after_no_match = (HolderCheckAttempt.objects.count(), len(holder_checks_logged(checkpointed)))

    assert after_match == (1, 1)
    assert after_no_match == (2, 2)


def test_the_result_page_never_shows_the_typed_number(client, checkpointed):
    for typed in ["18900107-9806", "189001089813", "900107-98O6"]:
        body = without_random_values(
            check(client, checkpointed, typed).content.decode(), checkpointed
        )
        for secret in [*SOFIA_FORMS, *SOFIA_PARTS, LARS, "98O6"]:
            assert secret not in body


# Several processes


def manage_shell(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in ``manage.py shell`` in another process, on the test database."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{settings_dict['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
            f"{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
        )
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# Committed data (transaction=True) so that the other process sees the credential. A
# transactional test's flush removes the pages the migrations made, so both processes ask the
# service itself here; the HTTP path is the same function (tests above).
@pytest.mark.django_db(transaction=True)
def test_attempts_made_by_another_process_count_here(
    published_micromerit, organisations, people, settings
):
    [issued] = issue(published_micromerit, organisations["issuer"], people["issuer"], [person()])
    registry.checkpoint_make()
    settings.PORTAL_HOLDER_CHECK_LIMITS = TIGHT_PER_CREDENTIAL
    other_server = manage_shell(
        "from django.test import override_settings\n"
        "from micromerits.models import Credential\n"
        "from public_verify.holder_check import client_key, holder_check\n"
        f"credential = Credential.objects.get(public_id={issued.public_id!r})\n"
        f"with override_settings(PORTAL_HOLDER_CHECK_LIMITS={TIGHT_PER_CREDENTIAL!r}):\n"
        "    for n in range(3):\n"
        f"        result = holder_check(credential=credential, typed={LARS!r},"
        " client=client_key(f'198.51.100.{n}'))\n"
        "        print(result.outcome.value)\n"
    )

    assert other_server.returncode == 0, other_server.stderr
    assert other_server.stdout.split() == ["no_match", "no_match", "no_match"]
    assert HolderCheckAttempt.objects.filter(credential=issued).count() == 3
    here = holder_check(credential=issued, typed=SOFIA, client=client_key("192.0.2.200"))
    assert here.outcome == Outcome.RATE_LIMITED
