"""The second factor's place in the Wagtail admin: its URLs, menu items and audit log actions.

The code step and enrolment live under the admin prefix (``/admin/tvastegs/``)
so that Wagtail's own access check (signed in, may use the admin) applies to
them too; ``permissions.middleware`` lets a password-only session reach just
those two.
"""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import audit, otp, otp_views

audit.connect()

otp_urlpatterns = [
    path("", otp_views.verify, name="verify"),
    path("registrera/", otp_views.enrol, name="enrol"),
    path("reservkoder/", otp_views.backup_codes, name="backup_codes"),
    path("kollegor/", otp_views.colleagues, name="colleagues"),
    path("kollegor/aterstall/", otp_views.colleague_reset, name="colleague_reset"),
]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("tvastegs/", include((otp_urlpatterns, "permissions_otp")))]


class ColleaguesMenuItem(MenuItem):
    def is_shown(self, request):
        return otp.organisations_administered(request.user).exists()


@hooks.register("register_settings_menu_item")
def colleagues_menu_item():
    return ColleaguesMenuItem(
        _("Kollegors tvåstegsverifiering"),
        reverse("permissions_otp:colleagues"),
        icon_name="lock",
        order=900,
    )


@hooks.register("register_settings_menu_item")
def backup_codes_menu_item():
    return MenuItem(
        _("Mina reservkoder"),
        reverse("permissions_otp:backup_codes"),
        icon_name="key",
        order=910,
    )


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action(
        otp.LOG_DEVICE_RESET,
        _("Återställ tvåstegsverifiering"),
        _("Tvåstegsverifiering återställd"),
    )
    actions.register_action(
        otp.LOG_DEVICE_ENROL,
        _("Registrera tvåstegsverifiering"),
        _("Tvåstegsverifiering registrerad"),
    )
