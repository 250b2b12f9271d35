"""Helpers for the holder-side tests: recipient rows, issuing, and a holder login.

A holder is logged in exactly as the BankID login does it: ``holder_login`` on
a request whose session becomes the test client's session.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.test import RequestFactory
from django.utils import timezone

from micromerits.issuance import credentials_issue
from micromerits.recipient_list import RecipientRow
from permissions.holder import holder_login

#: From Skatteverket's published test numbers (shared/data/testpersonnummer.csv).
SOFIA = "189001079806"
LARS = "189001089813"


def row(number: str, first: str, last: str, **extra) -> RecipientRow:
    values = {
        "first_name": first,
        "last_name": last,
        "personnummer": number,
        "email": f"{first.lower()}@example.se",
        "assessment_date": timezone.localdate() - timedelta(days=3),
        "grade": "Godkänd",
        "best_before": None,
        "comment": "",
        "identity_check": "Körkort kontrollerat på plats",
        "assessment": "Praktiskt prov på arbetsplats",
        "row": 2,
    }
    values.update(extra)
    return RecipientRow(**values)


def issue_to(micromerit, organisation, by, *rows):
    return credentials_issue(
        micromerit=micromerit, organisation=organisation, rows=list(rows), by=by, source="form"
    )


def log_in_holder(client, personnummer: str):
    """Give ``client`` a holder session for ``personnummer``, as a BankID login would."""
    engine = import_module(settings.SESSION_ENGINE)
    request = RequestFactory().get("/")
    request.session = engine.SessionStore()
    recipient = holder_login(request, personnummer=personnummer)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return recipient
