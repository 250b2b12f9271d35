"""The second factor of admin users: enrolment, verification, backup codes, reset.

Every representative signs in to the admin with a password and then a TOTP
code (django-otp). A user without a confirmed device enrols on first sign-in:
an unconfirmed TOTP device is made, shown as a QR code and as its otpauth URI,
and becomes confirmed when the user types a correct code; at that moment the
user also gets single-use backup codes (a static device). Verification accepts
a code of any confirmed device, so a backup code works where the app is lost.

An organisation administrator may reset a colleague's second factor (delete the
devices, so the colleague enrols again at next sign-in) — only for people of
organisations the administrator administers; each reset is in the audit log.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.functional import LazyObject, empty
from django_otp import devices_for_user, match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import log

from micromerits.models import Organisation

from .models import Representative, Role

User = get_user_model()

#: Audit log action of a second-factor reset (registered in ``wagtail_hooks``).
LOG_DEVICE_RESET = "permissions.second_factor.reset"
#: Audit log action of a completed enrolment.
LOG_DEVICE_ENROL = "permissions.second_factor.enrol"

#: How many single-use backup codes a user gets at a time.
BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Autentiseringsapp"
BACKUP_DEVICE_NAME = "Reservkoder"


def _unwrapped(user):
    """The real user object behind ``request.user``.

    django-otp's middleware wraps the auth middleware's lazy user in a second
    lazy object; Wagtail's audit log looks up the log model by the instance's
    type and silently logs nothing for a lazy object it cannot see through.
    """
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def has_second_factor(user) -> bool:
    """Whether ``user`` has a confirmed device (and so verifies instead of enrolling)."""
    return any(True for _device in devices_for_user(user, confirmed=True))


def totp_enrolment_device(*, user) -> TOTPDevice:
    """Return the user's unconfirmed TOTP device, making one if needed.

    The same device is returned until it is confirmed, so reloading the
    enrolment page shows the same QR code the user may already have scanned.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth URI drawn as an inline SVG QR code (no script, no style attribute)."""
    import segno

    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=5, border=2, title="QR")


def _otp_token(token: str) -> str:
    # People type codes with spaces or a dash ("123 456", "abcd-efgh").
    return "".join(token.split()).replace("-", "").lower()


@transaction.atomic
def totp_enrolment_confirm(*, user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with ``token``; return fresh backup codes, or None for a wrong code.

    Parameters:
        device: the user's unconfirmed device from ``totp_enrolment_device``.
        token: the code the authenticator app shows.

    Returns:
        The new backup codes (shown once; stored only in the static device).
    """
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token(_otp_token(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Older unconfirmed devices of an abandoned enrolment are useless secrets.
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = backup_codes_replace(user=user)
    user = _unwrapped(user)
    log(instance=user, action=LOG_DEVICE_ENROL, user=user, data={"device": device.persistent_id})
    return codes


@transaction.atomic
def backup_codes_replace(*, user) -> list[str]:
    """Give ``user`` a new set of single-use backup codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, user, token: str) -> Device | None:
    """Return the confirmed device that accepts ``token`` (a backup code is used up), or None.

    django-otp's per-device throttling applies: after a wrong code the device
    refuses even right codes for a growing delay.
    """
    token = _otp_token(token)
    if not token:
        return None
    return match_token(user, token)


def organisations_administered(user) -> QuerySet[Organisation]:
    """Organisations in which ``user`` is an organisation administrator."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        representatives__user=user, representatives__role=Role.ADMIN
    ).distinct()


def colleagues_for_reset(by) -> QuerySet:
    """People whose second factor ``by`` may reset: representatives of the organisations ``by`` administers."""
    organisations = organisations_administered(by)
    return (
        User.objects.filter(representations__organisation__in=organisations)
        .exclude(pk=by.pk)
        .distinct()
        .order_by("username")
    )


@transaction.atomic
def second_factor_reset(*, user, organisation: Organisation, by) -> int:
    """Remove every second-factor device of ``user``; they enrol again at next sign-in.

    Only an administrator of ``organisation`` may do it, and only for a
    representative of that organisation (never for themselves: a lost device of
    one's own is reset by a colleague). Sessions that were verified with the old
    device stop being verified at once, because the device is gone.

    Returns:
        The number of devices removed.

    Raises:
        PermissionDenied: ``by`` does not administer ``organisation`` or ``user`` is not of it.
    """
    if by.pk == user.pk:
        raise PermissionDenied(f"user {by.pk} may not reset their own second factor")
    if not Representative.objects.filter(
        user=by, organisation=organisation, role=Role.ADMIN
    ).exists():
        raise PermissionDenied(f"user {by.pk} does not administer organisation {organisation.pk}")
    if not Representative.objects.filter(user=user, organisation=organisation).exists():
        raise PermissionDenied(f"user {user.pk} is not of organisation {organisation.pk}")
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    log(
        instance=_unwrapped(user),
        action=LOG_DEVICE_RESET,
        user=_unwrapped(by),
        data={
            "acting_organisation": {"id": organisation.pk, "orgnr": organisation.orgnr},
            "devices_removed": removed,
        },
    )
    return removed
