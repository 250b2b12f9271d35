"""Mina mikromeriter: a holder sees only their own credentials, hides and unhides, downloads."""

from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse
from django.utils import timezone

from micromerits import sharing
from micromerits.models import Credential, HiddenCredential
from micromerits.presentation import linkedin_url
from micromerits.selectors import verification_url
from tests.micromerits.holder_helpers import LARS, SOFIA, issue_to, log_in_holder, row

#: The holder-side fixtures (credential, other_credential).
pytest_plugins = ["tests.micromerits.holder_fixtures"]

LIST = "/mina-mikromeriter/"


def detail(credential) -> str:
    return reverse("holder_credential", args=[credential.public_id])


def test_the_list_lives_where_the_emails_link(settings):
    assert reverse("holder_credentials") == settings.PORTAL_HOLDER_PATH == LIST


def test_a_visitor_without_a_holder_session_is_sent_to_the_login(client, credential):
    for path in (
        LIST,
        detail(credential),
        reverse("holder_credential_pdf", args=[credential.public_id]),
        reverse("holder_credential_export", args=[credential.public_id]),
    ):
        response = client.get(path)
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == reverse("holder_login")
        assert parse_qs(location.query)["next"] == [path]


def test_a_person_sees_only_their_own_credentials(client, credential, other_credential):
    log_in_holder(client, SOFIA)

    response = client.get(LIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert credential.public_id in page
    assert other_credential.public_id not in page
    assert "Öberg" not in page
    assert response.headers["Cache-Control"].count("no-store") == 1


def test_another_persons_credential_is_a_404_not_a_403(client, credential, other_credential):
    log_in_holder(client, SOFIA)

    for name in (
        "holder_credential",
        "holder_credential_pdf",
        "holder_credential_export",
    ):
        assert client.get(reverse(name, args=[other_credential.public_id])).status_code == 404
        assert client.get(reverse(name, args=["no-such-credential-id-at-all"])).status_code == 404
    for name in ("holder_credential_hide", "holder_credential_unhide", "holder_share_link_create"):
        assert client.post(reverse(name, args=[other_credential.public_id])).status_code == 404
    assert not HiddenCredential.objects.exists()
    assert not other_credential.share_links.exists()


def test_the_list_is_newest_first_with_the_best_before_state(
    client, published_micromerit, organisations, people
):
    today = timezone.localdate()
    issue = lambda **extra: issue_to(  # noqa: E731
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        row(SOFIA, "Sofia", "Åkesson", **extra),
    )[0]
    passing = issue(best_before=today + timedelta(days=30))
    valid = issue(best_before=today + timedelta(days=400))
    log_in_holder(client, SOFIA)

    page = client.get(LIST).content.decode()

    assert page.index(valid.public_id) < page.index(passing.public_id)
    assert "best-before--valid" in page
    assert "om 30 dagar" in page
    assert "best-before--passing" in page


def test_best_before_states(credential):
    best_before = credential.best_before

    def state(today: date) -> str:
        return sharing.best_before_state(credential, today=today).state

    assert state(best_before - timedelta(days=91)) == "valid"
    assert state(best_before - timedelta(days=90)) == "passing"
    assert state(best_before) == "passing"
    assert state(best_before + timedelta(days=1)) == "passed"


def test_hiding_moves_a_credential_to_dolda_and_unhiding_brings_it_back(client, credential):
    log_in_holder(client, SOFIA)

    response = client.post(reverse("holder_credential_hide", args=[credential.public_id]))

    assert response.status_code == 302
    page = client.get(LIST).content.decode()
    hidden_section = page[page.index("Dolda") :]
    assert credential.public_id in hidden_section
    assert credential.public_id not in page[: page.index("Dolda")]
    # Hiding is the holder's preference only: the credential and its verification are untouched.
    assert Credential.objects.filter(pk=credential.pk).exists()
    assert client.get(verification_url(credential).split("8000", 1)[-1]).status_code == 200

    client.post(reverse("holder_credential_unhide", args=[credential.public_id]))

    page = client.get(LIST).content.decode()
    assert "Dolda" not in page
    assert credential.public_id in page
    assert not HiddenCredential.objects.exists()


def test_hide_and_unhide_need_post_and_a_csrf_token(credential):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    log_in_holder(strict, SOFIA)
    hide = reverse("holder_credential_hide", args=[credential.public_id])

    assert strict.get(hide).status_code == 405
    assert strict.post(hide).status_code == 403
    assert not HiddenCredential.objects.exists()


def test_the_detail_page_shows_everything_the_credential_says(client, credential):
    log_in_holder(client, SOFIA)

    response = client.get(detail(credential))

    assert response.status_code == 200
    page = response.content.decode()
    content = credential.content
    assert content["title"] in page
    for outcome in content["learning_outcomes"]:
        assert outcome["sentence"] in page
    assert credential.issuer.name in page
    assert content["owner"]["name"] in page
    assert "Praktiskt prov på arbetsplats" in page  # assessment
    assert "Körkort kontrollerat på plats" in page  # identity check
    assert "Godkänd" in page  # grade
    assert "Mycket väl utfört." in page  # the issuer's comment
    assert "1890-01-07" in page  # birth date
    assert SOFIA not in page and SOFIA[2:] not in page
    assert verification_url(credential) in page
    assert reverse("holder_credential_pdf", args=[credential.public_id]) in page
    assert reverse("holder_credential_export", args=[credential.public_id]) in page


def test_the_linkedin_link_carries_the_right_fields(client, credential):
    url = linkedin_url(credential)

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.linkedin.com/profile/add"
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["name"] == [credential.title]
    assert query["organizationName"] == ["Norrbyggs Måleri AB"]
    assert query["issueYear"] == [str(credential.issued_on.year)]
    assert query["issueMonth"] == [str(credential.issued_on.month)]
    assert query["certId"] == [credential.public_id]
    assert query["certUrl"] == [verification_url(credential)]
    assert query["expirationYear"] == [str(credential.best_before.year)]
    # Properly encoded: no raw space, å or & from the values leaks into the URL.
    assert " " not in url and "å" not in url
    log_in_holder(client, SOFIA)
    assert url.replace("&", "&amp;") in client.get(detail(credential)).content.decode()


def test_the_machine_readable_download_is_the_registry_bundle(client, credential):
    log_in_holder(client, SOFIA)

    response = client.get(reverse("holder_credential_export", args=[credential.public_id]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    bundle = json.loads(response.content)
    assert bundle["document"]["id"] == credential.public_id
    assert bundle["document"]["verification_url"] == verification_url(credential)
    assert SOFIA not in response.content.decode()


def test_the_pdf_download_is_the_holders_certificate(client, credential):
    log_in_holder(client, SOFIA)

    response = client.get(reverse("holder_credential_pdf", args=[credential.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "private" in response["Cache-Control"]


def test_a_person_with_nothing_issued_sees_an_empty_list(client, credential):
    log_in_holder(client, "189001019802")

    response = client.get(LIST)

    assert response.status_code == 200
    assert "Inga mikromeriter har utfärdats till dig ännu" in response.content.decode()
    assert credential.public_id not in response.content.decode()


def test_a_credential_issued_after_login_shows_up(
    client, published_micromerit, organisations, people
):
    log_in_holder(client, LARS)
    assert client.get(LIST).status_code == 200

    [issued] = issue_to(
        published_micromerit, organisations["issuer"], people["issuer"], row(LARS, "Lars", "Öberg")
    )

    assert issued.public_id in client.get(LIST).content.decode()


def test_after_logout_the_pages_need_a_login_again(client, credential):
    log_in_holder(client, SOFIA)
    assert client.get(LIST).status_code == 200

    client.post(reverse("holder_logout"))

    assert client.get(LIST).status_code == 302
    assert client.get(detail(credential)).status_code == 302
