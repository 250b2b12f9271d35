"""Services: organisations, import, publication rules, issuing rights and their object permissions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from wagtail.models import ModelLogEntry

from micromerits import services
from micromerits.excel import WorkbookError, read_micromerit_workbook
from micromerits.identity import InvalidIdentityNumber
from micromerits.models import IssuingRight, Micromerit, Organisation
from permissions.policies import micromerit_policy
from tests.conftest import MICROMERIT_WORKBOOKS, workbook


def test_organisation_add_is_idempotent_and_normalises_the_number(db):
    first, created = services.organisation_add(orgnr="8020001239", name="Fasadbranschens Yrkesråd")
    again, created_again = services.organisation_add(
        orgnr="802000-1239", name="Fasadbranschens Yrkesråd", kind="Branschorganisation"
    )
    assert created and not created_again
    assert first.pk == again.pk
    assert again.orgnr == "802000-1239"
    assert again.kind == "industry_body"
    assert Organisation.objects.count() == 1


def test_organisation_add_refuses_a_wrong_check_digit(db):
    with pytest.raises(InvalidIdentityNumber):
        services.organisation_add(orgnr="802000-1238", name="Fel")
    assert not Organisation.objects.exists()


@pytest.mark.parametrize("path", MICROMERIT_WORKBOOKS, ids=lambda p: p.name)
def test_every_shared_workbook_imports_and_publishes(path, db, make_representative):
    data = read_micromerit_workbook(path.read_bytes())
    owner, _ = services.organisation_add(orgnr=data.owner_orgnr, name="Ägaren")
    for issuer in data.issuers:
        services.organisation_add(orgnr=issuer.orgnr, name=issuer.name or "Utfärdaren")
    creator = make_representative("skapare", owner, "creator")

    micromerit = services.micromerit_import(data=data, by=creator, publish=True)

    micromerit.refresh_from_db()
    assert micromerit.live
    assert micromerit.title == data.title
    assert micromerit.owner == owner
    assert micromerit.created_by == creator
    assert micromerit.learning_outcomes.count() == len(data.outcomes)
    assert sorted(r.organisation.orgnr for r in micromerit.issuing_rights.active()) == sorted(
        i.orgnr for i in data.issuers
    )


def test_import_by_someone_who_is_not_the_owners_creator_saves_nothing(people, organisations):
    data = read_micromerit_workbook(workbook("fasadmalning.xlsx").read_bytes())
    with pytest.raises(WorkbookError) as error:
        services.micromerit_import(data=data, by=people["outsider_creator"], publish=True)
    assert "skapare" in str(error.value)
    assert not Micromerit.objects.exists()
    assert not IssuingRight.objects.exists()


def test_import_naming_an_unknown_issuer_saves_nothing(people, organisations):
    data = read_micromerit_workbook(workbook("dataanalys-python.xlsx").read_bytes())
    # Neither the owner (802000-7897) nor the issuer (222100-5552) exists here.
    with pytest.raises(WorkbookError) as error:
        services.micromerit_import(data=data, by=people["owner_creator"], publish=False)
    problems = error.value.problems
    assert {p.sheet for p in problems} == {"Mikromerit", "Utfärdare"}
    assert not Micromerit.objects.exists()


def test_grant_and_withdraw_follow_the_object_permissions(
    published_micromerit, people, organisations
):
    policy = micromerit_policy()
    outsider_org = organisations["outsider"]
    outsider_issuer_user = people["outsider_creator"]
    from permissions.services import representative_add

    representative_add(user=outsider_issuer_user, organisation=outsider_org, role="issuer")
    assert not policy.user_has_permission_for_instance(
        outsider_issuer_user, "issue", published_micromerit
    )

    right = services.issuing_right_grant(
        micromerit=published_micromerit, organisation=outsider_org, by=people["owner_creator"]
    )
    assert policy.user_has_permission_for_instance(
        outsider_issuer_user, "issue", published_micromerit
    )
    services.issuing_right_withdraw(right=right, by=people["owner_creator"])
    assert not policy.user_has_permission_for_instance(
        outsider_issuer_user, "issue", published_micromerit
    )
    right.refresh_from_db()
    assert right.withdrawn_at is not None and right.withdrawn_by == people["owner_creator"]

    actions = list(
        ModelLogEntry.objects.filter(object_id=str(published_micromerit.pk))
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )
    assert actions.count(services.LOG_GRANT) == 3  # two from the workbook, one here
    assert actions.count(services.LOG_WITHDRAW) == 1
    entry = ModelLogEntry.objects.filter(action=services.LOG_WITHDRAW).get()
    assert entry.user == people["owner_creator"]
    assert entry.data["acting_organisation"]["orgnr"] == "802000-1239"
    assert entry.data["organisation"]["orgnr"] == outsider_org.orgnr


def test_only_the_owners_creator_may_grant(published_micromerit, people, organisations):
    for person in ("issuer", "outsider_creator", "owner_admin", "owner_issuer"):
        with pytest.raises(PermissionDenied):
            services.issuing_right_grant(
                micromerit=published_micromerit,
                organisation=organisations["outsider"],
                by=people[person],
            )
    assert published_micromerit.issuing_rights.count() == 2


def test_granting_twice_keeps_one_active_right(published_micromerit, people, organisations):
    first = services.issuing_right_grant(
        micromerit=published_micromerit,
        organisation=organisations["issuer"],
        by=people["owner_creator"],
    )
    assert (
        published_micromerit.issuing_rights.active()
        .filter(organisation=organisations["issuer"])
        .get()
        == first
    )


def test_issuing_rights_set_grants_new_and_withdraws_removed(
    published_micromerit, people, organisations
):
    services.issuing_rights_set(
        micromerit=published_micromerit,
        organisations=[organisations["issuer"], organisations["outsider"]],
        by=people["owner_creator"],
    )
    active = {r.organisation for r in published_micromerit.issuing_rights.active()}
    assert active == {organisations["issuer"], organisations["outsider"]}
    withdrawn = published_micromerit.issuing_rights.filter(withdrawn_at__isnull=False)
    assert [r.organisation for r in withdrawn] == [organisations["second_issuer"]]


def test_publication_needs_an_outcome_and_an_issuer():
    assert len(services.micromerit_publication_problems(outcome_count=0, issuer_count=0)) == 2
    assert services.micromerit_publication_problems(outcome_count=1, issuer_count=1) == []
