"""Read-only questions about representatives: which organisations a person acts for."""

from __future__ import annotations

from django.db.models import QuerySet

from micromerits.models import Organisation

from .models import Role


def organisations_of(user, *, role: str | None = None) -> QuerySet[Organisation]:
    """Organisations ``user`` represents (in ``role``, when given); every one for a superuser."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if user.is_superuser:
        return Organisation.objects.all()
    filters = {"representatives__user": user}
    if role is not None:
        filters["representatives__role"] = role
    return Organisation.objects.filter(**filters).distinct()


def represents(user, organisation: Organisation, *, role: str | None = None) -> bool:
    """Whether ``user`` represents ``organisation`` (in ``role``, when given)."""
    if not user.is_authenticated or not user.is_active:
        return False
    filters = {"organisation": organisation}
    if role is not None:
        filters["role"] = role
    return user.representations.filter(**filters).exists()


def creator_organisations(user) -> QuerySet[Organisation]:
    return organisations_of(user, role=Role.CREATOR)
