"""Every admin view of a mikromerit, over HTTP, for the owner, a delegated issuer and an outsider.

Wagtail 8's stock snippet views check only model-level permissions; these tests
prove that the object-level policy holds on each of them.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from micromerits.models import IssuingRight, Micromerit

SNIPPET = "wagtailsnippets_micromerits_micromerit"


def object_urls(micromerit: Micromerit) -> dict[str, str]:
    """GET-able admin URLs naming ``micromerit``."""
    pk = micromerit.pk
    revision = micromerit.latest_revision
    return {
        "edit": reverse(f"{SNIPPET}:edit", args=[pk]),
        "inspect": reverse(f"{SNIPPET}:inspect", args=[pk]),
        "history": reverse(f"{SNIPPET}:history", args=[pk]),
        "history_results": reverse(f"{SNIPPET}:history_results", args=[pk]),
        "usage": reverse(f"{SNIPPET}:usage", args=[pk]),
        "delete": reverse(f"{SNIPPET}:delete", args=[pk]),
        "unpublish": reverse(f"{SNIPPET}:unpublish", args=[pk]),
        "preview_on_edit": reverse(f"{SNIPPET}:preview_on_edit", args=[pk]),
        "revisions_view": reverse(f"{SNIPPET}:revisions_view", args=[pk, revision.pk]),
        "revisions_revert": reverse(f"{SNIPPET}:revisions_revert", args=[pk, revision.pk]),
        "revisions_compare": reverse(
            f"{SNIPPET}:revisions_compare", args=[pk, "earliest", "latest"]
        ),
        "revisions_unschedule": reverse(f"{SNIPPET}:revisions_unschedule", args=[pk, revision.pk]),
        "export": reverse("micromerits_admin:export", args=[pk]),
        "issuing_rights": reverse("micromerits_admin:issuing_rights", args=[pk]),
    }


#: Views the owner's creator must reach (proves the denials below are not vacuous).
OWNER_REACHES = [
    "edit",
    "inspect",
    "history",
    "history_results",
    "usage",
    "delete",
    "unpublish",
    "revisions_view",
    "revisions_revert",
    "revisions_compare",
    "export",
    "issuing_rights",
]


@pytest.mark.parametrize("view", OWNER_REACHES)
def test_owner_creator_reaches_every_object_view(view, published_micromerit, people, admin_login):
    client = admin_login(people["owner_creator"])
    response = client.get(object_urls(published_micromerit)[view])
    assert response.status_code == 200, view


@pytest.mark.parametrize("person", ["issuer", "issuer_creator", "outsider_creator"])
@pytest.mark.parametrize(
    "view",
    [
        "edit",
        "inspect",
        "history",
        "history_results",
        "usage",
        "delete",
        "unpublish",
        "preview_on_edit",
        "revisions_view",
        "revisions_revert",
        "revisions_compare",
        "revisions_unschedule",
        "export",
        "issuing_rights",
    ],
)
def test_it_checks_ownership(view, person, published_micromerit, people, admin_login):
    client = admin_login(people[person])
    response = client.get(object_urls(published_micromerit)[view])
    assert response.status_code != 200, (person, view)
    assert response.status_code in (302, 403, 404), (person, view, response.status_code)
    assert published_micromerit.title.encode() not in response.content


def test_owner_admin_may_look_but_not_edit(published_micromerit, people, admin_login):
    client = admin_login(people["owner_admin"])
    urls = object_urls(published_micromerit)
    assert client.get(urls["inspect"]).status_code == 200
    for view in ("edit", "delete", "unpublish", "issuing_rights", "revisions_revert"):
        assert client.get(urls[view]).status_code != 200, view


@pytest.mark.parametrize("person", ["issuer", "outsider_creator", "owner_issuer", "owner_admin"])
def test_others_cannot_change_state_by_post(
    person, published_micromerit, people, organisations, admin_login
):
    client = admin_login(people[person])
    pk = published_micromerit.pk
    before_title = published_micromerit.title
    right = published_micromerit.issuing_rights.active().first()

    client.post(reverse(f"{SNIPPET}:edit", args=[pk]), {"title": "Kapad", "action-publish": "1"})
    client.post(reverse(f"{SNIPPET}:delete", args=[pk]))
    client.post(reverse(f"{SNIPPET}:unpublish", args=[pk]))
    client.post(reverse(f"{SNIPPET}:lock", args=[pk]))
    client.post(
        reverse("micromerits_admin:issuing_right_withdraw", args=[pk, right.pk]),
    )
    client.post(
        reverse("micromerits_admin:issuing_rights", args=[pk]),
        {"organisation": organisations["outsider"].pk},
    )

    micromerit = Micromerit.objects.get(pk=pk)
    assert micromerit.title == before_title
    assert micromerit.live
    assert not micromerit.locked
    assert IssuingRight.objects.get(pk=right.pk).is_active
    assert micromerit.issuing_rights.active().count() == 2


def test_listing_shows_only_own_organisations_mikromeriter(
    published_micromerit, people, admin_login
):
    listing = reverse(f"{SNIPPET}:list")
    owner = admin_login(people["owner_creator"]).get(listing)
    assert owner.status_code == 200
    assert published_micromerit.title in owner.content.decode()

    outsider = admin_login(people["outsider_creator"]).get(listing)
    assert outsider.status_code == 200
    assert published_micromerit.title not in outsider.content.decode()


def test_issuer_without_creator_role_has_no_micromerit_listing(
    published_micromerit, people, admin_login
):
    response = admin_login(people["issuer"]).get(reverse(f"{SNIPPET}:list"))
    assert response.status_code != 200


def test_owner_creator_can_lock_and_unlock(published_micromerit, people, admin_login):
    client = admin_login(people["owner_creator"])
    pk = published_micromerit.pk
    client.post(reverse(f"{SNIPPET}:lock", args=[pk]))
    assert Micromerit.objects.get(pk=pk).locked
    client.post(reverse(f"{SNIPPET}:unlock", args=[pk]))
    assert not Micromerit.objects.get(pk=pk).locked


def test_unknown_micromerit_is_not_found(people, admin_login, db):
    client = admin_login(people["owner_creator"])
    assert client.get(reverse(f"{SNIPPET}:edit", args=[999999])).status_code == 404
    assert client.get(reverse("micromerits_admin:export", args=[999999])).status_code == 404
