"""The public verification's place in Wagtail: the holder check's audit-log action."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .holder_check import LOG_HOLDER_CHECK


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action(
        LOG_HOLDER_CHECK, _("Kontroll av innehavare"), _("Innehavaren kontrollerad")
    )
