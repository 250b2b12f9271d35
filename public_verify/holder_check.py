"""The holder check: does the personnummer on the presenter's ID document match the credential?

The registry holds the holder only as ``SHA-256(salt ‖ personnummer)`` with a
128-bit salt that never leaves the server, so nobody can test numbers against
anything public; the only way to test one is this service, which is
rate-limited per client and per credential (rows in the database, so the
limits hold across processes and app servers) and audit-logged without the
number. Match and no match do the same work (one hash, one constant-time
comparison, one audit entry), so the time taken does not tell them apart.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from micromerits.identity import InvalidIdentityNumber, normalise_personnummer

from .document import holder_commitment
from .models import HolderCheckAttempt, RegistryLeaf

#: Audit-log action of a holder check (registered in ``wagtail_hooks``).
LOG_HOLDER_CHECK = "public_verify.holder_check"

#: Longest input looked at; anything longer is invalid without parsing.
MAX_INPUT_LENGTH = 40

#: Compared with when the input is not a valid number, so that path does the same work.
_NOT_A_NUMBER = "000000000000"


class Outcome(enum.StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class HolderCheckResult:
    """The answer to one holder check, with the Swedish (or English) words for it."""

    outcome: Outcome

    @property
    def matched(self) -> bool:
        return self.outcome == Outcome.MATCH

    @property
    def rate_limited(self) -> bool:
        return self.outcome == Outcome.RATE_LIMITED

    @property
    def answer(self) -> str:
        """ "stämmer" / "stämmer inte" (translated), or empty when there is no answer."""
        if self.outcome == Outcome.MATCH:
            return _("stämmer")
        if self.outcome == Outcome.NO_MATCH:
            return _("stämmer inte")
        return ""

    @property
    def text(self) -> str:
        if self.outcome == Outcome.MATCH:
            return _("Personnumret stämmer med intygets innehavare.")
        if self.outcome == Outcome.NO_MATCH:
            return _("Personnumret stämmer inte med intygets innehavare.")
        if self.outcome == Outcome.INVALID:
            return _(
                "Det är inte ett giltigt personnummer eller samordningsnummer. Skriv tio eller "
                "tolv siffror, till exempel ÅÅMMDD-NNNN. Försöket räknas."
            )
        return _(
            "För många kontroller har gjorts på kort tid, från den här uppkopplingen eller för "
            "det här intyget. Försök igen senare, eller be innehavaren visa intyget med BankID."
        )


def limits() -> dict[str, tuple[int, int]]:
    """``{"client": (attempts, seconds), "credential": (attempts, seconds)}`` from settings."""
    return settings.PORTAL_HOLDER_CHECK_LIMITS


def client_key(address: str) -> str:
    """A keyed hash of the client's address: enough to count by, useless to anyone who reads it."""
    key = hashlib.sha256(f"holder-check-client\n{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def client_address(request) -> str:
    """The client's IP address.

    ``REMOTE_ADDR`` unless ``PORTAL_TRUSTED_PROXIES`` says how many reverse
    proxies of ours stand in front, in which case the address that the
    outermost of them saw is taken from ``X-Forwarded-For`` (counting from the
    right, so a client cannot choose its own address by sending the header).
    """
    proxies = getattr(settings, "PORTAL_TRUSTED_PROXIES", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _over_limit(*, credential, client: str) -> bool:
    """Record this attempt, then say whether it is one too many (for the client or the credential).

    Written first and counted after, so concurrent requests on several servers
    can only make the answer stricter.
    """
    now = timezone.now()
    window = limits()
    longest = max(seconds for _count, seconds in window.values())
    HolderCheckAttempt.objects.filter(created_at__lt=now - timedelta(seconds=longest)).delete()
    HolderCheckAttempt.objects.create(credential=credential, client=client)
    client_count, client_seconds = window["client"]
    credential_count, credential_seconds = window["credential"]
    recent_by_client = HolderCheckAttempt.objects.filter(
        client=client, created_at__gte=now - timedelta(seconds=client_seconds)
    ).count()
    recent_for_credential = HolderCheckAttempt.objects.filter(
        credential=credential, created_at__gte=now - timedelta(seconds=credential_seconds)
    ).count()
    return recent_by_client > client_count or recent_for_credential > credential_count


def registered_commitment(credential) -> str:
    """The holder commitment the registry recorded at issuing (what the check compares with)."""
    leaf = RegistryLeaf.objects.filter(credential=credential).only("document").first()
    if leaf is not None:
        try:
            return json.loads(leaf.document)["holder"]["commitment"]
        except (ValueError, KeyError, TypeError):
            pass
    # Not registered (the verdict says so): compare with the credential's own holder.
    return holder_commitment(credential.holder_salt, credential.recipient.personnummer)


def holder_check(*, credential, typed: str, client: str) -> HolderCheckResult:
    """Check ``typed`` (a personnummer in any accepted format) against ``credential``'s holder.

    Parameters:
        typed: what the verifier typed; invalid input counts as an attempt.
        client: ``client_key`` of the asking client.

    Returns:
        The outcome; ``RATE_LIMITED`` when the client or the credential has had
        too many checks in the configured windows (nothing else is done then).
    """
    if _over_limit(credential=credential, client=client):
        return HolderCheckResult(Outcome.RATE_LIMITED)
    try:
        if len(typed) > MAX_INPUT_LENGTH:
            raise InvalidIdentityNumber("too long")
        number, valid = normalise_personnummer(typed), True
    except InvalidIdentityNumber:
        number, valid = _NOT_A_NUMBER, False
    commitment = holder_commitment(credential.holder_salt, number)
    same = hmac.compare_digest(commitment, registered_commitment(credential))
    outcome = Outcome.INVALID if not valid else (Outcome.MATCH if same else Outcome.NO_MATCH)
    log(
        instance=credential,
        action=LOG_HOLDER_CHECK,
        user=None,
        data={"credential": credential.public_id, "result": outcome.value},
    )
    return HolderCheckResult(outcome)
