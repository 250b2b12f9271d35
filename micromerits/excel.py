"""The mikromerit workbook of TEMPLATE.md §1: read a filled one, write a blank or filled one.

Pure file handling with no database access: reading turns a workbook into a
``MicromeritData`` with every value checked, or raises ``WorkbookError`` listing
every problem by sheet, row and column. Whether the organisations exist and the
importing user may act for the owner is the service's question
(``services.micromerit_import``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from .choices import (
    DEFAULT_OUTCOME_INTRODUCTION,
    Language,
    OutcomeType,
    ParticipationForm,
    Stackability,
    Supervision,
)
from .identity import InvalidIdentityNumber, normalise_orgnr
from .spreadsheet import (
    Problem,
    WorkbookError,
    clean_text,
    column_letter,
    label_key,
    load_xlsx,
    read_source,
)

__all__ = [
    "IssuerRef",
    "MicromeritData",
    "OutcomeData",
    "Problem",
    "WorkbookError",
    "micromerit_data_from_instance",
    "parse_micromerit_workbook",
    "read_micromerit_workbook",
    "write_micromerit_template",
    "write_micromerit_workbook",
]

SHEET_MICROMERIT = "Mikromerit"
SHEET_OUTCOMES = "Läranderesultat"
SHEET_ISSUERS = "Utfärdare"
#: Hidden sheet of the template holding drop-down lists that an inline list cannot.
SHEET_LISTS = "Listor"


@dataclass(frozen=True)
class Field:
    """One row of the Mikromerit sheet: its label, the model field, its kind and help text."""

    label: str
    name: str
    kind: str  # text, longtext, language, level, hours, ects, choice, months, orgnr
    required: bool = False
    choices: type | None = None
    max_length: int | None = None
    help: str = ""

    @property
    def key(self) -> str:
        return label_key(self.label)

    @property
    def heading(self) -> str:
        return f"{self.label} *" if self.required else self.label


#: The Mikromerit sheet's rows in the template's order (TEMPLATE.md §1).
FIELDS: list[Field] = [
    Field(
        "Titel", "title", "text", True, max_length=255, help="Mikromeritens namn, högst 255 tecken."
    ),
    Field("Titel på engelska", "title_en", "text", max_length=255),
    Field("Beskrivning", "description", "longtext", True, help="Vad innehavaren kan, kort."),
    Field("Språk", "language", "language", True, help="sv eller en"),
    Field(
        "Land/region",
        "country_region",
        "text",
        True,
        max_length=255,
        help="T.ex. Sverige, Västerbotten",
    ),
    Field(
        "Skapande organisation (organisationsnummer)",
        "owner_orgnr",
        "orgnr",
        True,
        help="NNNNNN-NNNN. Organisationen ska finnas i portalen och du ska vara skapare för den.",
    ),
    Field("SeQF-nivå (1–8)", "seqf_level", "level", help="Heltal 1–8, tomt om ej nivåplacerad."),
    Field("EQF-nivå (1–8)", "eqf_level", "level", help="Heltal 1–8; tomt = samma som SeQF-nivå."),
    Field("Omfattning i timmar", "workload_hours", "hours", True, help="Ett positivt tal."),
    Field("Högskolepoäng (ECTS)", "ects_credits", "ects", help="Ett tal ≥ 0, en decimal."),
    Field("Bedömningsform", "assessment_type", "longtext", True),
    Field("Deltagandeform", "participation_form", "choice", True, choices=ParticipationForm),
    Field("Kvalitetssäkring", "quality_assurance", "longtext", True),
    Field("Förkunskapskrav", "prerequisites", "longtext"),
    Field("Övervakning och identitetskontroll", "supervision", "choice", choices=Supervision),
    Field("Betygsskala", "grading_scheme", "text", max_length=255, help="T.ex. Godkänd/Underkänd"),
    Field("Stapelbarhet", "stackability", "choice", choices=Stackability),
    Field("Ingår i", "part_of", "text", max_length=500, help="Vad den kan kombineras till."),
    Field(
        "Giltighetstid i månader",
        "validity_months",
        "months",
        help="Heltal > 0: bäst före = utfärdandedatum + månader.",
    ),
    Field("Ytterligare information", "further_information", "longtext"),
    Field("Nyckelord", "keywords", "text", max_length=500, help="Kommaseparerade ord."),
]
FIELDS_BY_KEY = {f.key: f for f in FIELDS}

OUTCOME_COLUMNS = [
    ("Typ", "outcome_type", True),
    ("Inledning", "introduction", False),
    ("Aktivitet (aktivt verb)", "activity", True),
    ("Innehåll", "content", True),
    ("Kvalitet och sammanhang", "quality_context", True),
]
ISSUER_COLUMNS = [("Organisationsnummer", "orgnr", True), ("Namn", "name", False)]


@dataclass
class OutcomeData:
    outcome_type: str
    introduction: str
    activity: str
    content: str
    quality_context: str
    row: int = 0

    def same_content(self, other: OutcomeData) -> bool:
        return (
            self.outcome_type,
            self.introduction,
            self.activity,
            self.content,
            self.quality_context,
        ) == (
            other.outcome_type,
            other.introduction,
            other.activity,
            other.content,
            other.quality_context,
        )


@dataclass
class IssuerRef:
    orgnr: str
    name: str = ""
    row: int = 0


@dataclass
class MicromeritData:
    """A checked mikromerit workbook: the model's field values plus owner, outcomes and issuers."""

    title: str = ""
    title_en: str = ""
    description: str = ""
    language: str = Language.SWEDISH
    country_region: str = ""
    keywords: str = ""
    prerequisites: str = ""
    workload_hours: Decimal | None = None
    ects_credits: Decimal | None = None
    seqf_level: int | None = None
    eqf_level: int | None = None
    assessment_type: str = ""
    participation_form: str = ""
    quality_assurance: str = ""
    supervision: str = ""
    grading_scheme: str = ""
    stackability: str = ""
    part_of: str = ""
    validity_months: int | None = None
    further_information: str = ""
    owner_orgnr: str = ""
    owner_position: tuple[int | None, str | None] = (None, None)
    outcomes: list[OutcomeData] = field(default_factory=list)
    issuers: list[IssuerRef] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    MODEL_FIELDS = tuple(f.name for f in FIELDS if f.name != "owner_orgnr")

    def model_field_values(self) -> dict:
        """The values of ``Micromerit``'s own fields (not owner, outcomes or issuers)."""
        return {name: getattr(self, name) for name in self.MODEL_FIELDS}


# --- reading ---------------------------------------------------------------


def _swedish_choices(choices) -> dict[str, str]:
    with override("sv"):
        return {str(label).casefold(): value for value, label in choices.choices}


def _swedish_label(choices, value: str) -> str:
    with override("sv"):
        return str(choices(value).label) if value else ""


def _number(raw: object) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = Decimal(str(raw))
        return number if number.is_finite() else None
    try:
        number = Decimal(clean_text(raw).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None
    # "NaN", "Infinity" and "1e400" parse as Decimals but cannot be compared or
    # rounded without raising: treat them as not-a-number.
    return number if number.is_finite() else None


def _convert(spec: Field, raw: object) -> tuple[object, str | None]:
    """The cell's value for ``spec``, or a Swedish message saying why it is wrong."""
    text = clean_text(raw)
    if text == "":
        if spec.required:
            return None, _("Värdet saknas men är obligatoriskt.")
        return (None if spec.kind in {"level", "hours", "ects", "months"} else ""), None
    if spec.kind in {"text", "longtext"}:
        if spec.max_length and len(text) > spec.max_length:
            return None, _("Texten är för lång (högst %(n)s tecken).") % {"n": spec.max_length}
        return text, None
    if spec.kind == "language":
        if text.casefold() not in Language.values:
            return None, _("Språk ska vara sv eller en.")
        return text.casefold(), None
    if spec.kind == "orgnr":
        try:
            return normalise_orgnr(text), None
        except InvalidIdentityNumber:
            return None, _(
                "Ogiltigt organisationsnummer: ange NNNNNN-NNNN med rätt kontrollsiffra."
            )
    if spec.kind == "choice":
        options = _swedish_choices(spec.choices)
        if text.casefold() not in options:
            with override("sv"):
                allowed = ", ".join(f"”{label}”" for _v, label in spec.choices.choices)
            return None, _("Okänt värde. Tillåtna värden: %(allowed)s.") % {"allowed": allowed}
        return options[text.casefold()], None
    number = _number(raw)
    if spec.kind == "level":
        if number is None or number != number.to_integral_value() or not 1 <= number <= 8:
            return None, _("Nivån måste vara ett heltal 1–8.")
        return int(number), None
    if spec.kind == "months":
        # The upper bound (100 years) keeps the value inside PositiveIntegerField
        # and catches a date or a day count typed into the cell.
        if number is None or number != number.to_integral_value() or not 0 < number <= 1200:
            return None, _("Giltighetstiden ska vara ett heltal 1–1200 (månader).")
        return int(number), None
    if spec.kind == "hours":
        # DecimalField(max_digits=7, decimal_places=1) holds at most 999999.9.
        if number is None or not 0 < number < 1_000_000:
            return None, _("Omfattning i timmar ska vara ett positivt tal under 1 000 000.")
        if number != round(number, 1):
            return None, _("Omfattning i timmar får ha högst en decimal.")
        return number, None
    if spec.kind == "ects":
        # DecimalField(max_digits=5, decimal_places=1) holds at most 9999.9.
        if number is None or not 0 <= number < 10_000:
            return None, _("Högskolepoäng ska vara ett tal från 0 till 9999,9.")
        if number != round(number, 1):
            return None, _("Högskolepoäng får ha högst en decimal.")
        return number, None
    raise AssertionError(f"unknown field kind {spec.kind}")


def _sheet(book, name: str, problems: list[Problem]):
    for worksheet in book.worksheets:
        if label_key(worksheet.title) == label_key(name):
            return worksheet
    problems.append(
        Problem(name, None, None, _("Bladet ”%(name)s” saknas i filen.") % {"name": name})
    )
    return None


def _read_fields(sheet, data: MicromeritData, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    rows = list(sheet.iter_rows(values_only=True))
    for number, row in enumerate(rows, start=1):
        if not row or all(clean_text(c) == "" for c in row):
            continue
        key = label_key(row[0])
        if key in {"fält", ""}:
            continue
        spec = FIELDS_BY_KEY.get(key)
        if spec is None:
            data.warnings.append(
                Problem(
                    sheet.title,
                    number,
                    "A",
                    _("Okänd rad ”%(label)s” ignorerades.") % {"label": clean_text(row[0])},
                )
            )
            continue
        if key in seen:
            problems.append(
                Problem(
                    sheet.title,
                    number,
                    "A",
                    _("Fältet finns redan på rad %(row)s.") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = number
        value, message = _convert(spec, row[1] if len(row) > 1 else None)
        if message:
            problems.append(
                Problem(sheet.title, number, "B", f"{spec.label.split(' (')[0]}: {message}")
            )
            continue
        setattr(data, spec.name, value)
        if spec.name == "owner_orgnr":
            data.owner_position = (number, "B")
    for spec in FIELDS:
        if spec.key not in seen and spec.required:
            problems.append(
                Problem(
                    sheet.title, None, "A", _("Raden ”%(label)s” saknas.") % {"label": spec.heading}
                )
            )
    if data.eqf_level is None:
        data.eqf_level = data.seqf_level


def _header_map(
    sheet, columns, problems: list[Problem], warnings: list[Problem]
) -> tuple[int, dict[str, int], list[tuple]]:
    """Find the header row; map each known column to its index. Returns (header row, map, rows)."""
    rows = list(sheet.iter_rows(values_only=True))
    header_number = next(
        (n for n, row in enumerate(rows, start=1) if row and any(clean_text(c) for c in row)), None
    )
    if header_number is None:
        problems.append(Problem(sheet.title, None, None, _("Bladet är tomt.")))
        return 0, {}, []
    wanted = {label_key(label): name for label, name, _req in columns}
    mapping: dict[str, int] = {}
    for index, cell in enumerate(rows[header_number - 1]):
        key = label_key(cell)
        if key in wanted and wanted[key] not in mapping:
            mapping[wanted[key]] = index
        elif key:
            # TEMPLATE.md: extra columns are ignored, with a warning.
            warnings.append(
                Problem(
                    sheet.title,
                    header_number,
                    column_letter(index + 1),
                    _("Okänd kolumn ”%(label)s” ignorerades.") % {"label": clean_text(cell)},
                )
            )
    for label, name, required in columns:
        if required and name not in mapping:
            problems.append(
                Problem(
                    sheet.title,
                    header_number,
                    None,
                    _("Kolumnen ”%(label)s *” saknas.") % {"label": label},
                )
            )
    return header_number, mapping, rows[header_number:]


def _cell(row: tuple, mapping: dict[str, int], name: str) -> object:
    index = mapping.get(name)
    return row[index] if index is not None and index < len(row) else None


def _read_outcomes(sheet, data: MicromeritData, problems: list[Problem]) -> None:
    header, mapping, rows = _header_map(sheet, OUTCOME_COLUMNS, problems, data.warnings)
    if not header:
        return
    types = _swedish_choices(OutcomeType)
    for offset, row in enumerate(rows, start=header + 1):
        if not row or all(clean_text(c) == "" for c in row):
            continue
        values = {name: clean_text(_cell(row, mapping, name)) for _l, name, _r in OUTCOME_COLUMNS}
        ok = True
        for label, name, required in OUTCOME_COLUMNS:
            if required and name in mapping and not values[name]:
                problems.append(
                    Problem(
                        sheet.title,
                        offset,
                        column_letter(mapping[name] + 1),
                        _("%(label)s: Värdet saknas men är obligatoriskt.") % {"label": label},
                    )
                )
                ok = False
        kind = types.get(values["outcome_type"].casefold())
        if values["outcome_type"] and kind is None:
            problems.append(
                Problem(
                    sheet.title,
                    offset,
                    column_letter(mapping["outcome_type"] + 1),
                    _("Typ ska vara ”Kunskap”, ”Färdighet” eller ”Kompetens”."),
                )
            )
            ok = False
        if ok:
            data.outcomes.append(
                OutcomeData(
                    outcome_type=kind,
                    introduction=values["introduction"] or DEFAULT_OUTCOME_INTRODUCTION,
                    activity=values["activity"],
                    content=values["content"],
                    quality_context=values["quality_context"],
                    row=offset,
                )
            )
    if not data.outcomes and not any(p.sheet == sheet.title for p in problems):
        problems.append(Problem(sheet.title, None, None, _("Minst ett läranderesultat krävs.")))


def _read_issuers(sheet, data: MicromeritData, problems: list[Problem]) -> None:
    header, mapping, rows = _header_map(sheet, ISSUER_COLUMNS, problems, data.warnings)
    if not header or "orgnr" not in mapping:
        return
    column = column_letter(mapping["orgnr"] + 1)
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows, start=header + 1):
        if not row or all(clean_text(c) == "" for c in row):
            continue
        raw = clean_text(_cell(row, mapping, "orgnr"))
        if not raw:
            problems.append(Problem(sheet.title, offset, column, _("Organisationsnummer saknas.")))
            continue
        try:
            orgnr = normalise_orgnr(raw)
        except InvalidIdentityNumber:
            problems.append(
                Problem(
                    sheet.title,
                    offset,
                    column,
                    _("Ogiltigt organisationsnummer: ange NNNNNN-NNNN med rätt kontrollsiffra."),
                )
            )
            continue
        if orgnr in seen:
            problems.append(
                Problem(
                    sheet.title,
                    offset,
                    column,
                    _("Organisationen finns redan på rad %(row)s.") % {"row": seen[orgnr]},
                )
            )
            continue
        seen[orgnr] = offset
        data.issuers.append(
            IssuerRef(orgnr=orgnr, name=clean_text(_cell(row, mapping, "name")), row=offset)
        )
    if not data.issuers and not any(p.sheet == sheet.title for p in problems):
        problems.append(
            Problem(sheet.title, None, None, _("Minst en utfärdande organisation krävs."))
        )


def parse_micromerit_workbook(source) -> tuple[MicromeritData, list[Problem]]:
    """Read a filled mikromerit workbook as far as it goes, returning the data and every problem.

    The data holds every value that could be read, so that a caller can check
    them further (do the organisations exist?) and report everything at once.

    Raises:
        WorkbookError: only when the file is not a readable workbook at all.
    """
    book = load_xlsx(read_source(source), SHEET_MICROMERIT)
    problems: list[Problem] = []
    data = MicromeritData()
    for name, reader in (
        (SHEET_MICROMERIT, _read_fields),
        (SHEET_OUTCOMES, _read_outcomes),
        (SHEET_ISSUERS, _read_issuers),
    ):
        sheet = _sheet(book, name, problems)
        if sheet is not None:
            reader(sheet, data, problems)
    return data, problems


def read_micromerit_workbook(source) -> MicromeritData:
    """Read and check a filled mikromerit workbook.

    Parameters:
        source: the .xlsx as bytes, a path, or a binary file-like object.

    Returns:
        The checked data; ``warnings`` lists ignored rows and columns.

    Raises:
        WorkbookError: every problem in every sheet, when there is any.
    """
    data, problems = parse_micromerit_workbook(source)
    if problems:
        raise WorkbookError(problems)
    return data


# --- writing ---------------------------------------------------------------


def _display_value(spec: Field, value: object) -> object:
    if value is None or value == "":
        return None
    if spec.kind == "choice":
        return _swedish_label(spec.choices, value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _choice_list(choices, book: Workbook) -> str:
    """The data-validation formula offering ``choices``' Swedish labels.

    Excel splits an inline list on commas and has no escape for them, so labels
    that contain a comma (``Ej övervakad, ingen ID-kontroll``) are listed on a
    hidden sheet and referenced as a range instead.
    """
    with override("sv"):
        labels = [str(label) for _v, label in choices.choices]
    if not any("," in label for label in labels):
        return '"' + ",".join(labels) + '"'
    if SHEET_LISTS in book.sheetnames:
        lists = book[SHEET_LISTS]
    else:
        lists = book.create_sheet(SHEET_LISTS)
        lists.sheet_state = "hidden"
    column = column_letter(lists.max_column + 1 if lists["A1"].value is not None else 1)
    for row, label in enumerate(labels, start=1):
        lists[f"{column}{row}"] = label
    return f"'{SHEET_LISTS}'!${column}$1:${column}${len(labels)}"


def _build(data: MicromeritData | None) -> Workbook:
    book = Workbook()
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    sheet = book.active
    sheet.title = SHEET_MICROMERIT
    sheet.append(["Fält", "Värde", "Hjälptext"])
    for spec in FIELDS:
        value = _display_value(spec, getattr(data, spec.name)) if data else None
        help_text = spec.help
        if spec.kind == "choice":
            with override("sv"):
                help_text = help_text or _("Välj i listan.")
        sheet.append([spec.heading, value, help_text or None])
    for index, spec in enumerate(FIELDS, start=2):
        cell = f"B{index}"
        validation = None
        if spec.kind == "choice":
            validation = DataValidation(
                type="list",
                formula1=_choice_list(spec.choices, book),
                allow_blank=not spec.required,
            )
        elif spec.kind == "language":
            validation = DataValidation(type="list", formula1='"sv,en"', allow_blank=False)
        elif spec.kind == "level":
            validation = DataValidation(
                type="whole", operator="between", formula1="1", formula2="8", allow_blank=True
            )
            validation.error = "SeQF/EQF-nivå är ett heltal 1–8."
        if validation is not None:
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
            validation.add(cell)
        sheet[cell].alignment = wrap
    sheet.column_dimensions["A"].width = 46
    sheet.column_dimensions["B"].width = 70
    sheet.column_dimensions["C"].width = 60

    outcomes = book.create_sheet(SHEET_OUTCOMES)
    outcomes.append(
        [f"{label} *" if required else label for label, _n, required in OUTCOME_COLUMNS]
    )
    for outcome in data.outcomes if data else []:
        outcomes.append(
            [
                _swedish_label(OutcomeType, outcome.outcome_type),
                outcome.introduction,
                outcome.activity,
                outcome.content,
                outcome.quality_context,
            ]
        )
    type_validation = DataValidation(
        type="list", formula1=_choice_list(OutcomeType, book), allow_blank=True
    )
    outcomes.add_data_validation(type_validation)
    type_validation.add("A2:A200")
    for letter, width in zip("ABCDE", (14, 18, 28, 50, 50), strict=True):
        outcomes.column_dimensions[letter].width = width

    issuers = book.create_sheet(SHEET_ISSUERS)
    issuers.append([f"{label} *" if required else label for label, _n, required in ISSUER_COLUMNS])
    for issuer in data.issuers if data else []:
        issuers.append([issuer.orgnr, issuer.name or None])
    issuers.column_dimensions["A"].width = 24
    issuers.column_dimensions["B"].width = 40

    if SHEET_LISTS in book.sheetnames:
        # Created while the first sheet was filled; users should meet the three
        # sheets of TEMPLATE.md first, so the hidden list goes last.
        names = book.sheetnames
        book.move_sheet(SHEET_LISTS, offset=len(names) - 1 - names.index(SHEET_LISTS))
    for worksheet in (book[SHEET_MICROMERIT], outcomes, issuers):
        worksheet.freeze_panes = "A2"
        for cell in worksheet[1]:
            cell.font = bold
    return book


def _save(book: Workbook, target) -> None:
    if hasattr(target, "write"):
        book.save(target)
    else:
        with open(target, "wb") as file:
            book.save(file)


def write_micromerit_template(target) -> None:
    """Write the blank workbook (drop-down lists, help text) to a path or binary file."""
    _save(_build(None), target)


def write_micromerit_workbook(data: MicromeritData, target) -> None:
    """Write ``data`` in the template's layout; reading it back gives equal data."""
    _save(_build(data), target)


def micromerit_data_from_instance(micromerit, issuers: list[tuple[str, str]]) -> MicromeritData:
    """The workbook data of a mikromerit (saved, or an object from a revision) and its issuers."""
    values = {name: getattr(micromerit, name) for name in MicromeritData.MODEL_FIELDS}
    for name in (
        "title_en",
        "keywords",
        "prerequisites",
        "supervision",
        "grading_scheme",
        "stackability",
        "part_of",
        "further_information",
    ):
        values[name] = values[name] or ""
    return MicromeritData(
        **values,
        owner_orgnr=micromerit.owner.orgnr,
        outcomes=[
            OutcomeData(
                o.outcome_type,
                o.introduction or DEFAULT_OUTCOME_INTRODUCTION,
                o.activity,
                o.content,
                o.quality_context,
                row=n,
            )
            for n, o in enumerate(micromerit.learning_outcomes.all(), start=2)
        ],
        issuers=[IssuerRef(orgnr, name, row=n) for n, (orgnr, name) in enumerate(issuers, start=2)],
    )


def workbook_bytes(data: MicromeritData | None = None) -> bytes:
    """The workbook as bytes (blank when ``data`` is None)."""
    buffer = io.BytesIO()
    _save(_build(data), buffer)
    return buffer.getvalue()
