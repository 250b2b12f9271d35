"""Admin screens of the second factor: the code step, enrolment, backup codes, colleague reset.

The password step is Wagtail's own login view (with django-axes in front of it);
``permissions.middleware.SecondFactorRequiredMiddleware`` then sends every admin
request of a session that has not passed the second factor here. The views are
thin: the rules live in ``permissions.otp``.

Wrong codes count as failed logins for django-axes (the ``user_login_failed``
signal with the username), so guessing codes locks the account out just as
guessing passwords does.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.contrib import messages
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from . import otp


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Kod"),
        max_length=32,
        help_text=gettext_lazy(
            "Sex siffror från din autentiseringsapp, eller en av dina reservkoder."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": ""}
        ),
    )


class ResetForm(forms.Form):
    user = forms.IntegerField(widget=forms.HiddenInput)
    organisation = forms.IntegerField(widget=forms.HiddenInput)


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def _with_next(url_name: str, request) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


def _credentials(user) -> dict:
    return {"username": user.get_username()}


def _locked_out(request, user):
    """The lockout page when axes has locked this user (by the login's parameters), else None."""
    credentials = _credentials(user)
    if AxesProxyHandler.is_locked(request, credentials):
        return get_lockout_response(request, None, credentials)
    return None


def verify(request):
    """The second step of signing in: a code from the app or a backup code."""
    user = request.user
    if user.is_verified():
        return HttpResponseRedirect(_next_url(request))
    if not otp.has_second_factor(user):
        return redirect(_with_next("permissions_otp:enrol", request))
    if (locked := _locked_out(request, user)) is not None:
        return locked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp.second_factor_verify(user=user, token=form.cleaned_data["code"])
        if device is not None:
            # A new session key when the session gains rights (as Django does at login).
            request.session.cycle_key()
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
        if (locked := _locked_out(request, user)) is not None:
            return locked
        form.add_error("code", _("Koden stämmer inte. Försök igen med en ny kod."))
    return TemplateResponse(
        request,
        "permissions/otp/verify.html",
        {"form": form, "next": _next_url(request)},
    )


def enrol(request):
    """First sign-in: scan the QR code, confirm with a code, receive backup codes."""
    user = request.user
    if otp.has_second_factor(user):
        # Enrolment is for people without a second factor; anyone else proves theirs.
        return redirect(_with_next("permissions_otp:verify", request))
    if (locked := _locked_out(request, user)) is not None:
        return locked
    device = otp.totp_enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = otp.totp_enrolment_confirm(
            user=user, device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session.cycle_key()
            device.refresh_from_db()
            otp_login(request, device)
            return TemplateResponse(
                request,
                "permissions/otp/backup_codes.html",
                {"codes": codes, "next": _next_url(request), "first_time": True},
            )
        user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
        if (locked := _locked_out(request, user)) is not None:
            return locked
        form.add_error("code", _("Koden stämmer inte. Kontrollera att telefonens klocka går rätt."))
    return TemplateResponse(
        request,
        "permissions/otp/enrol.html",
        {
            "form": form,
            "qr_svg": otp.totp_qr_svg(device),
            "otpauth_uri": device.config_url,
            "next": _next_url(request),
        },
    )


def backup_codes(request):
    """A verified user's backup codes: how many are left; POST makes a new set."""
    if request.method == "POST":
        codes = otp.backup_codes_replace(user=request.user)
        return TemplateResponse(
            request,
            "permissions/otp/backup_codes.html",
            {"codes": codes, "next": reverse("wagtailadmin_home"), "first_time": False},
        )
    return TemplateResponse(
        request,
        "permissions/otp/backup_codes_status.html",
        {"left": otp.backup_codes_left(request.user)},
    )


def colleagues(request):
    """An organisation administrator's list of colleagues whose second factor may be reset."""
    organisations = list(otp.organisations_administered(request.user))
    if not organisations:
        return TemplateResponse(
            request, "permissions/otp/colleagues.html", {"rows": [], "allowed": False}, status=403
        )
    rows = []
    for colleague in otp.colleagues_for_reset(request.user).prefetch_related(
        "representations__organisation"
    ):
        shared = sorted(
            {r.organisation for r in colleague.representations.all()} & set(organisations),
            key=lambda organisation: organisation.name,
        )
        rows.append(
            {
                "user": colleague,
                "organisations": shared,
                "enrolled": otp.has_second_factor(colleague),
            }
        )
    return TemplateResponse(
        request, "permissions/otp/colleagues.html", {"rows": rows, "allowed": True}
    )


@require_POST
def colleague_reset(request):
    """Reset a colleague's second factor (POST only; the service checks the right)."""
    form = ResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ogiltig begäran."))
        return redirect("permissions_otp:colleagues")
    organisation = get_object_or_404(
        otp.organisations_administered(request.user), pk=form.cleaned_data["organisation"]
    )
    colleague = get_object_or_404(
        otp.colleagues_for_reset(request.user).filter(representations__organisation=organisation),
        pk=form.cleaned_data["user"],
    )
    otp.second_factor_reset(user=colleague, organisation=organisation, by=request.user)
    messages.success(
        request,
        _(
            "Tvåstegsverifieringen för %(name)s är återställd. Personen registrerar en ny app vid nästa inloggning."
        )
        % {"name": colleague.get_full_name() or colleague.get_username()},
    )
    return redirect("permissions_otp:colleagues")
