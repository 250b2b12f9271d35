"""Make Wagtail admin viewsets honour object-level permissions on every view.

Wagtail 8's stock snippet views check model-level permissions only, so a user
who may edit *some* mikromerit would get 200 on the edit, inspect or history view
of *any* (wagtail#13314). Rather than subclassing each of the dozen object
views, ``ObjectPermissionViewSetMixin`` wraps every URL that names an object
(``pk``) in one check against the model's permission policy, and scopes the
listing and chooser querysets to the objects the user has any right on. A view
added by a future Wagtail release is covered too: its URL carries ``pk``, and
an unknown URL name requires the strictest action, ``change``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from wagtail.permissions import policy_registry
from wagtail.snippets.views import chooser as snippet_chooser

#: Which action each object URL of a snippet viewset needs; anything else needs "change".
URL_ACTIONS: dict[str, tuple[str, ...]] = {
    "inspect": ("view", "change"),
    "history": ("view", "change"),
    "history_results": ("view", "change"),
    "usage": ("view", "change"),
    "revisions_view": ("view", "change"),
    "revisions_compare": ("view", "change"),
    "workflow_history": ("view", "change"),
    "workflow_history_detail": ("view", "change"),
    "copy": ("view", "change"),
    "preview_on_edit": ("change",),
    "edit": ("change",),
    "revisions_revert": ("change",),
    "revisions_unschedule": ("publish",),
    "unpublish": ("publish",),
    "delete": ("delete",),
    "lock": ("lock",),
    "unlock": ("unlock",),
}
DEFAULT_URL_ACTIONS = ("change",)


def _scoped(view, queryset):
    """``queryset`` cut to the objects the chooser's user has a listing right on.

    Wagtail's snippet chooser lists and returns every object of the model,
    whatever the user may do with it: without this, any representative could
    read other organisations' draft titles through the chooser (found by
    tests/permissions/test_matrix.py).
    """
    policy = policy_registry.get_by_type(view.model_class)
    allowed = policy.instances_user_has_any_permission_for(
        view.request.user, ObjectPermissionViewSetMixin.listing_actions
    )
    return queryset.filter(pk__in=allowed.values("pk"))


class ScopedChooseView(snippet_chooser.ChooseView):
    def get_object_list(self):
        return _scoped(self, super().get_object_list())


class ScopedChooseResultsView(snippet_chooser.ChooseResultsView):
    def get_object_list(self):
        return _scoped(self, super().get_object_list())


class ScopedChosenView(snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        return _scoped(self, self.model_class._default_manager.all()).get(pk=pk)


class ScopedChosenMultipleView(snippet_chooser.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return _scoped(self, super().get_objects(pks))


class ScopedSnippetChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    """The snippet chooser, showing only what the user may list."""

    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


def _names_an_object(pattern: URLPattern) -> bool:
    return "pk" in pattern.pattern.regex.groupindex


class ObjectPermissionViewSetMixin:
    """Mix into a ``SnippetViewSet``/``ModelViewSet`` whose model has an object-level policy."""

    #: Read-only actions, any of which lets a user see an object in the listing.
    listing_actions: tuple[str, ...] = ("view", "change")
    #: The chooser too lists only what the user may list.
    chooser_viewset_class = ScopedSnippetChooserViewSet

    def get_queryset(self, request):
        return self.permission_policy.instances_user_has_any_permission_for(
            request.user, self.listing_actions
        )

    def _guard(self, view_func, actions: tuple[str, ...]):
        model = self.model
        policy = self.permission_policy

        @wraps(view_func)
        def guarded(request, *args, **kwargs):
            instance = get_object_or_404(model, pk=unquote(str(kwargs["pk"])))
            if not policy.user_has_any_permission_for_instance(request.user, actions, instance):
                raise PermissionDenied
            return view_func(request, *args, **kwargs)

        return guarded

    def get_urlpatterns(self):
        patterns = super().get_urlpatterns()
        for pattern in patterns:
            if isinstance(pattern, URLPattern) and _names_an_object(pattern):
                actions = URL_ACTIONS.get(pattern.name, DEFAULT_URL_ACTIONS)
                pattern.callback = self._guard(pattern.callback, actions)
        return patterns
