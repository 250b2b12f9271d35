"""The holder's side of a credential: their list, hiding, share links, best-before state.

Everything a logged-in holder (a ``Recipient``) changes goes through the
service functions here, each taking the acting holder and refusing a
credential that is not theirs, so a view can never act on someone else's
credential by passing the wrong id. Nothing here changes a ``Credential``:
hiding is a preference row (``HiddenCredential``) and sharing is a
``ShareLink`` row. Share-link tokens carry 256 random bits; only their SHA-256
is stored, so the holder is shown a new link once and a copy of the database
opens nothing. SHA-256 rather than a slow password hash: the token is random,
not chosen by a person, so there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Credential, HiddenCredential, Recipient, ShareLink

logger = logging.getLogger(__name__)

#: A best-before date this close (or closer) counts as "passing soon".
BEST_BEFORE_WARNING_DAYS = 90
#: Random bytes in a share-link token (32 bytes = 256 bits; the brief asks at least 128).
SHARE_TOKEN_BYTES = 32
#: The furthest ahead a share link's end date may lie (a mistyped year is refused, not kept).
SHARE_LINK_MAX_DAYS = 5 * 366


class HolderRefused(Exception):
    """The holder may not do this; ``message`` says why, in Swedish."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# --- reads -----------------------------------------------------------------


class BestBefore:
    """The best-before states the holder and the shared page show."""

    NONE = "none"
    VALID = "valid"
    PASSING = "passing"
    PASSED = "passed"


@dataclass(frozen=True)
class BestBeforeState:
    state: str
    best_before: date | None
    days_left: int | None

    @property
    def label(self) -> str:
        return {
            BestBefore.NONE: _("Inget bäst före-datum"),
            BestBefore.VALID: _("Giltig"),
            BestBefore.PASSING: _("Bäst före-datum närmar sig"),
            BestBefore.PASSED: _("Bäst före-datum har passerats"),
        }[self.state]


def best_before_state(credential: Credential, *, today: date | None = None) -> BestBeforeState:
    """Whether ``credential``'s best-before date lies ahead, is near (≤ 90 days) or has passed.

    A passed date never makes the credential invalid: it stays a true record
    of what was shown (DESIGN §2); the state only tells the reader how fresh it is.
    """
    today = today or timezone.localdate()
    if credential.best_before is None:
        return BestBeforeState(BestBefore.NONE, None, None)
    days_left = (credential.best_before - today).days
    if days_left < 0:
        state = BestBefore.PASSED
    elif days_left <= BEST_BEFORE_WARNING_DAYS:
        state = BestBefore.PASSING
    else:
        state = BestBefore.VALID
    return BestBeforeState(state, credential.best_before, days_left)


def holder_credentials(recipient: Recipient | None) -> QuerySet[Credential]:
    """Every credential issued to ``recipient``, newest first, annotated with ``is_hidden``."""
    if recipient is None:
        return Credential.objects.none()
    return (
        Credential.objects.filter(recipient=recipient)
        .select_related("version", "issuer", "micromerit")
        .annotate(is_hidden=Exists(HiddenCredential.objects.filter(credential=OuterRef("pk"))))
        .order_by("-issued_at", "-pk")
    )


def holder_credential(recipient: Recipient | None, public_id: str) -> Credential | None:
    """The holder's credential ``public_id``, or None when it is not theirs (or does not exist)."""
    return holder_credentials(recipient).filter(public_id=public_id).first()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def share_link_for_token(token: str) -> ShareLink | None:
    """The share link ``token`` opens (working or not), or None for an unknown token."""
    if not token or len(token) > 128:
        return None
    return (
        ShareLink.objects.select_related("credential__version", "credential__issuer")
        .filter(token_hash=token_hash(token))
        .first()
    )


# --- changes ---------------------------------------------------------------


def _check_holder(credential: Credential, holder: Recipient | None) -> None:
    if holder is None or credential.recipient_id != holder.pk:
        # Logged without any personal data: ids only.
        logger.warning(
            "holder %s refused on credential %s", getattr(holder, "pk", None), credential.pk
        )
        raise HolderRefused(_("Mikromeriten är inte din."))


def credential_hide(*, credential: Credential, holder: Recipient) -> HiddenCredential:
    """Move ``credential`` to the holder's "Dolda" section; nothing else sees a difference."""
    _check_holder(credential, holder)
    try:
        with transaction.atomic():
            hidden, _created = HiddenCredential.objects.get_or_create(credential=credential)
    except IntegrityError:  # two clicks at once: the other one hid it
        hidden = HiddenCredential.objects.get(credential=credential)
    return hidden


def credential_unhide(*, credential: Credential, holder: Recipient) -> None:
    """Bring ``credential`` back to the holder's main list."""
    _check_holder(credential, holder)
    HiddenCredential.objects.filter(credential=credential).delete()


def share_link_create(
    *,
    credential: Credential,
    holder: Recipient,
    expires_at: datetime | None = None,
    label: str = "",
) -> tuple[ShareLink, str]:
    """Make a new share link for the holder's ``credential``.

    Parameters:
        expires_at: when the link stops working (None: until withdrawn).
        label: the holder's own note, e.g. who they shared it with.

    Returns:
        The link and its token, in clear. The token is not stored and cannot
        be shown again; build the URL with ``shared_url`` from it at once.

    Raises:
        HolderRefused: not the holder's credential, or an expiry in the past
        or too far ahead.
    """
    _check_holder(credential, holder)
    now = timezone.now()
    if expires_at is not None:
        if expires_at <= now:
            raise HolderRefused(_("Slutdatumet måste ligga i framtiden."))
        if expires_at > now + timedelta(days=SHARE_LINK_MAX_DAYS):
            raise HolderRefused(_("En delningslänk kan gälla i högst fem år."))
    token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    link = ShareLink.objects.create(
        credential=credential,
        token_hash=token_hash(token),
        expires_at=expires_at,
        label=label.strip()[:100],
    )
    return link, token


def share_link_withdraw(*, share_link: ShareLink, holder: Recipient) -> ShareLink:
    """Stop ``share_link`` working, for good. Withdrawing twice keeps the first time."""
    _check_holder(share_link.credential, holder)
    if share_link.withdrawn_at is None:
        share_link.withdrawn_at = timezone.now()
        share_link.save(update_fields=["withdrawn_at"])
    return share_link
