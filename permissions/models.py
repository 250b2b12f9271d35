"""Who acts for which organisation, and in what role.

Each (organisation, role) pair is backed by a Django group; a representative row
and membership of that group always go together (``permissions.services``).
Model-level permissions on the groups say what kind of work a role does;
django-guardian's object permissions, given to the same groups, say on which
mikromeriter they may do it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Organisationsadministratör")
    CREATOR = "creator", _("Skapare")
    ISSUER = "issuer", _("Utfärdare")


class Representative(models.Model):
    """A person acting for an organisation in one role (företrädare).

    A person may represent several organisations and hold several roles in one;
    each is its own row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="representations"
    )
    organisation = models.ForeignKey(
        "micromerits.Organisation", on_delete=models.CASCADE, related_name="representatives"
    )
    role = models.CharField(_("roll"), max_length=16, choices=Role.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("företrädare")
        verbose_name_plural = _("företrädare")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="one_row_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation.name} ({self.get_role_display()})"
