"""Middleware guarding the admin: the second factor, and the admin's own Content-Security-Policy.

``SecondFactorRequiredMiddleware`` runs after django-otp's ``OTPMiddleware``
(which tells whether the session passed the second factor). A signed-in session
that has not passed it gets a redirect, never a page, from every admin URL
except the few it needs to finish signing in: the login and logout, the code
step, enrolment and the JavaScript translation catalogue that the login page
loads. Checking here, not in each view, means an admin view added tomorrow is
covered without anyone remembering to.

``PortalCSPMiddleware`` is django-csp's middleware with one change: under the
admin prefix it applies ``PORTAL_ADMIN_CONTENT_SECURITY_POLICY`` (Wagtail's
admin still needs inline scripts and styles), everywhere else the strict
``CONTENT_SECURITY_POLICY``.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode

from . import otp


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def admin_prefix(self) -> str:
        return reverse("wagtailadmin_home")

    @cached_property
    def allowed_paths(self) -> frozenset[str]:
        """Admin paths a password-only session may reach: what it needs to finish (or quit) signing in."""
        return frozenset(
            reverse(name)
            for name in (
                "wagtailadmin_login",
                "wagtailadmin_logout",
                "wagtailadmin_javascript_catalog",
                # The icon sprite, fetched by the admin's JS on every page (the
                # verify page too): redirected, the page would be inserted twice.
                "wagtailadmin_sprite",
                "permissions_otp:verify",
                "permissions_otp:enrol",
            )
        )

    def __call__(self, request):
        path = request.path
        if path.startswith(self.admin_prefix) and path not in self.allowed_paths:
            user = request.user
            if user.is_authenticated and not user.is_verified():
                step = (
                    "permissions_otp:verify"
                    if otp.has_second_factor(user)
                    else "permissions_otp:enrol"
                )
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse(step)}?{query}")
        return self.get_response(request)


class PortalCSPMiddleware(CSPMiddleware):
    @cached_property
    def admin_prefix(self) -> str:
        return reverse("wagtailadmin_home")

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and request.path.startswith(self.admin_prefix):
            admin_policy = settings.PORTAL_ADMIN_CONTENT_SECURITY_POLICY
            parts.config = default_config(admin_policy["DIRECTIVES"])
        return parts
