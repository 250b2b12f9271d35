"""State changes about who may act: roles, groups and object permissions.

The single place that writes Django groups and django-guardian object
permissions. Everything here is idempotent, so it can be re-run after a crash or
a data repair and arrives at the same state.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from guardian.shortcuts import assign_perm, get_groups_with_perms, remove_perm

from micromerits.models import Micromerit, Organisation

from .models import Representative, Role

User = get_user_model()

#: Model-level permissions per role: what *kind* of work a role does. Which
#: mikromeriter it may do it on is decided by object permissions below.
ROLE_MODEL_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: ["wagtailadmin.access_admin", "micromerits.view_micromerit"],
    Role.CREATOR: [
        "wagtailadmin.access_admin",
        "micromerits.add_micromerit",
        "micromerits.change_micromerit",
        "micromerits.delete_micromerit",
        "micromerits.view_micromerit",
        "micromerits.publish_micromerit",
        "micromerits.lock_micromerit",
        "micromerits.unlock_micromerit",
        "micromerits.grant_micromerit",
    ],
    Role.ISSUER: ["wagtailadmin.access_admin", "micromerits.issue_micromerit"],
}

#: Object permissions the owner organisation's groups hold on each of its mikromeriter.
OWNER_OBJECT_PERMISSIONS: dict[str, list[str]] = {
    Role.CREATOR: [
        "change_micromerit",
        "delete_micromerit",
        "view_micromerit",
        "publish_micromerit",
        "lock_micromerit",
        "unlock_micromerit",
        "grant_micromerit",
    ],
    Role.ADMIN: ["view_micromerit"],
    Role.ISSUER: ["view_micromerit"],
}
#: Object permission an issuer organisation's issuers hold while its right is active.
ISSUER_OBJECT_PERMISSION = "issue_micromerit"


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def group_name(organisation: Organisation, role: str) -> str:
    """The name of the group backing ``role`` in ``organisation``."""
    return f"{organisation.orgnr} {role}"


def organisation_group(organisation: Organisation, role: str) -> Group:
    """Return (creating if needed) the group for ``role`` in ``organisation``, with its model permissions."""
    group, created = Group.objects.get_or_create(name=group_name(organisation, role))
    if created:
        group.permissions.set([_permission(p) for p in ROLE_MODEL_PERMISSIONS[role]])
    return group


def organisation_groups_ensure(organisation: Organisation) -> None:
    """Create the three role groups of an organisation (idempotent)."""
    for role in Role.values:
        organisation_group(organisation, role)


@transaction.atomic
def representative_add(*, user: User, organisation: Organisation, role: str) -> Representative:
    """Make ``user`` a representative of ``organisation`` in ``role`` (idempotent).

    Returns:
        The representative row (existing or new).
    """
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    representative, _created = Representative.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    user.groups.add(organisation_group(organisation, role))
    return representative


@transaction.atomic
def representative_remove(*, user: User, organisation: Organisation, role: str) -> None:
    """Take ``role`` in ``organisation`` away from ``user`` (idempotent)."""
    Representative.objects.filter(user=user, organisation=organisation, role=role).delete()
    user.groups.remove(organisation_group(organisation, role))


@transaction.atomic
def micromerit_permissions_sync(micromerit: Micromerit) -> None:
    """Make the object permissions on ``micromerit`` match its owner and active issuing rights.

    Called after every change of owner-side state (creation, grant, withdrawal).
    Recomputing from the domain state, rather than adding and removing single
    rows, means the permissions can never drift from the issuing rights.
    """
    wanted: dict[Group, set[str]] = {}
    for role, codenames in OWNER_OBJECT_PERMISSIONS.items():
        wanted.setdefault(organisation_group(micromerit.owner, role), set()).update(codenames)
    for right in micromerit.issuing_rights.active().select_related("organisation"):
        group = organisation_group(right.organisation, Role.ISSUER)
        wanted.setdefault(group, set()).add(ISSUER_OBJECT_PERMISSION)

    current = get_groups_with_perms(micromerit, attach_perms=True)
    for group, codenames in current.items():
        for codename in set(codenames) - wanted.get(group, set()):
            remove_perm(codename, group, micromerit)
    for group, codenames in wanted.items():
        for codename in codenames - set(current.get(group, [])):
            assign_perm(codename, group, micromerit)
