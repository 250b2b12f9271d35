"""The BankID login flow of a holder, kept in the session.

``login_start`` asks BankID for an auth order and keeps it in the session: the
order ref, the QR secret and the tokens never come back from the browser, which
only ever names "the login of my session". ``login_poll`` collects the order's
state and turns it into what the page shows (BankID's recommended message per
hint code); on ``complete`` it starts the holder session
(``permissions.holder.holder_login``) with the personnummer from the completion
data, which never leaves the server and is never logged. ``login_cancel``
cancels at BankID and forgets the order.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass

from django.conf import settings

from permissions.bankid import client, messages
from permissions.bankid.client import BankIDFailure, Order
from permissions.holder import holder_login
from public_verify.holder_check import client_address

logger = logging.getLogger(__name__)

#: Session key of the pending order (``Order.as_session()``) and where to go after it.
SESSION_ORDER_KEY = "bankid_order"
SESSION_NEXT_KEY = "bankid_next"

_MOBILE = re.compile(r"Mobi|Android|iPhone|iPad", re.IGNORECASE)


@dataclass(frozen=True)
class LoginState:
    """What the login page shows now: ``pending``, ``complete`` or ``failed``."""

    status: str
    message: str
    redirect: str | None = None

    def as_json(self) -> dict:
        data = {"status": self.status, "message": str(self.message)}
        if self.redirect:
            data["redirect"] = self.redirect
        return data


def end_user_ip(request) -> str:
    """The user's IP address as BankID wants it (honouring ``PORTAL_TRUSTED_PROXIES``)."""
    return client_address(request) or "127.0.0.1"


def is_mobile(request) -> bool:
    return bool(_MOBILE.search(request.META.get("HTTP_USER_AGENT", "")))


def login_order(request) -> Order | None:
    """The pending order of this session, or None."""
    data = request.session.get(SESSION_ORDER_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Order.from_session(data)
    except TypeError:
        return None


def _forget(request) -> None:
    request.session.pop(SESSION_ORDER_KEY, None)


def login_start(request, *, next_url: str) -> Order:
    """Start a new auth order for this session (cancelling one it had); raises ``BankIDFailure``."""
    login_cancel(request)
    order = client.auth(end_user_ip=end_user_ip(request))
    request.session[SESSION_ORDER_KEY] = order.as_session()
    request.session[SESSION_NEXT_KEY] = next_url
    return order


def login_poll(request, *, autostarted: bool = False) -> LoginState:
    """Collect this session's order and say what to show; logs the holder in on ``complete``."""
    order = login_order(request)
    if order is None:
        return LoginState("failed", messages.NO_ORDER)
    try:
        answer = client.collect(order_ref=order.order_ref)
    except BankIDFailure as failure:
        # The order is lost (unknown to BankID, or BankID is gone): start over.
        _forget(request)
        return LoginState("failed", failure.message)
    status = answer.get("status")
    if status == "pending":
        return LoginState(
            "pending",
            messages.message_for_hint(
                status="pending",
                hint_code=answer.get("hintCode"),
                autostarted=autostarted,
                mobile=is_mobile(request),
            ),
        )
    _forget(request)
    if status == "complete":
        personnummer = answer.get("completionData", {}).get("user", {}).get("personalNumber")
        if not personnummer:
            logger.error("BankID collect: complete without a personal number")
            return LoginState("failed", messages.RFA["RFA22"])
        next_url = request.session.pop(SESSION_NEXT_KEY, settings.PORTAL_HOLDER_PATH)
        recipient = holder_login(request, personnummer=personnummer)
        logger.info(
            "holder logged in with BankID (recipient %s)", recipient.pk if recipient else "none yet"
        )
        return LoginState("complete", messages.LOGGED_IN, redirect=next_url)
    hint = answer.get("hintCode")
    logger.info("BankID login failed: %s", hint)
    return LoginState(
        "failed",
        messages.message_for_hint(
            status="failed", hint_code=hint, autostarted=autostarted, mobile=is_mobile(request)
        ),
    )


def login_cancel(request) -> None:
    """Cancel this session's order at BankID (if any) and forget it."""
    order = login_order(request)
    _forget(request)
    if order is None:
        return
    # Already finished or expired at BankID, or BankID is unreachable: the
    # order is forgotten here either way, and it expires there by itself.
    with contextlib.suppress(BankIDFailure):
        client.cancel(order_ref=order.order_ref)
