from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = _("Behörigheter")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registered here, before any admin view can ask and create a fallback.
        from wagtail.permissions import register_permission_policy

        from micromerits.models import Micromerit

        from .policies import ObjectPermissionPolicy

        register_permission_policy(Micromerit, ObjectPermissionPolicy(Micromerit))
