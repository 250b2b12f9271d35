"""Read-only questions about mikromeriter and credentials, shared by views and commands."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from permissions.models import Role
from permissions.policies import micromerit_policy

from .models import Credential, Micromerit, Organisation

#: Where a credential's public verification page lives (the public_verify app serves it).
VERIFY_PATH = "/verifiera/"


def verification_url(credential: Credential) -> str:
    """The absolute public URL that verifies ``credential`` (what the QR code holds)."""
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{VERIFY_PATH}{credential.public_id}/"


def issuing_organisations_for(user, micromerit: Micromerit) -> QuerySet[Organisation]:
    """Organisations ``user`` issues for that hold an active right to issue ``micromerit``."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    organisations = Organisation.objects.filter(
        issuing_rights__micromerit=micromerit, issuing_rights__withdrawn_at__isnull=True
    )
    if not user.is_superuser:
        organisations = organisations.filter(
            representatives__user=user, representatives__role=Role.ISSUER
        )
    return organisations.distinct().order_by("name")


def issuable_micromerits(user) -> QuerySet[Micromerit]:
    """Published mikromeriter that one of ``user``'s organisations may issue now."""
    allowed = micromerit_policy().instances_user_has_any_permission_for(user, ["issue"])
    queryset = Micromerit.objects.filter(pk__in=allowed.values("pk"), live=True)
    if not user.is_superuser:
        queryset = queryset.filter(
            issuing_rights__withdrawn_at__isnull=True,
            issuing_rights__organisation__representatives__user=user,
            issuing_rights__organisation__representatives__role=Role.ISSUER,
        )
    return queryset.distinct().select_related("owner").order_by("title")


def credentials_issued_by(user) -> QuerySet[Credential]:
    """Credentials issued by the organisations ``user`` issues for (or administers)."""
    if not user.is_authenticated:
        return Credential.objects.none()
    queryset = Credential.objects.select_related("micromerit", "issuer", "recipient", "issued_by")
    if user.is_superuser:
        return queryset
    return queryset.filter(
        issuer__representatives__user=user,
        issuer__representatives__role__in=[Role.ISSUER, Role.ADMIN],
    ).distinct()
