"""``manage.py load_demo``: the whole demo, and a second run that changes nothing."""

from __future__ import annotations

import io

from django.core.management import call_command

from micromerits.models import Credential, Micromerit, Organisation
from public_verify import registry
from public_verify.models import Checkpoint
from public_verify.verification import Status, verify


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_the_demo_publishes_four_micromerits_and_issues_its_recipient_lists(db):
    output = load_demo()

    assert Organisation.objects.count() >= 4
    assert Micromerit.objects.filter(live=True).count() == 4
    assert Credential.objects.count() == 8
    assert "issued 5 × Fasadmålning med silikat- och linoljefärg" in output
    assert "fasadbranschens-skapare" in output
    # Every demo credential is in a signed checkpoint, so the verification page says genuine.
    assert Checkpoint.objects.get().size == registry.log_size() == 8
    assert {verify(credential).status for credential in Credential.objects.all()} == {
        Status.GENUINE
    }


def test_a_second_run_changes_nothing_and_prints_the_same_logins(db):
    first = load_demo()
    counts = (Micromerit.objects.count(), Credential.objects.count(), Checkpoint.objects.count())

    second = load_demo()

    assert (
        Micromerit.objects.count(),
        Credential.objects.count(),
        Checkpoint.objects.count(),
    ) == counts
    assert first.split("Log in at")[1] == second.split("Log in at")[1]
    assert "issued" not in second
