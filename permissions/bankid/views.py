"""The holder's login and logout pages (BankID), thin over ``permissions.bankid.login``.

``/logga-in/`` starts a BankID order and shows its animated QR code and the
"open BankID on this device" link; ``bankid.js`` swaps the QR image every second
(``/logga-in/qr/``) and polls ``/logga-in/status/`` every two seconds. Both
answer only about the order kept in the visitor's session.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from permissions.bankid import client, login, messages
from permissions.bankid.client import BankIDFailure
from permissions.holder import holder_logged_in, holder_logout, safe_next_url


@never_cache
@require_GET
def login_page(request):
    next_url = safe_next_url(request, settings.PORTAL_HOLDER_PATH)
    if holder_logged_in(request):
        return redirect(next_url)
    try:
        order = login.login_start(request, next_url=next_url)
    except BankIDFailure as failure:
        return render(
            request,
            "permissions/bankid_failed.html",
            {"message": failure.message, "next": next_url},
            status=503,
        )
    return render(
        request,
        "permissions/bankid_login.html",
        {
            "autostart_url": client.autostart_url(order),
            "message": messages.message_for_hint(
                status="pending", hint_code="outstandingTransaction"
            ),
            "question": messages.RFA["RFA20"],
            "network_message": messages.NETWORK_ERROR,
            "next": next_url,
            "mobile": login.is_mobile(request),
        },
    )


@never_cache
@require_GET
def login_qr(request):
    """The animated QR code of this session's order, for this second (SVG)."""
    order = login.login_order(request)
    if order is None:
        return HttpResponse(status=404)
    return HttpResponse(client.qr_svg(client.qr_content(order)), content_type="image/svg+xml")


@never_cache
@require_POST
def login_status(request):
    """Collect this session's order: ``{"status", "message"[, "redirect"]}``."""
    state = login.login_poll(request, autostarted=request.POST.get("autostarted") == "1")
    return JsonResponse(state.as_json())


@never_cache
@require_POST
def login_cancel(request):
    login.login_cancel(request)
    return render(
        request,
        "permissions/bankid_failed.html",
        {"message": messages.CANCELLED_HERE, "next": safe_next_url(request, "")},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def logout_page(request):
    """GET asks (a link must not log anyone out); POST ends the holder session."""
    if request.method == "POST":
        holder_logout(request)
        return render(request, "permissions/logged_out.html")
    return render(request, "permissions/logout.html", {"logged_in": holder_logged_in(request)})
