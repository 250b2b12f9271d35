"""The holder's session: which recipient a browser acts for after a BankID login.

Recipients are not Django users: they never enter the admin and hold no
permissions. A successful BankID login stores the recipient's primary key in
the session (never the personnummer), and every holder view asks
``holder_recipient``. The session is cycled at login and logout so a session
id seen before login is worth nothing after it, and it expires after
``PORTAL_HOLDER_SESSION_IDLE_SECONDS`` of inactivity.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from micromerits import crypto
from micromerits.identity import normalise_personnummer
from micromerits.models import Recipient

#: Session key holding the logged-in recipient's primary key.
SESSION_KEY = "holder_recipient_pk"
#: Session key holding the personnummer's blind index, so a holder with no
#: credentials yet still sees an (empty) list after logging in.
SESSION_INDEX_KEY = "holder_personnummer_index"


def holder_login(request, *, personnummer: str) -> Recipient | None:
    """Start a holder session for the person with ``personnummer`` (from BankID).

    Returns the recipient, or None when nothing has been issued to the person
    yet (the session still starts: they see an empty list).
    """
    number = normalise_personnummer(personnummer)
    index = crypto.keyring().blind_index(number)
    recipient = Recipient.objects.filter(personnummer_index=index).first()
    request.session.cycle_key()
    request.session[SESSION_INDEX_KEY] = index
    request.session[SESSION_KEY] = recipient.pk if recipient else None
    request.session.set_expiry(settings.PORTAL_HOLDER_SESSION_IDLE_SECONDS)
    return recipient


def holder_logout(request) -> None:
    """End the holder session (and everything else in the session)."""
    request.session.flush()


def holder_logged_in(request) -> bool:
    return SESSION_INDEX_KEY in request.session


def holder_recipient(request) -> Recipient | None:
    """The recipient the session acts for, or None (not logged in, or nothing issued yet).

    A recipient created after the login (something issued meanwhile) is found
    through the blind index kept in the session.
    """
    index = request.session.get(SESSION_INDEX_KEY)
    if index is None:
        return None
    pk = request.session.get(SESSION_KEY)
    if pk is not None:
        return Recipient.objects.filter(pk=pk, personnummer_index=index).first()
    recipient = Recipient.objects.filter(personnummer_index=index).first()
    if recipient is not None:
        request.session[SESSION_KEY] = recipient.pk
    return recipient


def holder_required(view):
    """Send a visitor without a holder session to the BankID login, then back."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not holder_logged_in(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('holder_login')}?{query}")
        # Saving the session on every holder request moves its expiry on:
        # the session ends after PORTAL_HOLDER_SESSION_IDLE_SECONDS of inactivity,
        # not that long after the login.
        request.session.modified = True
        return view(request, *args, **kwargs)

    return wrapped


def safe_next_url(request, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
