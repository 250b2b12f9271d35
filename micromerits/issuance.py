"""Issuing: the service that turns checked recipient rows into credentials.

One function, ``credentials_issue``, serves the single-person form, the
uploaded list and the command line, so the three give the same credentials.
It checks that the issuer may issue, freezes the published content, finds or
creates the recipients through their blind index, creates every credential of
the batch and appends it to the registry's Merkle log in one transaction (all
or none), logs the act in Wagtail's audit
log and, once the transaction has committed, queues one e-mail per recipient.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from permissions.models import Role
from permissions.policies import micromerit_policy
from permissions.selectors import represents
from public_verify.registry import registry_append

from . import crypto
from .models import (
    Credential,
    IssuanceBatch,
    Micromerit,
    MicromeritVersion,
    Organisation,
    Recipient,
)
from .recipient_list import RecipientRow
from .selectors import verification_url
from .spreadsheet import Problem, WorkbookError

#: Log action code for an issuance batch (registered in ``wagtail_hooks``).
LOG_ISSUE = "micromerits.credential.issue"
#: Rows per database round trip when looking up and creating recipients.
CHUNK = 500


class IssuanceRefused(Exception):
    """The issuer may not issue this mikromerit now; ``message`` says why, in Swedish."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, the day clamped to the month's length."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def may_issue_problem(*, micromerit: Micromerit, organisation: Organisation, by) -> str | None:
    """Why ``by`` may not issue ``micromerit`` for ``organisation`` now, or None when they may."""
    if not micromerit.live or micromerit.live_revision_id is None:
        return _("Mikromeriten är inte publicerad och kan inte utfärdas.")
    if not micromerit.issuing_rights.active().filter(organisation=organisation).exists():
        return _("%(organisation)s har ingen gällande utfärdanderätt för mikromeriten.") % {
            "organisation": organisation.name
        }
    if not (by.is_superuser or represents(by, organisation, role=Role.ISSUER)):
        return _("Du är inte utfärdare för %(organisation)s.") % {"organisation": organisation.name}
    if not micromerit_policy().user_has_permission_for_instance(by, "issue", micromerit):
        return _("Du får inte utfärda den här mikromeriten.")
    return None


def micromerit_version(micromerit: Micromerit) -> MicromeritVersion:
    """The frozen copy of ``micromerit``'s published content, made on first issuance of it."""
    revision_id = micromerit.live_revision_id
    version = MicromeritVersion.objects.filter(revision_id=revision_id).first()
    if version is None:
        # Two first issuances of a revision can meet (several app servers): the
        # loser's insert waits for the winner's commit, hits the unique revision,
        # and takes the winner's frozen copy (get_or_create retries the get).
        version, _created = MicromeritVersion.objects.get_or_create(
            revision_id=revision_id,
            defaults={"micromerit": micromerit, "content": micromerit_snapshot(micromerit)},
        )
    return version


def micromerit_snapshot(micromerit: Micromerit) -> dict:
    """The published content of ``micromerit`` as plain JSON.

    Read from the live revision, not the row, so that a draft saved in the
    meantime can never leak into an issued credential.
    """
    revision = micromerit.live_revision
    published = revision.as_object()
    content = {
        name: _json_value(getattr(published, name))
        for name in (
            "title",
            "title_en",
            "description",
            "language",
            "country_region",
            "keywords",
            "prerequisites",
            "workload_hours",
            "ects_credits",
            "seqf_level",
            "eqf_level",
            "assessment_type",
            "participation_form",
            "quality_assurance",
            "supervision",
            "grading_scheme",
            "stackability",
            "part_of",
            "validity_months",
            "further_information",
        )
    }
    content["owner"] = {"name": micromerit.owner.name, "orgnr": micromerit.owner.orgnr}
    content["learning_outcomes"] = [
        {
            "type": outcome.outcome_type,
            "introduction": outcome.introduction,
            "activity": outcome.activity,
            "content": outcome.content,
            "quality_context": outcome.quality_context,
            "sentence": outcome.sentence,
        }
        for outcome in published.learning_outcomes.all()
    ]
    return content


def _json_value(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _row_problems(
    rows: Sequence[RecipientRow], micromerit: Micromerit, issued_on: date
) -> list[Problem]:
    """Invariants every batch must meet, whatever path it came by (file, form, command)."""
    problems: list[Problem] = []
    grades = {g.casefold(): g for g in micromerit.grades}
    seen: dict[str, int] = {}
    for position, row in enumerate(rows, start=1):
        where = row.row or position

        def add(message: str, where=where) -> None:
            problems.append(Problem(_("Mottagare"), where, None, message))

        if row.personnummer in seen:
            add(_("Samma person finns redan på rad %(row)s.") % {"row": seen[row.personnummer]})
        seen.setdefault(row.personnummer, where)
        if row.assessment_date > issued_on:
            add(_("Bedömningsdatum får inte ligga i framtiden."))
        if row.best_before is not None and row.best_before <= issued_on:
            add(_("Bäst före måste vara efter utfärdandedatumet."))
        if row.grade and grades and row.grade.casefold() not in grades:
            add(_("Betyget finns inte i mikromeritens betygsskala."))
        if row.grade and not grades:
            add(_("Mikromeriten har ingen betygsskala; lämna betyg tomt."))
        if not row.identity_check.strip():
            add(_("Ange hur identiteten kontrollerades."))
        if not row.assessment.strip():
            add(_("Ange hur kompetensen bedömdes."))
    return problems


def _recipients_for(rows: Sequence[RecipientRow]) -> list[Recipient]:
    """Find or create the recipient of each row (in order), newest names and e-mail winning."""
    keyring = crypto.keyring()
    indexes = [keyring.blind_index(row.personnummer) for row in rows]
    existing: dict[str, Recipient] = {}
    for start in range(0, len(indexes), CHUNK):
        chunk = indexes[start : start + CHUNK]
        existing.update(
            (r.personnummer_index, r)
            for r in Recipient.objects.filter(personnummer_index__in=chunk)
        )
    new, changed = [], []
    for row, index in zip(rows, indexes, strict=True):
        recipient = existing.get(index)
        if recipient is None:
            recipient = Recipient(
                personnummer_index=index,
                personnummer=row.personnummer,
                first_name=row.first_name,
                last_name=row.last_name,
                email=row.email,
            )
            existing[index] = recipient
            new.append(recipient)
        elif (recipient.first_name, recipient.last_name, recipient.email) != (
            row.first_name,
            row.last_name,
            row.email,
        ):
            recipient.first_name, recipient.last_name, recipient.email = (
                row.first_name,
                row.last_name,
                row.email,
            )
            changed.append(recipient)
    Recipient.objects.bulk_create(new, batch_size=CHUNK)
    if changed:
        Recipient.objects.bulk_update(
            changed, ["first_name", "last_name", "email"], batch_size=CHUNK
        )
    if new and new[0].pk is None:
        # Backends that do not return primary keys from bulk inserts.
        by_index = dict(
            Recipient.objects.filter(
                personnummer_index__in=[r.personnummer_index for r in new]
            ).values_list("personnummer_index", "pk")
        )
        for recipient in new:
            recipient.pk = by_index[recipient.personnummer_index]
    return [existing[index] for index in indexes]


@transaction.atomic
def credentials_issue(
    *,
    micromerit: Micromerit,
    organisation: Organisation,
    rows: Sequence[RecipientRow],
    by,
    source: str,
    filename: str = "",
) -> list[Credential]:
    """Issue ``micromerit`` for ``organisation`` to every person in ``rows``: all of them or none.

    Parameters:
        rows: checked rows (from ``read_recipient_list`` or the single-person form).
        by: the issuer's representative acting.
        source: an ``IssuanceBatch.Source`` value.

    Returns:
        The credentials, in the order of ``rows``.

    Raises:
        IssuanceRefused: the issuer may not issue this mikromerit now.
        WorkbookError: a row breaks a rule; nothing is saved.
    """
    if refusal := may_issue_problem(micromerit=micromerit, organisation=organisation, by=by):
        raise IssuanceRefused(refusal)
    if not rows:
        raise WorkbookError([Problem(_("Mottagare"), None, None, _("Det finns ingen mottagare."))])
    issued_at = timezone.now()
    issued_on = timezone.localdate(issued_at)
    if problems := _row_problems(rows, micromerit, issued_on):
        raise WorkbookError(problems)

    version = micromerit_version(micromerit)
    grades = {g.casefold(): g for g in micromerit.grades}
    validity = micromerit.validity_months
    batch = IssuanceBatch.objects.create(
        micromerit=micromerit,
        organisation=organisation,
        issued_by=by,
        source=source,
        filename=filename[:255],
        size=len(rows),
    )
    recipients = _recipients_for(rows)
    credentials = [
        Credential(
            micromerit=micromerit,
            version=version,
            recipient=recipient,
            issuer=organisation,
            issued_by=by,
            batch=batch,
            issued_at=issued_at,
            issued_on=issued_on,
            assessment_date=row.assessment_date,
            identity_check=row.identity_check.strip(),
            assessment=row.assessment.strip(),
            grade=grades.get(row.grade.casefold(), "") if row.grade else "",
            best_before=row.best_before or (add_months(issued_on, validity) if validity else None),
            comment=row.comment,
        )
        for row, recipient in zip(rows, recipients, strict=True)
    ]
    Credential.objects.bulk_create(credentials, batch_size=CHUNK)
    if credentials[0].pk is None:
        pks = dict(Credential.objects.filter(batch=batch).values_list("public_id", "pk"))
        for credential in credentials:
            credential.pk = pks[credential.public_id]
    registry_append(
        credentials,
        [row.personnummer for row in rows],
        [verification_url(credential) for credential in credentials],
    )

    log(
        instance=micromerit,
        action=LOG_ISSUE,
        user=by,
        data={
            "batch": batch.pk,
            "count": len(credentials),
            "source": source,
            "acting_organisation": {"id": organisation.pk, "orgnr": organisation.orgnr},
        },
    )
    from .tasks import send_credential_notices

    batch_pk = batch.pk
    transaction.on_commit(lambda: send_credential_notices.enqueue(batch_pk))
    return credentials
