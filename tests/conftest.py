"""Shared test setup: three organisations and their people, built through the real services.

Every permission test has an owner organisation (creates the mikromerit), a
delegated issuer (holds an issuing right) and an outsider (neither).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from micromerits import services
from micromerits.excel import read_micromerit_workbook
from permissions.models import Role
from permissions.services import representative_add

REPO_DIR = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_DIR.parent / "shared" / "data"
MICROMERIT_WORKBOOKS = sorted((SHARED_DATA / "micromerits").glob("*.xlsx"))


@pytest.fixture
def make_user(db):
    User = get_user_model()

    def make(username: str, **extra):
        user = User.objects.create_user(
            username=username, password="correct-horse-battery", **extra
        )
        return user

    return make


@pytest.fixture
def make_representative(make_user):
    def make(username: str, organisation, role: str):
        user = make_user(username)
        representative_add(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def organisations(db):
    """The organisations of the shared fasadmålning workbook, plus an outsider."""
    owner, _ = services.organisation_add(
        orgnr="802000-1239", name="Fasadbranschens Yrkesråd", kind="Branschorganisation"
    )
    issuer, _ = services.organisation_add(
        orgnr="559900-1111", name="Norrbyggs Måleri AB", kind="Arbetsgivare"
    )
    second_issuer, _ = services.organisation_add(
        orgnr="559900-2226", name="Yrkesvalidering Mitt AB", kind="Valideringsaktör"
    )
    outsider, _ = services.organisation_add(
        orgnr="802000-4563", name="Handelns Kompetensråd", kind="Branschorganisation"
    )
    return {"owner": owner, "issuer": issuer, "second_issuer": second_issuer, "outsider": outsider}


@pytest.fixture
def people(organisations, make_representative):
    """One person per (organisation, role) that the permission tests need."""
    return {
        "owner_creator": make_representative("owner-creator", organisations["owner"], Role.CREATOR),
        "owner_admin": make_representative("owner-admin", organisations["owner"], Role.ADMIN),
        "owner_issuer": make_representative("owner-issuer", organisations["owner"], Role.ISSUER),
        "issuer": make_representative("issuer", organisations["issuer"], Role.ISSUER),
        "issuer_creator": make_representative(
            "issuer-creator", organisations["issuer"], Role.CREATOR
        ),
        "outsider_creator": make_representative(
            "outsider-creator", organisations["outsider"], Role.CREATOR
        ),
    }


def workbook(name: str) -> Path:
    return SHARED_DATA / "micromerits" / name


@pytest.fixture
def published_micromerit(people):
    """Fasadmålning, published by the owner's creator, issuable by the two issuers of its sheet."""
    data = read_micromerit_workbook(workbook("fasadmalning.xlsx").read_bytes())
    return services.micromerit_import(data=data, by=people["owner_creator"], publish=True)


@pytest.fixture
def admin_login(client):
    """Log ``user`` into the admin in the test client, second factor passed.

    The admin answers only sessions that passed the second factor
    (``permissions.middleware``): the fixture gives the user a confirmed TOTP
    device and marks the session as verified with it, as ``django_otp.login``
    does after a correct code.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return login
