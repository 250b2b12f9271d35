"""The holder's pages: "Mina mikromeriter", one credential, its downloads and share links; the shared page.

Every holder view is wrapped in ``holder_required`` (no BankID session: off to
the login, and back) and resolves its credential through
``credential_of_holder``, which answers 404 — never 403 — for a credential that
is someone else's, so public ids cannot be probed for. The shared page
(``/delad/<token>/``) needs no login and shows the same verification answers
as the public QR page, through ``public_verify.views.verification_context``.
Views stay thin: ``micromerits.sharing`` holds the rules, ``certificate`` the
PDF, ``public_verify.export`` the machine-readable file.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from permissions.holder import holder_recipient, holder_required

from . import sharing
from .certificate import certificate_pdf
from .models import Credential, ShareLink
from .presentation import issuance_facts, linkedin_url, micromerit_facts, outcome_groups
from .selectors import verification_url

#: Session key holding a share link just made, shown once on the next page and then forgotten.
NEW_LINK_SESSION_KEY = "holder_new_share_link"


def credential_of_holder(request, public_id: str) -> Credential:
    """The logged-in holder's credential ``public_id``, or 404 (also when it is someone else's)."""
    credential = sharing.holder_credential(holder_recipient(request), public_id)
    if credential is None:
        raise Http404
    return credential


def shared_url(token: str) -> str:
    """The absolute address of the shared page a share-link token opens."""
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return f"{base}{reverse('shared_credential', args=[token])}"


def private(response):
    """A holder page: personal, never stored by a browser or proxy cache (no-store, private)."""
    add_never_cache_headers(response)
    return response


def download_name(credential: Credential, suffix: str) -> str:
    return f"mikromerit-{slugify(credential.title)[:40] or 'intyg'}.{suffix}"


class ShareLinkForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Anteckning (valfri)"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Bara för dig, t.ex. vem du delade med."),
    )
    valid_through = forms.DateField(
        label=gettext_lazy("Gäller till och med (valfritt)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Lämna tomt för en länk som gäller tills du återkallar den."),
        error_messages={"invalid": gettext_lazy("Ange ett datum som ÅÅÅÅ-MM-DD.")},
    )

    def clean_valid_through(self):
        day = self.cleaned_data["valid_through"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Datumet har redan passerat."))
        return day

    def expires_at(self) -> datetime | None:
        """The end of the chosen day in Swedish time (the link works through that whole day)."""
        day = self.cleaned_data.get("valid_through")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# --- "Mina mikromeriter" -----------------------------------------------------


@require_GET
@holder_required
def credential_list(request):
    """Every credential issued to the holder, newest first; hidden ones in their own section."""
    recipient = holder_recipient(request)
    today = timezone.localdate()
    shown, hidden = [], []
    for credential in sharing.holder_credentials(recipient):
        item = {
            "credential": credential,
            "best_before": sharing.best_before_state(credential, today=today),
        }
        (hidden if credential.is_hidden else shown).append(item)
    return private(
        TemplateResponse(
            request,
            "micromerits/holder/list.html",
            {"recipient": recipient, "shown": shown, "hidden": hidden},
        )
    )


@require_GET
@holder_required
def credential_detail(request, public_id: str):
    """All of one credential, with its downloads, share links and the LinkedIn link."""
    credential = credential_of_holder(request, public_id)
    new_link = request.session.pop(NEW_LINK_SESSION_KEY, None)
    if new_link and new_link.get("credential") != credential.pk:
        new_link = None
    return private(
        TemplateResponse(
            request,
            "micromerits/holder/detail.html",
            detail_context(credential, new_link=new_link, form=ShareLinkForm()),
        )
    )


def detail_context(credential: Credential, *, new_link=None, form=None) -> dict:
    recipient = credential.recipient
    now = timezone.now()
    links = [
        {"link": link, "working": link.is_working(now), "expired": link.is_expired(now)}
        for link in credential.share_links.all()
    ]
    return {
        "credential": credential,
        "content": credential.content,
        "description": credential.content.get("description", ""),
        "holder_name": f"{recipient.first_name} {recipient.last_name}",
        "holder_birth_date": recipient.birth_date_text,
        "best_before": sharing.best_before_state(credential),
        "outcome_groups": outcome_groups(credential.content),
        "micromerit_facts": micromerit_facts(credential.content),
        "issuance_facts": issuance_facts(credential),
        "verification_url": verification_url(credential),
        "linkedin_url": linkedin_url(credential),
        "share_links": links,
        "new_link": new_link,
        "form": form,
    }


@require_POST
@holder_required
def credential_hide(request, public_id: str):
    credential = credential_of_holder(request, public_id)
    sharing.credential_hide(credential=credential, holder=holder_recipient(request))
    return redirect("holder_credentials")


@require_POST
@holder_required
def credential_unhide(request, public_id: str):
    credential = credential_of_holder(request, public_id)
    sharing.credential_unhide(credential=credential, holder=holder_recipient(request))
    return redirect("holder_credentials")


# --- downloads ---------------------------------------------------------------


def pdf_response(credential: Credential) -> HttpResponse:
    response = HttpResponse(certificate_pdf(credential), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{download_name(credential, "pdf")}"'
    return private(response)


@require_GET
@holder_required
def credential_pdf(request, public_id: str):
    return pdf_response(credential_of_holder(request, public_id))


@require_GET
@holder_required
def credential_export(request, public_id: str):
    """The machine-readable, offline-verifiable file (the registry's bundle) as a download."""
    from public_verify.export import bundle_json, credential_bundle

    credential = credential_of_holder(request, public_id)
    response = HttpResponse(
        bundle_json(credential_bundle(credential)), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{download_name(credential, "json")}"'
    return private(response)


# --- share links -------------------------------------------------------------


@require_POST
@holder_required
def share_link_create(request, public_id: str):
    """Make a share link; it is shown once, on the credential's page, right after."""
    credential = credential_of_holder(request, public_id)
    form = ShareLinkForm(request.POST)
    problem = None
    if form.is_valid():
        try:
            link, token = sharing.share_link_create(
                credential=credential,
                holder=holder_recipient(request),
                expires_at=form.expires_at(),
                label=form.cleaned_data["label"],
            )
        except sharing.HolderRefused as refusal:
            problem = refusal.message
        else:
            request.session[NEW_LINK_SESSION_KEY] = {
                "credential": credential.pk,
                "link": link.pk,
                "url": shared_url(token),
            }
            return redirect(f"{reverse('holder_credential', args=[public_id])}#delningslankar")
    if problem:
        form.add_error(None, problem)
    response = TemplateResponse(
        request, "micromerits/holder/detail.html", detail_context(credential, form=form), status=400
    )
    return private(response)


@require_POST
@holder_required
def share_link_withdraw(request, public_id: str, pk: int):
    credential = credential_of_holder(request, public_id)
    link = ShareLink.objects.filter(pk=pk, credential=credential).first()
    if link is None:
        raise Http404
    sharing.share_link_withdraw(share_link=link, holder=holder_recipient(request))
    return redirect(f"{reverse('holder_credential', args=[public_id])}#delningslankar")


# --- the shared page (public) ------------------------------------------------


def _shared_link_or_gone(request, token: str):
    """The working share link for ``token``, or the friendly page saying why it does not work."""
    link = sharing.share_link_for_token(token)
    if link is None:
        reason, status = "unknown", 404
    elif link.withdrawn_at is not None:
        reason, status = "withdrawn", 410
    elif link.is_expired():
        reason, status = "expired", 410
    else:
        return link, None
    response = TemplateResponse(
        request, "micromerits/holder/shared_gone.html", {"reason": reason}, status=status
    )
    add_never_cache_headers(response)
    return None, response


@require_GET
def shared_credential(request, token: str):
    """What someone the holder shared with sees: the credential and the QR page's answers."""
    from public_verify.views import verification_context

    link, gone = _shared_link_or_gone(request, token)
    if gone is not None:
        return gone
    credential = link.credential
    context = verification_context(request, credential)
    context.update(
        {
            "token": token,
            "description": credential.content.get("description", ""),
            "verification_url": verification_url(credential),
            "outcome_groups": outcome_groups(credential.content),
            "micromerit_facts": micromerit_facts(credential.content),
            "issuance_facts": issuance_facts(credential),
            "share_link": link,
        }
    )
    response = TemplateResponse(request, "micromerits/holder/shared.html", context)
    add_never_cache_headers(response)
    # The token is the whole secret: never send it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def shared_certificate(request, token: str):
    """The PDF certificate, for someone holding a working share link."""
    link, gone = _shared_link_or_gone(request, token)
    if gone is not None:
        return gone
    response = pdf_response(link.credential)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
