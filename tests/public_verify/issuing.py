"""Issuing helpers shared by the registry tests: real credentials through the real service."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from micromerits.issuance import credentials_issue
from micromerits.recipient_list import RecipientRow

#: From Skatteverket's published test numbers (shared/data/testpersonnummer.csv).
SOFIA = ("189001079806", "Sofia", "Ek", "sofia.ek@example.se")
LARS = ("189001089813", "Lars", "Holmqvist", "lars.holmqvist@example.se")
MAJA = ("189001099804", "Maja", "Lindgren", "maja.lindgren@example.se")


def recipient_row(number: str, first: str, last: str, email: str, row: int = 2) -> RecipientRow:
    return RecipientRow(
        first_name=first,
        last_name=last,
        personnummer=number,
        email=email,
        assessment_date=timezone.localdate() - timedelta(days=3),
        grade="Godkänd",
        best_before=None,
        comment="",
        identity_check="Körkort kontrollerat på plats",
        assessment="Praktiskt prov på arbetsplats",
        row=row,
    )


def issue_to(micromerit, organisations, people, *persons):
    """Issue ``micromerit`` from the delegated issuer to each of ``persons`` (tuples above)."""
    rows = [recipient_row(*p, row=i + 2) for i, p in enumerate(persons)]
    return credentials_issue(
        micromerit=micromerit,
        organisation=organisations["issuer"],
        rows=rows,
        by=people["issuer"],
        source="form",
    )
