"""Permission policies: the one place that answers "may this person do that to this object?".

Wagtail's admin asks a model's registered policy for every list, form and
button. ``ObjectPermissionPolicy`` answers model-level questions from Django
groups (what kind of work a role does) and instance-level questions from
django-guardian only (on which objects), so a creator of one organisation holds
``change_micromerit`` in general but on no mikromerit of another organisation.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user, get_users_with_perms
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry


class ObjectPermissionPolicy(ModelPermissionPolicy):
    """Model permissions from groups; instance permissions from guardian, never from the model level."""

    def _codenames(self, actions) -> list[str]:
        return [self._get_permission_codename(action) for action in actions]

    def user_has_permission_for_instance(self, user, action: str, instance: Model) -> bool:
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance: Model) -> bool:
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        checker = ObjectPermissionChecker(user)
        return any(checker.has_perm(codename, instance) for codename in self._codenames(actions))

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not (user.is_authenticated and user.is_active):
            return self.model._default_manager.none()
        if user.is_superuser:
            return self.model._default_manager.all()
        return get_objects_for_user(
            user,
            [f"{self.app_label}.{codename}" for codename in self._codenames(actions)],
            klass=self.model,
            any_perm=True,
            accept_global_perms=False,
            with_superuser=False,
        )

    def users_with_any_permission_for_instance(self, actions, instance: Model):
        codenames = set(self._codenames(actions))
        users = get_users_with_perms(instance, attach_perms=True, with_group_users=True)
        pks = [user.pk for user, perms in users.items() if codenames & set(perms)]
        return self.auth_model._default_manager.filter(pk__in=pks) | (
            self.auth_model._default_manager.filter(is_superuser=True, is_active=True)
        )


def micromerit_policy() -> ObjectPermissionPolicy:
    """The policy registered for ``Micromerit`` (see ``PermissionsConfig.ready``)."""
    from micromerits.models import Micromerit

    return policy_registry.get_by_type(Micromerit)
