"""Share links: unguessable, stored only as a hash, withdrawable, expiring; the shared page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from micromerits import sharing
from micromerits.models import ShareLink
from tests.micromerits.holder_helpers import LARS, SOFIA, log_in_holder

#: The holder-side fixtures (credential, other_credential).
pytest_plugins = ["tests.micromerits.holder_fixtures"]


def shared_path(token: str) -> str:
    return reverse("shared_credential", args=[token])


def test_a_share_link_opens_the_credential_with_the_verification_answers(client, credential):
    link, token = sharing.share_link_create(credential=credential, holder=credential.recipient)

    response = client.get(shared_path(token))

    assert response.status_code == 200
    page = response.content.decode()
    assert credential.title in page
    assert "Sofia Åkesson" in page
    # The same answers as the QR page: B1's include, fed by verification_context.
    assert response.context["verdict"].intact is True
    assert 'class="verdict verdict--' in page
    assert credential.issuer.name in page
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_shared_page_never_shows_the_personnummer(client, credential):
    _link, token = sharing.share_link_create(credential=credential, holder=credential.recipient)

    page = client.get(shared_path(token)).content.decode()

    for form in (SOFIA, SOFIA[2:], f"{SOFIA[:8]}-{SOFIA[8:]}", f"{SOFIA[2:8]}-{SOFIA[8:]}"):
        assert form not in page


def test_the_token_has_at_least_128_random_bits_and_is_stored_only_as_a_hash(credential):
    tokens = {
        sharing.share_link_create(credential=credential, holder=credential.recipient)[1]
        for _ in range(20)
    }

    assert len(tokens) == 20
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 bytes = 256 bits, URL-safe
    stored = list(ShareLink.objects.values_list("token_hash", flat=True))
    assert not tokens & set(stored)
    assert not any(token in value for token in tokens for value in stored)
    assert {sharing.token_hash(token) for token in tokens} == set(stored)


def test_a_withdrawn_link_stops_working_with_a_friendly_page(client, credential):
    link, token = sharing.share_link_create(credential=credential, holder=credential.recipient)
    assert client.get(shared_path(token)).status_code == 200

    sharing.share_link_withdraw(share_link=link, holder=credential.recipient)

    response = client.get(shared_path(token))
    assert response.status_code == 410
    assert "återkallat" in response.content.decode()
    assert credential.title not in response.content.decode()
    assert client.get(reverse("shared_certificate", args=[token])).status_code == 410


def test_an_expired_link_stops_working(client, credential):
    link, token = sharing.share_link_create(
        credential=credential,
        holder=credential.recipient,
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert client.get(shared_path(token)).status_code == 200

    # The clock cannot be moved in a real request; the deadline can.
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(shared_path(token))
    assert response.status_code == 410
    assert "slutat gälla" in response.content.decode()


def test_an_unknown_or_tampered_token_gets_a_404_in_swedish(client, credential):
    _link, token = sharing.share_link_create(credential=credential, holder=credential.recipient)

    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a" * 500):
        response = client.get(shared_path(wrong))
        assert response.status_code == 404
        assert "Det finns ingen delningslänk" in response.content.decode()


def test_only_the_holder_can_make_or_withdraw_a_link(credential, other_credential):
    with pytest.raises(sharing.HolderRefused):
        sharing.share_link_create(credential=credential, holder=other_credential.recipient)
    link, _token = sharing.share_link_create(credential=credential, holder=credential.recipient)
    with pytest.raises(sharing.HolderRefused):
        sharing.share_link_withdraw(share_link=link, holder=other_credential.recipient)
    link.refresh_from_db()
    assert link.withdrawn_at is None


def test_an_expiry_in_the_past_is_refused(credential):
    with pytest.raises(sharing.HolderRefused, match="framtiden"):
        sharing.share_link_create(
            credential=credential,
            holder=credential.recipient,
            expires_at=timezone.now() - timedelta(minutes=1),
        )
    assert not ShareLink.objects.exists()


def test_the_holder_makes_a_link_sees_it_once_and_withdraws_it(client, credential):
    log_in_holder(client, SOFIA)
    create = reverse("holder_share_link_create", args=[credential.public_id])

    response = client.post(create, {"label": "Till rekryteraren", "valid_through": ""}, follow=True)

    page = response.content.decode()
    [url] = re.findall(r'value="(http[^"]+/delad/[^"]+/)"', page)
    assert "Till rekryteraren" in page
    # Shown once: the next visit no longer holds it.
    again = client.get(reverse("holder_credential", args=[credential.public_id])).content.decode()
    assert url not in again
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert client.get(shared_path(token)).status_code == 200

    link = ShareLink.objects.get()
    client.post(reverse("holder_share_link_withdraw", args=[credential.public_id, link.pk]))

    assert client.get(shared_path(token)).status_code == 410


def test_a_link_valid_through_a_day_works_that_whole_day(client, credential):
    log_in_holder(client, SOFIA)
    today = timezone.localdate()

    client.post(
        reverse("holder_share_link_create", args=[credential.public_id]),
        {"valid_through": today.isoformat()},
    )

    link = ShareLink.objects.get()
    assert timezone.localtime(link.expires_at).date() == today + timedelta(days=1)
    assert timezone.localtime(link.expires_at).hour == 0
    assert link.is_working()


def test_a_bad_date_gets_a_swedish_message_and_makes_no_link(client, credential):
    log_in_holder(client, SOFIA)
    create = reverse("holder_share_link_create", args=[credential.public_id])
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    past = client.post(create, {"valid_through": yesterday})
    garbage = client.post(create, {"valid_through": "imorgon"})

    assert past.status_code == 400
    assert "Datumet har redan passerat." in past.content.decode()
    assert garbage.status_code == 400
    assert "Ange ett datum" in garbage.content.decode()
    assert not ShareLink.objects.exists()


def test_another_person_cannot_withdraw_the_holders_link(client, credential, other_credential):
    link, token = sharing.share_link_create(credential=credential, holder=credential.recipient)
    log_in_holder(client, LARS)

    response = client.post(
        reverse("holder_share_link_withdraw", args=[credential.public_id, link.pk])
    )

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.withdrawn_at is None
    assert client.get(shared_path(token)).status_code == 200


def test_the_shared_pdf_is_the_certificate(client, credential):
    _link, token = sharing.share_link_create(credential=credential, holder=credential.recipient)

    response = client.get(reverse("shared_certificate", args=[token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_shared_pages_speak_english_when_asked(client, credential):
    link, token = sharing.share_link_create(credential=credential, holder=credential.recipient)

    shown = client.get(shared_path(token), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sharing.share_link_withdraw(share_link=link, holder=credential.recipient)
    gone = client.get(shared_path(token), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Sofia Åkesson has shared with you" in shown
    assert "The holder has withdrawn this share link." in gone
