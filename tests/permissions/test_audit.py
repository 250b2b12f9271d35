"""The audit log: every state change is in Wagtail's log with the representative and the organisation."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from micromerits import issuance, services
from micromerits.models import Credential, Micromerit
from permissions import otp
from public_verify.holder_check import LOG_HOLDER_CHECK
from tests.micromerits.test_admin import SNIPPET, editor_post
from tests.public_verify.issuing import SOFIA, issue_to
from tests.public_verify.test_verification_page import page_url


def entries(instance, action: str) -> list[ModelLogEntry]:
    return list(
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(instance),
            object_id=str(instance.pk),
            action=action,
        ).order_by("pk")
    )


def acting(entry: ModelLogEntry) -> str:
    return entry.data["acting_organisation"]["orgnr"]


@pytest.mark.parametrize(
    "action",
    [
        services.LOG_GRANT,
        services.LOG_WITHDRAW,
        issuance.LOG_ISSUE,
        otp.LOG_DEVICE_RESET,
        otp.LOG_DEVICE_ENROL,
        LOG_HOLDER_CHECK,
    ],
)
def test_every_custom_action_is_registered_with_a_label(action):
    assert str(registry.get_action_label(action))


@pytest.fixture
def created_in_the_editor(people, organisations, admin_login):
    """A mikromerit created and published by the owner's creator through the admin editor."""
    client = admin_login(people["owner_creator"])
    response = client.post(
        reverse(f"{SNIPPET}:add"),
        editor_post(organisations["owner"], [organisations["issuer"]], publish=True),
    )
    assert response.status_code == 302
    return client, Micromerit.objects.get()


def test_creating_and_publishing_in_the_editor_names_the_creator_and_the_owner(
    created_in_the_editor, people, organisations
):
    _client, micromerit = created_in_the_editor
    for action in ("wagtail.create", "wagtail.publish"):
        (entry,) = entries(micromerit, action)
        assert entry.user_id == people["owner_creator"].pk
        assert acting(entry) == organisations["owner"].orgnr


def test_editing_in_the_editor_names_the_creator_and_the_owner(
    created_in_the_editor, people, organisations
):
    client, micromerit = created_in_the_editor
    outcome = micromerit.learning_outcomes.get()
    data = editor_post(
        organisations["owner"], [organisations["issuer"]], title="Fasadmålning, reviderad"
    )
    data["learning_outcomes-INITIAL_FORMS"] = "1"
    data["learning_outcomes-0-id"] = str(outcome.pk)
    response = client.post(reverse(f"{SNIPPET}:edit", args=[micromerit.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    (entry,) = entries(micromerit, "wagtail.edit")
    assert entry.user_id == people["owner_creator"].pk
    assert acting(entry) == organisations["owner"].orgnr


def test_granting_and_withdrawing_name_the_owner(created_in_the_editor, people, organisations):
    _client, micromerit = created_in_the_editor
    (grant,) = entries(micromerit, services.LOG_GRANT)
    assert grant.user_id == people["owner_creator"].pk
    assert acting(grant) == organisations["owner"].orgnr
    assert grant.data["organisation"]["orgnr"] == organisations["issuer"].orgnr

    right = micromerit.issuing_rights.active().get()
    services.issuing_right_withdraw(right=right, by=people["owner_creator"])
    (withdraw,) = entries(micromerit, services.LOG_WITHDRAW)
    assert withdraw.user_id == people["owner_creator"].pk
    assert acting(withdraw) == organisations["owner"].orgnr


def test_issuing_names_the_issuer_and_its_organisation(published_micromerit, people, organisations):
    issue_to(published_micromerit, organisations, people, SOFIA)
    (entry,) = entries(published_micromerit, issuance.LOG_ISSUE)
    assert entry.user_id == people["issuer"].pk
    assert acting(entry) == organisations["issuer"].orgnr
    assert entry.data["count"] == 1
    assert SOFIA[0] not in str(entry.data)


def test_a_holder_check_is_logged_without_the_number(
    client, published_micromerit, people, organisations
):
    (credential,) = issue_to(published_micromerit, organisations, people, SOFIA)
    response = client.post(page_url(credential), {"personnummer": SOFIA[0]})
    assert response.status_code == 200
    (entry,) = entries(Credential.objects.get(pk=credential.pk), LOG_HOLDER_CHECK)
    assert entry.user_id is None
    for written in (SOFIA[0], SOFIA[0][2:], f"{SOFIA[0][:8]}-{SOFIA[0][8:]}"):
        assert written not in str(entry.data)


def test_a_device_reset_names_the_admin_and_the_organisation(people, organisations):
    TOTPDevice.objects.create(user=people["owner_creator"], name="app", confirmed=True)
    otp.second_factor_reset(
        user=people["owner_creator"], organisation=organisations["owner"], by=people["owner_admin"]
    )
    (entry,) = entries(people["owner_creator"], otp.LOG_DEVICE_RESET)
    assert entry.user_id == people["owner_admin"].pk
    assert acting(entry) == organisations["owner"].orgnr


def test_the_audit_report_shows_the_entries_to_a_verified_admin(
    created_in_the_editor, people, admin_login
):
    """Wagtail's site history report lists what happened, with the acting person."""
    _client, micromerit = created_in_the_editor
    people["owner_creator"].is_superuser = True
    people["owner_creator"].save()
    response = admin_login(people["owner_creator"]).get(
        reverse("wagtailadmin_reports:site_history")
    )
    assert response.status_code == 200
    assert micromerit.title in response.content.decode()
