"""The second factor: password-only sessions get nothing from the admin; enrolment, codes, backup codes, lockout, reset."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from permissions import otp
from permissions.models import Role
from permissions.services import representative_add

from .url_inventory import admin_paths

PASSWORD = "correct-horse-battery"
HOME = "/admin/"
VERIFY = "/admin/tvastegs/"
ENROL = "/admin/tvastegs/registrera/"


def password_login(client, user):
    """Sign in through Wagtail's real login form, with the password only."""
    response = client.post(
        reverse("wagtailadmin_login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    return response


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    otp.backup_codes_replace(user=user)
    return device


def test_urls_of_the_second_factor_are_where_the_middleware_expects_them():
    assert reverse("permissions_otp:verify") == VERIFY
    assert reverse("permissions_otp:enrol") == ENROL


def test_a_password_alone_gets_no_admin_page(client, people, published_micromerit):
    """Every admin URL of the resolver, with a real object's pk: redirected to the code step.

    The only admin URLs a password-only session reaches are the code step
    itself and the static assets its page loads (the JavaScript translation
    catalogue and the icon sprite, which anonymous visitors get too); logging
    in and out redirect.
    """
    user = people["owner_creator"]
    enrolled(user)
    password_login(client, user)
    # Static admin assets the code step's page loads: translations and the icon sprite.
    finishing = {
        VERIFY,
        reverse("wagtailadmin_javascript_catalog"),
        reverse("wagtailadmin_sprite"),
    }
    leaving = {reverse("wagtailadmin_login"), reverse("wagtailadmin_logout")}
    paths = admin_paths(pk=published_micromerit.pk)
    assert len(paths) > 150
    for path in sorted(set(paths) - finishing - leaving):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 302, (method, path, response.status_code)
            assert response["Location"].startswith(VERIFY), (method, path)
            assert "_auth_user_id" in client.session, (method, path)
    assert client.get(VERIFY).status_code == 200
    assert client.get(HOME).status_code == 302
    assert client.get(reverse("wagtailadmin_login")).status_code == 302
    assert client.post(reverse("wagtailadmin_logout")).status_code == 302


def test_the_code_step_and_the_catalogue_are_all_a_password_only_session_sees(client, people):
    user = people["owner_creator"]
    enrolled(user)
    password_login(client, user)
    page = client.get(VERIFY)
    assert page.status_code == 200
    assert "Ange din kod" in page.content.decode()
    assert client.get(reverse("wagtailadmin_javascript_catalog")).status_code == 200


def test_the_login_leads_to_the_code_step_and_a_right_code_opens_the_admin(client, people):
    user = people["owner_creator"]
    device = enrolled(user)
    response = password_login(client, user)
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)

    before = client.session.session_key
    response = client.post(VERIFY, {"code": current_code(device), "next": HOME})
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.session.session_key != before
    assert client.get(HOME).status_code == 200


def test_a_wrong_code_keeps_the_admin_closed(client, people):
    user = people["owner_creator"]
    device = enrolled(user)
    password_login(client, user)
    wrong = f"{(int(current_code(device)) + 1) % 10**6:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "Koden stämmer inte" in response.content.decode()
    assert client.get(HOME).status_code == 302


def test_a_backup_code_works_once(client, people):
    user = people["owner_creator"]
    enrolled(user)
    code = StaticToken.objects.filter(device__user=user).first().token
    password_login(client, user)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    assert client.get(HOME).status_code == 200

    client.post(reverse("wagtailadmin_logout"))
    password_login(client, user)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert client.get(HOME).status_code == 302
    assert otp.backup_codes_left(user) == otp.BACKUP_CODE_COUNT - 1


def test_first_login_enrols_with_a_qr_code_and_gives_backup_codes(client, people):
    user = people["issuer"]
    password_login(client, user)
    response = client.get(HOME)
    assert response["Location"].startswith(ENROL)
    page = client.get(ENROL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert "otpauth://totp/" in html
    assert device.config_url.replace("&", "&amp;") in html
    # The same secret on reload, so a scanned code keeps working.
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=user).count() == 1

    response = client.post(ENROL, {"code": current_code(device)})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == otp.BACKUP_CODE_COUNT
    assert all(code in response.content.decode() for code in codes)
    assert client.get(HOME).status_code == 200
    entry = ModelLogEntry.objects.get(action=otp.LOG_DEVICE_ENROL)
    assert entry.user_id == user.pk


def test_enrolment_with_a_wrong_code_confirms_nothing(client, people):
    user = people["issuer"]
    password_login(client, user)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 200
    assert "Koden stämmer inte" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert client.get(HOME).status_code == 302


def test_someone_with_a_device_cannot_enrol_a_new_one_with_the_password(client, people):
    user = people["owner_creator"]
    enrolled(user)
    password_login(client, user)
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_wrong_passwords_lock_the_login(client, people):
    user = people["owner_creator"]
    for _ in range(5):
        response = client.post(
            reverse("wagtailadmin_login"), {"username": user.username, "password": "fel"}
        )
    assert response.status_code == 429
    assert "tillfälligt spärrad" in response.content.decode()
    # Even the right password is refused now.
    response = client.post(
        reverse("wagtailadmin_login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert client.get(HOME).status_code == 302


def test_wrong_codes_lock_the_second_factor(client, people):
    user = people["owner_creator"]
    device = enrolled(user)
    password_login(client, user)
    for _ in range(5):
        response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 429
    assert "tillfälligt spärrad" in response.content.decode()
    assert AccessAttempt.objects.filter(username=user.username).exists()
    response = client.post(VERIFY, {"code": current_code(device)})
    assert response.status_code == 429
    assert client.get(HOME).status_code == 302


def test_the_codes_are_not_stored_by_the_lockout_log(client, people):
    user = people["owner_creator"]
    enrolled(user)
    password_login(client, user)
    client.post(VERIFY, {"code": "123456"})
    attempt = AccessAttempt.objects.get(username=user.username)
    assert "123456" not in attempt.post_data


def test_backup_codes_can_be_renewed_by_a_verified_user(people, admin_login):
    user = people["owner_creator"]
    client = admin_login(user)
    otp.backup_codes_replace(user=user)
    old = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert client.get(reverse("permissions_otp:backup_codes")).status_code == 200
    response = client.post(reverse("permissions_otp:backup_codes"))
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert response.status_code == 200
    assert new and not (new & old)


@pytest.fixture
def owner_admin_with_colleagues(people, organisations, make_representative):
    for person in ("owner_creator", "issuer", "outsider_creator"):
        enrolled(people[person])
    return people["owner_admin"]


def test_an_org_admin_resets_a_colleagues_second_factor(
    client, people, organisations, owner_admin_with_colleagues, admin_login, django_user_model
):
    colleague = people["owner_creator"]
    # The colleague is signed in elsewhere, verified with the old device.
    from django.test import Client

    elsewhere = Client()
    password_login(elsewhere, colleague)
    elsewhere.post(VERIFY, {"code": current_code(TOTPDevice.objects.get(user=colleague))})
    assert elsewhere.get(HOME).status_code == 200

    admin = admin_login(owner_admin_with_colleagues)
    listing = admin.get(reverse("permissions_otp:colleagues"))
    assert listing.status_code == 200
    assert colleague.username in listing.content.decode()
    assert people["outsider_creator"].username not in listing.content.decode()

    response = admin.post(
        reverse("permissions_otp:colleague_reset"),
        {"user": colleague.pk, "organisation": organisations["owner"].pk},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=colleague).exists()
    assert not StaticDevice.objects.filter(user=colleague).exists()
    entry = ModelLogEntry.objects.get(action=otp.LOG_DEVICE_RESET)
    assert entry.user_id == owner_admin_with_colleagues.pk
    assert entry.object_id == str(colleague.pk)
    assert entry.data["acting_organisation"]["orgnr"] == organisations["owner"].orgnr

    # The old verified session is verified no longer: it is sent to enrol again.
    response = elsewhere.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL)


def test_an_org_admin_cannot_reset_people_of_other_organisations(
    people, organisations, owner_admin_with_colleagues, admin_login
):
    admin = admin_login(owner_admin_with_colleagues)
    for person, organisation in (
        ("outsider_creator", "outsider"),
        ("outsider_creator", "owner"),
        ("issuer", "issuer"),
    ):
        response = admin.post(
            reverse("permissions_otp:colleague_reset"),
            {"user": people[person].pk, "organisation": organisations[organisation].pk},
        )
        assert response.status_code == 404
        assert TOTPDevice.objects.filter(user=people[person]).exists()
    assert not ModelLogEntry.objects.filter(action=otp.LOG_DEVICE_RESET).exists()


def test_people_who_are_not_org_admins_cannot_reset(people, organisations, admin_login):
    enrolled(people["owner_admin"])
    creator = admin_login(people["owner_creator"])
    assert creator.get(reverse("permissions_otp:colleagues")).status_code == 403
    response = creator.post(
        reverse("permissions_otp:colleague_reset"),
        {"user": people["owner_admin"].pk, "organisation": organisations["owner"].pk},
    )
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=people["owner_admin"]).exists()


def test_the_reset_service_refuses_self_and_strangers(people, organisations):
    from django.core.exceptions import PermissionDenied

    admin = people["owner_admin"]
    with pytest.raises(PermissionDenied):
        otp.second_factor_reset(user=admin, organisation=organisations["owner"], by=admin)
    with pytest.raises(PermissionDenied):
        otp.second_factor_reset(
            user=people["outsider_creator"], organisation=organisations["owner"], by=admin
        )
    representative_add(user=admin, organisation=organisations["outsider"], role=Role.CREATOR)
    with pytest.raises(PermissionDenied):
        otp.second_factor_reset(
            user=people["outsider_creator"], organisation=organisations["outsider"], by=admin
        )


def test_the_code_step_speaks_english_to_an_english_admin_user(client, people):
    user = people["owner_creator"]
    enrolled(user)
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    password_login(client, user)
    html = client.get(VERIFY).content.decode()
    assert "Enter your code" in html
    assert "Ange din kod" not in html
