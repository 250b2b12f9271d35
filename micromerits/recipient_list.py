"""The recipient list of TEMPLATE.md §2: read one issuance batch from an .xlsx or .csv file.

An issuer hands in the people who passed the assessment as a spreadsheet (the
first sheet of an .xlsx workbook, or a UTF-8 CSV with ``,`` or ``;``). This
module turns that file into checked ``RecipientRow`` values or raises
``WorkbookError`` listing every problem by sheet, row and column, so that
nothing is issued unless the whole file is valid. It knows nothing of the
database; whether the issuer may issue the mikromerit is the service's question.
Personnummer are sensitive personal data, so no message ever repeats one: the
problems point at the row and column instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .excel import Problem, WorkbookError
from .identity import InvalidIdentityNumber, normalise_personnummer
from .spreadsheet import clean_text, column_letter, label_key, load_xlsx, read_source

__all__ = [
    "COLUMNS",
    "CheckedRow",
    "RecipientList",
    "RecipientListCheck",
    "RecipientRow",
    "check_recipient",
    "check_recipient_list",
    "read_recipient_list",
]

# Compiled once: a 10,000-row list runs these per row.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: What a damaged .xlsx can raise while openpyxl reads it (XML parse errors are SyntaxError).
_BROKEN_XLSX = (zipfile.BadZipFile, SyntaxError, KeyError, ValueError, TypeError, OSError, EOFError)

#: Old binary Excel (.xls) and other OLE2 files start with this signature.
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class _Column:
    """One column of the recipient list: its header, the attribute it fills, and if required."""

    header: str
    name: str
    required: bool = False

    @property
    def heading(self) -> str:
        return f"{self.header} *" if self.required else self.header


#: The columns of TEMPLATE.md §2, in the template's order.
COLUMNS: tuple[_Column, ...] = (
    _Column("Förnamn", "first_name", True),
    _Column("Efternamn", "last_name", True),
    _Column("Personnummer", "personnummer", True),
    _Column("E-post", "email", True),
    _Column("Bedömningsdatum", "assessment_date", True),
    _Column("Betyg", "grade"),
    _Column("Bäst före", "best_before"),
    _Column("Kommentar", "comment"),
    _Column("Identitetskontroll", "identity_check"),
    _Column("Bedömning", "assessment"),
)
_COLUMNS_BY_KEY = {label_key(column.header): column for column in COLUMNS}
#: Column name → header. Headers are the file's contract, so messages quote them untranslated.
_HEADERS = {column.name: column.header for column in COLUMNS}


@dataclass
class RecipientRow:
    """One checked recipient: the person, the assessment, and the row it came from."""

    first_name: str
    last_name: str
    #: Normalised to 12 digits, ``YYYYMMDDNNNC``.
    personnummer: str
    email: str
    assessment_date: date
    #: In the grading scheme's own spelling; "" when not given.
    grade: str
    #: None means: derive it from the mikromerit's validity period, if any.
    best_before: date | None
    comment: str
    identity_check: str
    assessment: str
    row: int


class RecipientList(list[RecipientRow]):
    """The rows of a valid recipient list, plus ``warnings`` about ignored columns.

    A list subclass so that callers that only want the rows can treat it as one.
    """

    def __init__(self, rows: Iterable[RecipientRow] = (), warnings: Iterable[Problem] = ()):
        super().__init__(rows)
        self.warnings: list[Problem] = list(warnings)


@dataclass
class CheckedRow:
    """One data row of a file as it was read: its number, raw cells, and the recipient if valid."""

    number: int
    #: Column name (``RecipientRow`` attribute) → the cell's raw value.
    cells: dict[str, object]
    #: None when anything on the row is wrong.
    recipient: RecipientRow | None


@dataclass
class RecipientListCheck:
    """Everything learnt from reading a list, good rows and bad: what a preview shows.

    ``recipients`` holds the valid rows; it is the batch only when ``problems``
    is empty.
    """

    sheet: str
    #: The known columns found in the header, in the template's order: (name, header, letter).
    columns: list[tuple[str, str, str]]
    #: Every non-blank data row, in file order.
    rows: list[CheckedRow]
    problems: list[Problem]
    recipients: RecipientList

    @property
    def warnings(self) -> list[Problem]:
        return self.recipients.warnings


def check_recipient_list(
    source,
    *,
    filename: str,
    today: date,
    grades: list[str],
    default_identity_check: str,
    default_assessment: str,
) -> RecipientListCheck:
    """Read a recipient list and check every row, keeping bad rows too (for a preview).

    Takes the same parameters as ``read_recipient_list``.

    Raises:
        WorkbookError: only when the file itself cannot be read (wrong type,
            damaged, not UTF-8); problems in the rows are in the result.
    """
    content = read_source(source)
    sheet, rows = _rows(content, filename)
    reader = _Reader(
        sheet=sheet,
        today=today,
        grades=grades,
        default_identity_check=clean_text(default_identity_check),
        default_assessment=clean_text(default_assessment),
    )
    recipients = reader.read(rows)
    columns = sorted(
        (
            (column.name, column.header, reader.columns[column.name])
            for column in COLUMNS
            if column.name in reader.columns
        ),
        key=lambda found: found[2][0],
    )
    return RecipientListCheck(
        sheet=sheet,
        columns=[(name, header, position[1]) for name, header, position in columns],
        rows=reader.checked,
        problems=reader.problems,
        recipients=recipients,
    )


def read_recipient_list(
    source,
    *,
    filename: str,
    today: date,
    grades: list[str],
    default_identity_check: str,
    default_assessment: str,
) -> RecipientList:
    """Read and check a recipient list.

    Parameters:
        source: the file as bytes, a path, or a binary file-like object.
        filename: the name the user gave the file; its extension (.xlsx or .csv)
            decides the format, together with the content itself.
        today: the issuing date. Assessment dates may not be after it and
            best-before dates must be after it.
        grades: the mikromerit's grading scheme steps (``Micromerit.grades``);
            empty when it has no scheme, and then no grade may be given.
        default_identity_check: how identity was checked, for rows that do not
            say so in an ``Identitetskontroll`` column.
        default_assessment: how the assessment was done, for rows without a
            ``Bedömning`` value.

    Returns:
        The recipients in file order, with ``warnings`` for ignored columns.

    Raises:
        WorkbookError: every problem in the file, when there is any.
    """
    check = check_recipient_list(
        source,
        filename=filename,
        today=today,
        grades=grades,
        default_identity_check=default_identity_check,
        default_assessment=default_assessment,
    )
    if check.problems:
        raise WorkbookError(check.problems)
    return check.recipients


def check_recipient(values: dict[str, object], *, today: date, grades: list[str]) -> RecipientRow:
    """One recipient typed into a form, checked by exactly the rules of a list's row.

    Parameters:
        values: ``RecipientRow`` attribute names → values (text, or ``date`` for
            the dates); ``identity_check`` and ``assessment`` have no default here.
        today, grades: as for ``read_recipient_list``.

    Returns:
        The checked row (``row`` is 1).

    Raises:
        WorkbookError: every problem; each problem's ``column`` is the attribute
            name, so a form can put the message on its own field.
    """
    reader = _Reader(
        sheet=_("Formulär"),
        today=today,
        grades=grades,
        default_identity_check="",
        default_assessment="",
    )
    names = [column.name for column in COLUMNS]
    reader.columns = {name: (index, name) for index, name in enumerate(names)}
    recipient = reader.read_row(1, tuple(values.get(name) for name in names))
    if reader.problems:
        raise WorkbookError(reader.problems)
    return recipient


# --- opening the file --------------------------------------------------------


def _rows(content: bytes, filename: str) -> tuple[str, Iterator[tuple]]:
    """The sheet name to report problems against and the file's rows as tuples."""
    name = PurePath(filename or "").name
    extension = PurePath(name).suffix.casefold()
    if extension not in {".xlsx", ".csv"}:
        raise WorkbookError(
            [
                Problem(
                    name or _("Filen"),
                    None,
                    None,
                    _(
                        "Filtypen stöds inte. Ladda upp en Excelfil (.xlsx) eller en CSV-fil (.csv)."
                    ),
                )
            ]
        )
    if content.startswith(_OLE2_SIGNATURE):
        raise WorkbookError(
            [
                Problem(
                    name,
                    None,
                    None,
                    _(
                        "Filen är sparad i det gamla Excelformatet (.xls). "
                        "Spara den som Excel-arbetsbok (.xlsx) och försök igen."
                    ),
                )
            ]
        )
    # The content decides over the name: an .xlsx renamed .csv is still read as a
    # workbook, while a text file renamed .xlsx gets load_xlsx's clear message.
    if extension == ".xlsx" or content.startswith(b"PK"):
        return _xlsx_rows(content, name)
    return name, _csv_rows(content, name)


def _xlsx_rows(content: bytes, name: str) -> tuple[str, Iterator[tuple]]:
    try:
        book = load_xlsx(content, name, read_only=True)
        try:
            if not book.worksheets:
                raise WorkbookError([Problem(name, None, None, _("Arbetsboken har inga blad."))])
            sheet = book.worksheets[0]
            # Read-only mode streams the XML; materialising here lets us close the
            # archive at once. 10,000 rows of ten short values fit easily in memory.
            rows = list(sheet.iter_rows(values_only=True))
        finally:
            book.close()
    except _BROKEN_XLSX as exc:
        # A damaged archive can fail late: read-only mode parses the sheet's XML
        # only while the rows are iterated, and a malformed part raises the XML
        # parser's SyntaxError subclass. The user needs one sentence, not a trace.
        raise WorkbookError(
            [Problem(name, None, None, _("Filen kunde inte läsas som en Excelfil (.xlsx)."))]
        ) from exc
    return sheet.title, iter(rows)


def _csv_rows(content: bytes, name: str) -> Iterator[tuple]:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise WorkbookError([Problem(name, None, None, _not_utf8_message())])
    try:
        # utf-8-sig drops the byte order mark Excel writes in "CSV UTF-8".
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorkbookError([Problem(name, None, None, _not_utf8_message())]) from exc
    if not text.strip():
        raise WorkbookError([Problem(name, None, None, _("Filen är tom."))])
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    # Swedish Excel saves CSV with ";" (the comma is the decimal separator), most
    # other tools with ","; the header line has no decimals, so counting decides.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        rows = [
            tuple(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as exc:
        # E.g. a field over the csv module's size limit: the file is not a list.
        raise WorkbookError(
            [Problem(name, None, None, _("Filen kunde inte läsas som en CSV-fil."))]
        ) from exc
    return iter(rows)


def _not_utf8_message() -> str:
    return _(
        "Filen är inte sparad som UTF-8. Välj ”CSV UTF-8 (kommaavgränsad)” när du sparar "
        "i Excel, eller spara filen som Excel-arbetsbok (.xlsx)."
    )


# --- checking the rows --------------------------------------------------------


class _Reader:
    """Checks the rows of one file and collects every problem instead of stopping at the first."""

    def __init__(
        self,
        *,
        sheet: str,
        today: date,
        grades: list[str],
        default_identity_check: str,
        default_assessment: str,
    ):
        self.sheet = sheet
        self.today = today
        self.grades = {grade.strip().casefold(): grade.strip() for grade in grades if grade.strip()}
        self.default_identity_check = default_identity_check
        self.default_assessment = default_assessment
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        #: Normalised personnummer → the first row it was on, to catch duplicates.
        self.rows_by_person: dict[str, int] = {}
        #: Column name → (index in the row, Excel letter).
        self.columns: dict[str, tuple[int, str]] = {}
        #: Every non-blank data row as read, for a preview.
        self.checked: list[CheckedRow] = []

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.sheet, row, column, message))

    def letter(self, name: str) -> str | None:
        return self.columns[name][1] if name in self.columns else None

    def read(self, rows: Iterator[tuple]) -> RecipientList:
        header_row = self.read_header(rows)
        if header_row is None:
            return RecipientList()
        result = RecipientList(warnings=self.warnings)
        for number, row in enumerate(rows, start=header_row + 1):
            if not any(clean_text(value) for value in row):
                continue
            recipient = self.read_row(number, row)
            self.checked.append(
                CheckedRow(
                    number=number,
                    cells={
                        name: row[index] if index < len(row) else None
                        for name, (index, _letter) in self.columns.items()
                    },
                    recipient=recipient,
                )
            )
            if recipient is not None:
                result.append(recipient)
        if not result and not self.problems:
            self.problem(None, None, _("Filen innehåller inga mottagare under rubrikraden."))
        return result

    def read_header(self, rows: Iterator[tuple]) -> int | None:
        """Map the known headers to their columns; return the header's row number."""
        # The header is the first row with anything in it; blank rows above it are
        # skipped. ``rows`` is consumed up to here, so the data follows on.
        found = next(
            (
                (number, row)
                for number, row in enumerate(rows, start=1)
                if any(clean_text(value) for value in row)
            ),
            None,
        )
        if found is None:
            self.problem(None, None, _("Filen är tom."))
            return None
        number, row = found
        for index, value in enumerate(row):
            text = clean_text(value)
            if not text:
                continue
            letter = column_letter(index + 1)
            column = _COLUMNS_BY_KEY.get(label_key(text))
            if column is None:
                self.warnings.append(
                    Problem(
                        self.sheet,
                        number,
                        letter,
                        _("Okänd kolumn ”%(header)s” ignorerades.") % {"header": text},
                    )
                )
            elif column.name in self.columns:
                self.problem(
                    number,
                    letter,
                    _("Kolumnen ”%(header)s” finns redan i kolumn %(other)s.")
                    % {"header": column.header, "other": self.columns[column.name][1]},
                )
            else:
                self.columns[column.name] = (index, letter)
        missing = [
            column.heading
            for column in COLUMNS
            if column.required and column.name not in self.columns
        ]
        for heading in missing:
            self.problem(number, None, _("Kolumnen ”%(header)s” saknas.") % {"header": heading})
        return None if missing else number

    def read_row(self, number: int, row: tuple) -> RecipientRow | None:
        """Check one data row; None (with problems recorded) when anything is wrong."""
        before = len(self.problems)

        def raw(name: str) -> object:
            position = self.columns.get(name)
            if position is None or position[0] >= len(row):
                return None
            return row[position[0]]

        def text(name: str) -> str:
            return clean_text(raw(name))

        def required(name: str) -> str:
            value = text(name)
            if not value:
                self.problem(
                    number,
                    self.letter(name),
                    _("%(header)s saknas men är obligatoriskt.") % {"header": _HEADERS[name]},
                )
            return value

        first_name = required("first_name")
        last_name = required("last_name")
        personnummer = self.personnummer(number, raw("personnummer"))
        if personnummer:
            # Recorded even when other cells of the row are wrong, so that a
            # duplicate shows up in the same round as the row's other problems.
            first = self.rows_by_person.setdefault(personnummer, number)
            if first != number:
                self.problem(
                    number,
                    self.letter("personnummer"),
                    _("Samma person finns två gånger i filen: på rad %(first)s och rad %(row)s.")
                    % {"first": first, "row": number},
                )
        email = required("email")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.problem(number, self.letter("email"), _("E-postadressen är inte giltig."))
        assessment_date = self.date(number, "assessment_date", raw("assessment_date"))
        if assessment_date is None and not text("assessment_date"):
            self.problem(
                number,
                self.letter("assessment_date"),
                _("Bedömningsdatum saknas men är obligatoriskt."),
            )
        elif assessment_date is not None and assessment_date > self.today:
            self.problem(
                number,
                self.letter("assessment_date"),
                _("Bedömningsdatum får inte vara senare än i dag (%(today)s).")
                % {"today": self.today.isoformat()},
            )
        grade = self.grade(number, text("grade"))
        best_before = self.date(number, "best_before", raw("best_before"))
        if best_before is not None and best_before <= self.today:
            self.problem(
                number,
                self.letter("best_before"),
                _("Bäst före måste vara ett datum efter utfärdandedagen (%(today)s).")
                % {"today": self.today.isoformat()},
            )
        identity_check = text("identity_check") or self.default_identity_check
        if not identity_check:
            self.problem(
                number,
                self.letter("identity_check"),
                _(
                    "Det saknas uppgift om hur identiteten kontrollerades. Ange den för hela "
                    "utfärdandet eller i kolumnen Identitetskontroll."
                ),
            )
        assessment = text("assessment") or self.default_assessment
        if not assessment:
            self.problem(
                number,
                self.letter("assessment"),
                _(
                    "Det saknas uppgift om hur bedömningen gjordes. Ange den för hela "
                    "utfärdandet eller i kolumnen Bedömning."
                ),
            )
        if len(self.problems) > before:
            return None
        return RecipientRow(
            first_name=first_name,
            last_name=last_name,
            personnummer=personnummer,
            email=email,
            assessment_date=assessment_date,
            grade=grade,
            best_before=best_before,
            comment=text("comment"),
            identity_check=identity_check,
            assessment=assessment,
            row=number,
        )

    def personnummer(self, number: int, value: object) -> str:
        """The normalised number, or "" with a problem that never repeats the digits."""
        column = self.letter("personnummer")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            # Excel stores a typed personnummer as a number: the hyphen becomes a
            # minus sign and leading zeros vanish, so only the 12-digit form
            # survives unchanged.
            if len(str(value)) != 12:
                self.problem(
                    number,
                    column,
                    _(
                        "Personnumret är sparat som ett tal. Excel tar då bort bindestreck och "
                        "inledande nollor, så numret kan ha ändrats. Skriv det med 12 siffror "
                        "(ÅÅÅÅMMDDNNNN) eller formatera cellen som text."
                    ),
                )
                return ""
            value = str(value)
        elif isinstance(value, float | datetime | date):
            self.problem(number, column, _("Personnumret har fel format. Skriv det som text."))
            return ""
        text = clean_text(value)
        if not text:
            self.problem(number, column, _("Personnummer saknas men är obligatoriskt."))
            return ""
        try:
            return normalise_personnummer(text)
        except InvalidIdentityNumber:
            # Deliberately without the number itself: problems end up in logs and e-mails.
            self.problem(
                number,
                column,
                _(
                    "Ogiltigt personnummer eller samordningsnummer. Kontrollera siffrorna "
                    "(10 eller 12 siffror, med eller utan - eller +)."
                ),
            )
            return ""

    def date(self, number: int, name: str, value: object) -> date | None:
        """A date from an Excel date cell or ``YYYY-MM-DD`` text; None when empty or wrong."""
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = clean_text(value)
        if not text:
            return None
        if _ISO_DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.problem(
            number,
            self.letter(name),
            _("Ogiltigt datum. Ange ett Excel-datum eller text på formen ÅÅÅÅ-MM-DD."),
        )
        return None

    def grade(self, number: int, value: str) -> str:
        """The grade in the scheme's spelling; "" when not given."""
        if not value:
            return ""
        if not self.grades:
            self.problem(
                number,
                self.letter("grade"),
                _("Mikromeriten har ingen betygsskala, så Betyg ska lämnas tomt."),
            )
            return ""
        grade = self.grades.get(value.casefold())
        if grade is None:
            self.problem(
                number,
                self.letter("grade"),
                _("Betyget finns inte i mikromeritens betygsskala. Tillåtna betyg: %(grades)s.")
                % {"grades": ", ".join(self.grades.values())},
            )
            return ""
        return grade
