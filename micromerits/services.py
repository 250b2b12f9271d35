"""State changes of the domain: organisations, mikromeriter and issuing rights.

Views, admin views and management commands call these functions and nothing
else to change state, so the rules (who may, what must hold, what is logged)
live in one place. Every function takes keyword-only arguments and runs in one
transaction: it either does all of its work or none.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.actions.create import CreateAction
from wagtail.log_actions import log

from permissions.models import Role
from permissions.policies import micromerit_policy
from permissions.selectors import represents
from permissions.services import micromerit_permissions_sync, organisation_groups_ensure

from .choices import OrganisationKind
from .excel import MicromeritData, Problem, WorkbookError, parse_micromerit_workbook
from .identity import normalise_orgnr
from .models import IssuingRight, LearningOutcome, Micromerit, Organisation

#: Log action codes of this app, registered with Wagtail in ``wagtail_hooks``.
LOG_GRANT = "micromerits.issuing_right.grant"
LOG_WITHDRAW = "micromerits.issuing_right.withdraw"


def _kind_from_label(label: str | None) -> str | None:
    if not label:
        return None
    for value, choice_label in OrganisationKind.choices:
        if str(choice_label).casefold() == label.strip().casefold() or value == label:
            return value
    raise ValueError(f"unknown organisation kind {label!r}")


@transaction.atomic
def organisation_add(
    *,
    orgnr: str,
    name: str,
    kind: str | None = None,
    country_region: str | None = None,
) -> tuple[Organisation, bool]:
    """Create an organisation, or update the name, kind and region of an existing one.

    Parameters:
        orgnr: organisationsnummer in any accepted form (validated, normalised).
        kind: an ``OrganisationKind`` value or its Swedish label.

    Returns:
        ``(organisation, created)``.
    """
    defaults = {"name": name}
    if (kind_value := _kind_from_label(kind)) is not None:
        defaults["kind"] = kind_value
    if country_region:
        defaults["country_region"] = country_region
    organisation, created = Organisation.objects.update_or_create(
        orgnr=normalise_orgnr(orgnr), defaults=defaults
    )
    organisation_groups_ensure(organisation)
    return organisation, created


def _require(user, action: str, micromerit: Micromerit) -> None:
    if not micromerit_policy().user_has_permission_for_instance(user, action, micromerit):
        raise PermissionDenied(f"user {user.pk} may not {action} micromerit {micromerit.pk}")


def _log_data(right: IssuingRight) -> dict:
    return {
        "organisation": {"id": right.organisation_id, "orgnr": right.organisation.orgnr},
        "acting_organisation": {
            "id": right.granted_by_organisation_id,
            "orgnr": right.granted_by_organisation.orgnr,
        },
    }


@transaction.atomic
def issuing_right_grant(*, micromerit: Micromerit, organisation: Organisation, by) -> IssuingRight:
    """Let ``organisation`` issue ``micromerit`` (idempotent while the right is active).

    Only the owner's creators may grant. The grant is logged with the acting
    representative and, as acting organisation, the owner.
    """
    _require(by, "grant", micromerit)
    existing = micromerit.issuing_rights.active().filter(organisation=organisation).first()
    if existing is not None:
        return existing
    right = IssuingRight.objects.create(
        micromerit=micromerit,
        organisation=organisation,
        granted_by=by,
        granted_by_organisation=micromerit.owner,
    )
    micromerit_permissions_sync(micromerit)
    log(instance=micromerit, action=LOG_GRANT, user=by, data=_log_data(right))
    return right


@transaction.atomic
def issuing_right_withdraw(*, right: IssuingRight, by) -> IssuingRight:
    """Withdraw an issuing right. Issued credentials are untouched; future issuance stops."""
    micromerit = right.micromerit
    _require(by, "grant", micromerit)
    right = IssuingRight.objects.select_for_update().get(pk=right.pk)
    if right.withdrawn_at is None:
        right.withdrawn_at = timezone.now()
        right.withdrawn_by = by
        right.save(update_fields=["withdrawn_at", "withdrawn_by"])
        micromerit_permissions_sync(micromerit)
        log(instance=micromerit, action=LOG_WITHDRAW, user=by, data=_log_data(right))
    return right


@transaction.atomic
def issuing_rights_set(
    *, micromerit: Micromerit, organisations: Iterable[Organisation], by
) -> None:
    """Make the active issuing rights exactly ``organisations``: grant the new, withdraw the rest."""
    wanted = {org.pk: org for org in organisations}
    active = {right.organisation_id: right for right in micromerit.issuing_rights.active()}
    for pk, right in active.items():
        if pk not in wanted:
            issuing_right_withdraw(right=right, by=by)
    for pk, organisation in wanted.items():
        if pk not in active:
            issuing_right_grant(micromerit=micromerit, organisation=organisation, by=by)


def micromerit_publication_problems(*, outcome_count: int, issuer_count: int) -> list[str]:
    """What stops a mikromerit from being published, beyond its mandatory fields.

    Mandatory fields are enforced by model validation; these are the rules that
    span related objects. Returns Swedish messages, empty when publishing may go ahead.
    """
    problems = []
    if outcome_count < 1:
        problems.append(_("Mikromeriten måste ha minst ett läranderesultat för att publiceras."))
    if issuer_count < 1:
        problems.append(_("Välj minst en utfärdande organisation innan mikromeriten publiceras."))
    return problems


@transaction.atomic
def micromerit_created(*, micromerit: Micromerit, by) -> None:
    """Finish a creation made through the admin form: fix the creator and give the owner its rights."""
    if micromerit.created_by_id is None:
        Micromerit.objects.filter(pk=micromerit.pk).update(created_by=by)
        micromerit.created_by = by
    micromerit_permissions_sync(micromerit)


def _resolve_import_references(
    data: MicromeritData, by, problems: list[Problem]
) -> tuple[Organisation | None, list[Organisation]]:
    """Find the workbook's organisations, adding a problem for each that is missing or not allowed."""
    owner = (
        Organisation.objects.filter(orgnr=data.owner_orgnr).first() if data.owner_orgnr else None
    )
    row, column = data.owner_position
    if owner is None and data.owner_orgnr:
        problems.append(
            Problem("Mikromerit", row, column, _("Organisationen finns inte i portalen."))
        )
    elif not (by.is_superuser or represents(by, owner, role=Role.CREATOR)):
        problems.append(
            Problem(
                "Mikromerit",
                row,
                column,
                _("Du är inte skapare för den här organisationen och kan inte importera åt den."),
            )
        )
    by_orgnr = {
        org.orgnr: org
        for org in Organisation.objects.filter(orgnr__in=[i.orgnr for i in data.issuers])
    }
    issuers = []
    for issuer in data.issuers:
        if issuer.orgnr not in by_orgnr:
            problems.append(
                Problem("Utfärdare", issuer.row, "A", _("Organisationen finns inte i portalen."))
            )
        else:
            issuers.append(by_orgnr[issuer.orgnr])
    return owner, issuers


def _validation_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for field, messages in error.message_dict.items():
        label = str(Micromerit._meta.get_field(field).verbose_name) if field != "__all__" else ""
        for message in messages:
            problems.append(Problem("Mikromerit", None, None, f"{label}: {message}".strip(": ")))
    return problems


@transaction.atomic
def micromerit_import_workbook(
    *, source, by, publish: bool = False
) -> tuple[Micromerit, MicromeritData]:
    """Create a mikromerit from a filled workbook file (bytes, path or file), as a draft or published.

    Problems in the file and with the organisations it names are reported
    together, so the user sees everything wrong at once.

    Returns:
        The new mikromerit and the workbook's data (its ``warnings`` for the user).

    Raises:
        WorkbookError: every problem found, by sheet, row and column; nothing is saved.
    """
    data, problems = parse_micromerit_workbook(source)
    _resolve_import_references(data, by, problems)
    if problems:
        raise WorkbookError(problems)
    return micromerit_import(data=data, by=by, publish=publish), data


@transaction.atomic
def micromerit_import(*, data: MicromeritData, by, publish: bool = False) -> Micromerit:
    """Create a mikromerit from checked workbook data, as a draft or published.

    The importing user must be a creator of the workbook's owner organisation;
    every organisation named must exist. Issuing rights listed in the workbook
    are granted. Nothing is saved when anything is wrong.

    Raises:
        WorkbookError: every problem found, by sheet, row and column.
    """
    problems: list[Problem] = []
    owner, issuers = _resolve_import_references(data, by, problems)
    if problems:
        raise WorkbookError(problems)
    micromerit = Micromerit(**data.model_field_values(), owner=owner, created_by=by)
    micromerit.learning_outcomes = [
        LearningOutcome(
            outcome_type=o.outcome_type,
            introduction=o.introduction,
            activity=o.activity,
            content=o.content,
            quality_context=o.quality_context,
            sort_order=position,
        )
        for position, o in enumerate(data.outcomes)
    ]
    try:
        micromerit.full_clean()
    except ValidationError as exc:
        raise WorkbookError(_validation_problems(exc)) from exc
    if publish:
        problems = micromerit_publication_problems(
            outcome_count=len(data.outcomes), issuer_count=len(issuers)
        )
        if problems:
            raise WorkbookError([Problem("Mikromerit", None, None, p) for p in problems])

    # The owner's permissions must exist before the rights are granted, since
    # granting asks the policy whether ``by`` may manage this mikromerit.
    CreateAction(micromerit, user=by, publish=publish, clean=False).execute(
        skip_permission_checks=True
    )
    micromerit_permissions_sync(micromerit)
    for organisation in issuers:
        issuing_right_grant(micromerit=micromerit, organisation=organisation, by=by)
    # Publishing saved another copy of the object; read back what is stored.
    micromerit.refresh_from_db()
    return micromerit


def micromerit_issuer_refs(micromerit: Micromerit) -> list[tuple[str, str]]:
    """The active issuing organisations as ``(orgnr, name)`` pairs, for export."""
    return [
        (right.organisation.orgnr, right.organisation.name)
        for right in micromerit.issuing_rights.active()
        .select_related("organisation")
        .order_by("pk")
    ]
