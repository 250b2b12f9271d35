"""Views of the public verification page: the HTML answers, the JSON answers, the holder check.

Called by ``pages.VerificationPage``'s routes. Thin: ``verification.verify``
judges, ``answers`` words the verdict, ``holder_check`` checks the holder.
``verification_context`` is the one place that builds what a template needs
to show a credential's answers, so the holder's share page (micromerits) and
this page show the same truth. Results of a holder check are rendered into
the POST's own response, never put into a URL, and no response is cached by
browsers or proxies.

``credential_answer`` stands in front of Wagtail for ``/verifiera/<id>/`` and
its ``json/``: a GET whose answer is already worked out for the credential's
present state is answered from ``answer_cache`` in one query; anything else
goes on to the page's routes, which keep what they render for next time.

Neither the page nor the holder check uses a CSRF token. CSRF protects what a
visitor's session may do, and these pages act for no session: the holder
check's only defence needed is the rate limit, per client and per credential,
which a forged cross-site POST cannot get around (and whose answer it cannot
read). Without a per-visitor token the page is the same for every visitor in
a language, so it can be kept.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from wagtail.views import serve as wagtail_serve

from micromerits.models import Credential
from micromerits.selectors import VERIFY_PATH

from . import answer_cache
from .answers import credential_answers, credential_content
from .forms import FindCredentialForm, HolderCheckForm
from .holder_check import HolderCheckResult, client_address, client_key, holder_check
from .verification import verify

#: Methods the credential routes answer; anything else gets 405.
ALLOWED_METHODS = ["GET", "HEAD", "POST"]

#: What a credential's public id looks like (``secrets.token_urlsafe``); anything else is a 404.
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def credential_for_public_id(public_id: str) -> Credential | None:
    """The credential with that public id, or None (also for a malformed id)."""
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    return (
        Credential.objects.select_related("version", "issuer", "recipient", "issued_by")
        .filter(public_id=public_id)
        .first()
    )


def verification_path(credential: Credential) -> str:
    """The site-relative URL of ``credential``'s verification page (where the holder check posts)."""
    return f"{VERIFY_PATH}{credential.public_id}/"


def holder_check_from_request(request, credential: Credential) -> HolderCheckResult:
    """Run the holder check on a POST's ``personnummer`` (form field or JSON body)."""
    typed = request.POST.get("personnummer")
    if typed is None and request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
            typed = body.get("personnummer") if isinstance(body, dict) else None
        except ValueError:
            typed = None
    if not isinstance(typed, str):
        typed = ""
    return holder_check(
        credential=credential, typed=typed, client=client_key(client_address(request))
    )


def verification_context(
    request, credential: Credential, *, holder_result: HolderCheckResult | None = None
) -> dict:
    """Everything a template needs to show ``credential`` with its verification answers.

    Parameters:
        holder_result: the answer of a holder check made in this request, if any.

    Returns:
        ``credential``, ``verdict`` (``verification.Verdict``), ``answers`` (the
        worded verdict and content, as the JSON endpoint gives them), ``content``,
        ``holder_form`` (always empty), ``holder_check_action`` (where the form
        posts) and ``holder_result``. Include
        ``public_verify/includes/verdict.html`` and
        ``public_verify/includes/holder_check.html`` with it.
    """
    verdict = verify(credential)
    answers = credential_answers(credential, verdict)
    return {
        "credential": credential,
        "verdict": verdict,
        "answers": answers,
        "content": answers["credential"],
        "holder_form": HolderCheckForm(),
        "holder_check_action": verification_path(credential),
        "holder_result": holder_result,
    }


def _no_store(response):
    add_never_cache_headers(response)
    return response


def not_found(request, page, *, status: int = 404):
    """The friendly page for an unknown or malformed credential id."""
    response = TemplateResponse(
        request,
        "public_verify/not_found.html",
        {"page": page, "self": page, "find_form": FindCredentialForm()},
        status=status,
    )
    return _no_store(response)


def verification_index(request, page):
    """``/verifiera/``: what verification is, and a form taking an id or a pasted URL."""
    form = FindCredentialForm(request.GET or None)
    if form.is_bound and form.is_valid():
        public_id = public_id_from_text(form.cleaned_data["id"])
        if public_id:
            return HttpResponseRedirect(f"{page.url}{public_id}/")
        form.add_error(
            "id", _("Det ser inte ut som ett intygs id eller en adress till en verifieringssida.")
        )
    return TemplateResponse(
        request,
        "public_verify/verification_page.html",
        {"page": page, "self": page, "find_form": form},
    )


def public_id_from_text(text: str) -> str | None:
    """The public id in what a verifier typed: an id, or a URL ending in ``/verifiera/<id>/``."""
    text = text.strip()
    if PUBLIC_ID.fullmatch(text):
        return text
    path = urlsplit(text).path if "/" in text else ""
    segments = [segment for segment in path.split("/") if segment]
    if segments and segments[-1] == "json":
        segments.pop()
    if (
        len(segments) >= 2
        and segments[-2] == VERIFY_PATH.strip("/")
        and PUBLIC_ID.fullmatch(segments[-1])
    ):
        return segments[-1]
    return None


@csrf_exempt
def credential_answer(request, public_id: str, kind: str):
    """``/verifiera/<id>/`` (``kind`` HTML) and ``json/``, before Wagtail: a kept answer, or the page."""
    if request.method in ("GET", "HEAD"):
        kept = answer_cache.lookup(public_id, kind)
        if kept is not None:
            return kept
    return wagtail_serve(request, request.path_info.lstrip("/"))


def _state(request, page, public_id: str, kind: str) -> answer_cache.State | None:
    """The state this request's answer is made from when it may be kept (GET and HEAD), else None."""
    if request.method in ("GET", "HEAD"):
        return answer_cache.state(public_id, kind, page.pk)
    return None


def credential_page(request, page, public_id: str):
    """``/verifiera/<id>/``: the answers in HTML; POST runs the holder check."""
    if request.method not in ALLOWED_METHODS:
        return HttpResponseNotAllowed(ALLOWED_METHODS)
    made_from = _state(request, page, public_id, answer_cache.HTML)
    credential = credential_for_public_id(public_id)
    if credential is None:
        return not_found(request, page)
    holder_result = None
    if request.method == "POST":
        holder_result = holder_check_from_request(request, credential)
    context = verification_context(request, credential, holder_result=holder_result)
    context.update({"page": page, "self": page})
    status = 429 if holder_result is not None and holder_result.rate_limited else 200
    response = TemplateResponse(
        request, "public_verify/credential_page.html", context, status=status
    ).render()
    answer_cache.store(made_from, public_id, answer_cache.HTML, response)
    return _no_store(response)


def holder_check_json(result: HolderCheckResult) -> dict:
    return {"result": result.outcome.value, "answer": result.answer, "text": result.text}


def credential_json(request, page, public_id: str):
    """``/verifiera/<id>/json/``: the same answers as JSON; POST runs the holder check.

    A POST takes ``personnummer`` as a form field or in a JSON body; no CSRF token.
    """
    if request.method not in ALLOWED_METHODS:
        return HttpResponseNotAllowed(ALLOWED_METHODS)
    made_from = _state(request, page, public_id, answer_cache.JSON)
    credential = credential_for_public_id(public_id)
    if credential is None:
        return _no_store(
            JsonResponse(
                {"status": "not_found", "text": _("Det finns inget intyg med det id:t.")},
                status=404,
                json_dumps_params={"ensure_ascii": False},
            )
        )
    verdict = verify(credential)
    body = credential_answers(credential, verdict)
    status = 200
    if request.method == "POST":
        result = holder_check_from_request(request, credential)
        body["holder_check"] = holder_check_json(result)
        status = 429 if result.rate_limited else 200
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    answer_cache.store(made_from, public_id, answer_cache.JSON, response)
    return _no_store(response)


__all__ = [
    "credential_content",
    "holder_check_from_request",
    "verification_context",
    "verification_path",
]
