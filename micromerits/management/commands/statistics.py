"""manage.py statistics ORGNR --out PATH.xlsx

Writes the organisation's issuance statistics, the same figures as the
"Statistik" reports in the admin, to an Excel workbook: one sheet per view
(perspective × grouping), each ending with a ``Totalt`` row. The same "< 5"
rule applies as in the reports (docs/architecture.md). Exit 1 with a message
on stderr for an invalid or unknown organisationsnummer or an unusable path.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from micromerits import statistics
from micromerits.identity import InvalidIdentityNumber, normalise_orgnr
from micromerits.management.base import InvalidInput, PortalCommand
from micromerits.models import Organisation

#: Sheet names (Excel allows 31 characters) of each (perspective, dimension).
PERSPECTIVE_NAMES = {
    statistics.Perspective.OWNER: "Skapare",
    statistics.Perspective.ISSUER: "Utfärdare",
}
DIMENSION_NAMES = {
    statistics.Dimension.MONTH: "per månad",
    statistics.Dimension.MICROMERIT: "per mikromerit",
    statistics.Dimension.ISSUER: "per utfärdare",
    statistics.Dimension.LEVEL: "per SeQF-nivå",
    statistics.Dimension.BEST_BEFORE: "per bäst före",
}


def sheet_name(view: statistics.View) -> str:
    return f"{PERSPECTIVE_NAMES[view.perspective]} {DIMENSION_NAMES[view.dimension]}"[:31]


def write_statistics_workbook(views: list[statistics.View], path: Path) -> None:
    """One sheet per view: a header row, a row per group, the Totalt row (bold)."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for view in views:
        sheet = book.create_sheet(sheet_name(view))
        for values in statistics.view_rows_for_sheet(view):
            sheet.append(values)
        for cell in (*sheet[1], *sheet[sheet.max_row]):
            cell.font = bold
        sheet.column_dimensions["A"].width = 50
        sheet.column_dimensions["B"].width = 18
    book.save(path)


class Command(PortalCommand):
    help = "Write an organisation's issuance statistics (as the admin reports show them) to .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("orgnr", help="the organisation's organisationsnummer, NNNNNN-NNNN")
        parser.add_argument("--out", required=True, help="the .xlsx file to write")

    def handle(self, *args, orgnr, out, **options):
        try:
            number = normalise_orgnr(orgnr)
        except InvalidIdentityNumber as exc:
            raise InvalidInput(
                _("Ogiltigt organisationsnummer: %(orgnr)s (tio siffror, NNNNNN-NNNN).")
                % {"orgnr": orgnr}
            ) from exc
        organisation = Organisation.objects.filter(orgnr=number).first()
        if organisation is None:
            raise InvalidInput(
                _("Ingen organisation har organisationsnummer %(orgnr)s.") % {"orgnr": number}
            )
        path = Path(out)
        if path.suffix.lower() != ".xlsx":
            raise InvalidInput(_("Filen måste sluta på .xlsx: %(path)s") % {"path": out})
        if not path.parent.is_dir():
            raise InvalidInput(_("Mappen finns inte: %(path)s") % {"path": str(path.parent)})
        views = statistics.all_views(organisations=[organisation])
        write_statistics_workbook(views, path)
        self.stdout.write(f"statistics {organisation.orgnr} {path} ({len(views)} sheets)")
