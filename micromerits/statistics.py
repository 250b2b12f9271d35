"""Issuance statistics: counts of issued credentials, grouped and filtered, for organisations.

An organisation looks at issuance from two sides (``Perspective``): as **owner**
(every credential of the mikromeriter it owns, whoever issued it) and as
**issuer** (every credential it issued, whoever owns the mikromerit). Each view
groups those credentials one way (``Dimension``: month, mikromerit, issuing
organisation, SeQF level, best-before state) after the filters (period,
mikromerit, issuing organisation, SeQF level) are applied.

Everything is counted in the database (``values`` + ``annotate`` + ``Count``,
``TruncMonth``): one query per view, whatever the number of credentials. Only
counts leave this module, never a recipient. Small groups are protected by
the rule in docs/architecture.md ("Statistics and catalogue"): a group that
holds credentials issued by an organisation outside the viewer's own and
counts fewer than ``SMALL_GROUP`` distinct people is shown as "< 5".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import Case, CharField, Count, F, Q, QuerySet, TextChoices, Value, When
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Credential, Micromerit, Organisation

#: Groups with fewer distinct people than this are suppressed in data leaving the organisation.
SMALL_GROUP = 5
#: What a suppressed count reads as, on screen, in exports and in the command's workbook.
SUPPRESSED = "< 5"
#: A best-before date this close (in days) counts as "passing soon".
PASSING_SOON_DAYS = 90


class Perspective(TextChoices):
    OWNER = "owner", _("Som skapare: våra mikromeriter, alla utfärdare")
    ISSUER = "issuer", _("Som utfärdare: det vi har utfärdat")


class Dimension(TextChoices):
    MONTH = "month", _("Per månad")
    MICROMERIT = "micromerit", _("Per mikromerit")
    ISSUER = "issuer", _("Per utfärdande organisation")
    LEVEL = "level", _("Per SeQF-nivå")
    BEST_BEFORE = "best_before", _("Per bäst före-status")


class BestBeforeState(TextChoices):
    # A credential without a best-before date never passes: it counts as valid.
    VALID = "valid", _("Giltig")
    PASSING_SOON = "passing_soon", _("Passerar inom 90 dagar")
    PASSED = "passed", _("Passerad")


@dataclass(frozen=True)
class Filters:
    """The report filters; ``None`` means "any"."""

    issued_from: date | None = None
    issued_to: date | None = None
    micromerit: Micromerit | int | None = None
    issuer: Organisation | int | None = None
    seqf_level: int | None = None


@dataclass
class StatisticsRow:
    """One group of a view: its label and how many credentials it holds.

    ``credentials`` is the exact count, for the Totalt row and tests; anything
    shown or exported reads ``value``, which honours suppression.
    """

    key: object
    label: str
    credentials: int
    suppressed: bool = False
    is_total: bool = False

    @property
    def value(self) -> int | str:
        return SUPPRESSED if self.suppressed else self.credentials


@dataclass
class View:
    """One statistics view: the rows of one dimension and the Totalt row."""

    perspective: str
    dimension: str
    rows: list[StatisticsRow] = field(default_factory=list)

    @property
    def total(self) -> StatisticsRow:
        return StatisticsRow(
            key=None,
            label=gettext("Totalt"),
            credentials=sum(row.credentials for row in self.rows),
            is_total=True,
        )

    @property
    def title(self) -> str:
        return f"{Perspective(self.perspective).label} – {Dimension(self.dimension).label}"


def _ids(organisations: Iterable[Organisation | int] | QuerySet) -> QuerySet | list[int]:
    if isinstance(organisations, QuerySet):
        return organisations.values("pk")
    return [o if isinstance(o, int) else o.pk for o in organisations]


def scoped_credentials(*, organisations, perspective: str) -> QuerySet[Credential]:
    """The credentials ``organisations`` may count from ``perspective``, before filters.

    Parameters:
        organisations: the viewer's own organisations (a queryset is kept as a subquery).
        perspective: ``Perspective.OWNER`` (credentials of mikromeriter they own, by any
            issuer) or ``Perspective.ISSUER`` (credentials they issued).
    """
    ids = _ids(organisations)
    if perspective == Perspective.OWNER:
        return Credential.objects.filter(micromerit__owner__in=ids)
    if perspective == Perspective.ISSUER:
        return Credential.objects.filter(issuer__in=ids)
    raise ValueError(f"unknown perspective {perspective!r}")


def filter_credentials(credentials: QuerySet[Credential], filters: Filters) -> QuerySet:
    """``credentials`` narrowed by the report filters."""
    if filters.issued_from:
        credentials = credentials.filter(issued_on__gte=filters.issued_from)
    if filters.issued_to:
        credentials = credentials.filter(issued_on__lte=filters.issued_to)
    if filters.micromerit is not None:
        credentials = credentials.filter(micromerit=filters.micromerit)
    if filters.issuer is not None:
        credentials = credentials.filter(issuer=filters.issuer)
    if filters.seqf_level is not None:
        credentials = credentials.filter(micromerit__seqf_level=filters.seqf_level)
    return credentials


def best_before_state(today: date) -> Case:
    """An expression naming each credential's ``BestBeforeState`` on ``today``."""
    soon = today + timedelta(days=PASSING_SOON_DAYS)
    return Case(
        When(best_before__lt=today, then=Value(BestBeforeState.PASSED.value)),
        When(best_before__lte=soon, then=Value(BestBeforeState.PASSING_SOON.value)),
        default=Value(BestBeforeState.VALID.value),
        output_field=CharField(),
    )


def issued_month():
    """An expression for the month of ``issued_on``, grouped on in the database.

    ``TruncMonth`` everywhere but SQLite, where Django implements it as a Python
    function called once per row (four times slower on 40,000 rows); there a
    date is ISO text, so its first seven characters are the month.
    """
    if connection.vendor == "sqlite":
        return Substr("issued_on", 1, 7, output_field=CharField())
    return TruncMonth("issued_on")


def month_of(value) -> date:
    """The first day of the month an ``issued_month()`` value names."""
    if isinstance(value, str):
        return date(int(value[:4]), int(value[5:7]), 1)
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# What each dimension groups by: (annotations, value names, label of a grouped row).
def _group(dimension: str, today: date):
    if dimension == Dimension.MONTH:
        return {"m": issued_month()}, ("m",), lambda r: f"{r['k']:%Y-%m}"
    if dimension == Dimension.MICROMERIT:
        return {"k": F("micromerit"), "l": F("micromerit__title")}, ("k", "l"), lambda r: r["l"]
    if dimension == Dimension.ISSUER:
        return {"k": F("issuer"), "l": F("issuer__name")}, ("k", "l"), lambda r: r["l"]
    if dimension == Dimension.LEVEL:
        return (
            {"k": F("micromerit__seqf_level")},
            ("k",),
            lambda r: (
                gettext("SeQF %(level)s") % {"level": r["k"]}
                if r["k"] is not None
                else gettext("Ej nivåplacerad")
            ),
        )
    if dimension == Dimension.BEST_BEFORE:
        return (
            {"k": best_before_state(today)},
            ("k",),
            lambda r: str(BestBeforeState(r["k"]).label),
        )
    raise ValueError(f"unknown dimension {dimension!r}")


def _sort_key(dimension: str):
    if dimension == Dimension.BEST_BEFORE:
        order = list(BestBeforeState.values)
        return lambda row: order.index(row.key)
    if dimension == Dimension.LEVEL:
        return lambda row: (row.key is None, row.key or 0)
    if dimension == Dimension.MONTH:
        return lambda row: row.key
    return lambda row: (row.label.casefold(), row.key)


def issuance_view(
    *,
    organisations,
    perspective: str,
    dimension: str,
    filters: Filters = Filters(),
    today: date | None = None,
) -> View:
    """Issuance counts of ``organisations`` from ``perspective``, grouped by ``dimension``.

    One query. A group is suppressed (``StatisticsRow.suppressed``) when it holds
    a credential issued by an organisation not among ``organisations`` and fewer
    than ``SMALL_GROUP`` distinct people: another issuer's small groups never
    leave that issuer as exact numbers. The Totalt row stays exact.

    Parameters:
        organisations: the viewer's own organisations (a queryset, instances or ids).
        today: the day best-before states are judged on (default: today in Stockholm).
    """
    today = today or timezone.localdate()
    ids = _ids(organisations)
    credentials = filter_credentials(
        scoped_credentials(organisations=ids, perspective=perspective), filters
    )
    annotations, names, label = _group(dimension, today)
    counts = {"n": Count("pk")}
    if perspective == Perspective.OWNER:
        # Only the owner's view holds other issuers' credentials; the issuer's own
        # figures need neither the people count nor the test (and are cheaper for it).
        counts["people"] = Count("recipient", distinct=True)
        counts["foreign"] = Count("pk", filter=~Q(issuer__in=ids))
    grouped = list(credentials.annotate(**annotations).values(*names).annotate(**counts).order_by())
    for group in grouped:
        if dimension == Dimension.MONTH:
            group["k"] = month_of(group["m"])
    rows = [
        StatisticsRow(
            key=group["k"],
            label=label(group),
            credentials=group["n"],
            suppressed=bool(group.get("foreign")) and group["people"] < SMALL_GROUP,
        )
        for group in grouped
    ]
    rows.sort(key=_sort_key(dimension))
    if dimension == Dimension.MONTH:
        rows = _fill_months(rows, filters)
    return View(perspective=perspective, dimension=dimension, rows=rows)


def month_starts(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s month to ``last``'s, inclusive."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _fill_months(rows: list[StatisticsRow], filters: Filters) -> list[StatisticsRow]:
    # A month without issuance is a zero, not a gap: charts and sheets read evenly.
    if not rows and not (filters.issued_from and filters.issued_to):
        return rows
    keys = [row.key for row in rows]
    first = filters.issued_from or min(keys)
    last = filters.issued_to or max(keys)
    by_month = dict(zip(keys, rows, strict=True))
    return [
        by_month.get(month) or StatisticsRow(key=month, label=f"{month:%Y-%m}", credentials=0)
        for month in month_starts(min([first, *keys]), max([last, *keys]))
    ]


def all_views(
    *, organisations, filters: Filters = Filters(), today: date | None = None
) -> list[View]:
    """Every view, both perspectives (what the command writes, a sheet each)."""
    return [
        issuance_view(
            organisations=organisations,
            perspective=perspective,
            dimension=dimension,
            filters=filters,
            today=today,
        )
        for perspective in Perspective.values
        for dimension in Dimension.values
    ]


@dataclass
class MonthFigures:
    """One month of the dashboard: issued by us, and issued of our mikromeriter by anyone."""

    month: date
    issued: int
    of_ours: int
    of_ours_suppressed: bool

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def of_ours_value(self) -> int | str:
        return SUPPRESSED if self.of_ours_suppressed else self.of_ours


def dashboard_months(
    *, organisations, months: int = 12, today: date | None = None
) -> list[MonthFigures]:
    """The last ``months`` months (this month last) of issuance for ``organisations``, one query.

    ``issued``: credentials the organisations issued. ``of_ours``: credentials of
    mikromeriter they own, by every issuer, suppressed as in ``issuance_view``.
    """
    today = today or timezone.localdate()
    starts = month_starts(_months_back(today, months - 1), today)
    ids = _ids(organisations)
    mine = Q(issuer__in=ids)
    ours = Q(micromerit__owner__in=ids)
    grouped = (
        Credential.objects.filter(mine | ours, issued_on__gte=starts[0], issued_on__lte=today)
        .annotate(month=issued_month())
        .values("month")
        .annotate(
            issued=Count("pk", filter=mine),
            of_ours=Count("pk", filter=ours),
            people=Count("recipient", filter=ours, distinct=True),
            foreign=Count("pk", filter=ours & ~mine),
        )
        .order_by()
    )
    found = {month_of(g["month"]): g for g in grouped}
    figures = []
    for month in starts:
        group = found.get(month)
        if group is None:
            figures.append(MonthFigures(month, 0, 0, False))
        else:
            figures.append(
                MonthFigures(
                    month,
                    group["issued"],
                    group["of_ours"],
                    bool(group["foreign"]) and group["people"] < SMALL_GROUP,
                )
            )
    return figures


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def micromerits_in_scope(organisations) -> QuerySet[Micromerit]:
    """Mikromeriter a viewer can filter on: those they own and those they may or could issue.

    Issuing-right rows are never deleted and issuing needs one, so the rights
    (active or withdrawn) cover everything ever issued without reading credentials.
    """
    ids = _ids(organisations)
    return (
        Micromerit.objects.filter(Q(owner__in=ids) | Q(issuing_rights__organisation__in=ids))
        .distinct()
        .order_by("title")
    )


def issuers_in_scope(organisations) -> QuerySet[Organisation]:
    """Issuing organisations a viewer can filter on: themselves and every holder, now or
    before, of an issuing right for a mikromerit they own."""
    ids = _ids(organisations)
    return (
        Organisation.objects.filter(Q(pk__in=ids) | Q(issuing_rights__micromerit__owner__in=ids))
        .distinct()
        .order_by("name")
    )


def view_rows_for_sheet(view: View) -> Sequence[list]:
    """A view as spreadsheet rows: header, one row per group, then the Totalt row."""
    header = [str(Dimension(view.dimension).label), gettext("Antal utfärdade")]
    body = [[row.label, row.value] for row in view.rows]
    total = view.total
    return [header, *body, [total.label, total.credentials]]
