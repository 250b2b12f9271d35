"""The recipient list (TEMPLATE.md §2): .xlsx and .csv files read into checked recipients.

No database: the reader only looks at the file. Every identity number here is
from Skatteverket's published test numbers (shared/data/testpersonnummer.csv) or
a generated 1890s number, as that file's README asks.
"""

from __future__ import annotations

import codecs
import io
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from micromerits.excel import Problem, WorkbookError
from micromerits.recipient_list import RecipientRow, read_recipient_list

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
RECIPIENTS = SHARED_DATA / "recipients"

TODAY = date(2026, 12, 3)
GRADES = ["Godkänd", "Underkänd"]
HEADER = [
    "Förnamn *",
    "Efternamn *",
    "Personnummer *",
    "E-post *",
    "Bedömningsdatum *",
    "Betyg",
    "Bäst före",
    "Kommentar",
]
# Skatteverket test numbers: 12-digit form, and the 10-digit form of the same person.
ANNA = "189001019802"
ANNA_SHORT = "900101+9802"
ERIK = "189001029819"
FATIMA = "189001039800"
SAMORDNING = "191401682396"


def person(number: str = ANNA, **changes) -> list:
    """One valid data row in HEADER's order, with some cells changed by header."""
    values = {
        "Förnamn *": "Anna",
        "Efternamn *": "Lindqvist",
        "Personnummer *": number,
        "E-post *": "anna.lindqvist@example.se",
        "Bedömningsdatum *": "2026-11-20",
        "Betyg": "Godkänd",
        "Bäst före": None,
        "Kommentar": "Bedömd på fasad i Umeå",
    }
    values.update(changes)
    return [values[header] for header in HEADER]


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Mottagare"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(lines: list[str], *, bom: bool = False, encoding: str = "utf-8") -> bytes:
    content = "\r\n".join(lines).encode(encoding)
    return codecs.BOM_UTF8 + content if bom else content


def csv_line(values: list, delimiter: str) -> str:
    return delimiter.join("" if value is None else str(value) for value in values)


def read(content, filename: str = "mottagare.xlsx", **options) -> list[RecipientRow]:
    settings = {
        "filename": filename,
        "today": TODAY,
        "grades": GRADES,
        "default_identity_check": "Legitimation visad på plats",
        "default_assessment": "Praktiskt prov",
    }
    settings.update(options)
    return read_recipient_list(content, **settings)


def problems_of(content, filename: str = "mottagare.xlsx", **options) -> list[Problem]:
    with pytest.raises(WorkbookError) as error:
        read(content, filename, **options)
    assert str(error.value) == "\n".join(str(p) for p in error.value.problems)
    return error.value.problems


# --- the shared examples ------------------------------------------------------


def test_the_shared_xlsx_list_reads_with_its_values():
    path = RECIPIENTS / "fasadmalning-mottagare.xlsx"
    rows = read(path, path.name)
    assert len(rows) == 5
    assert rows.warnings == []
    assert rows[0] == RecipientRow(
        first_name="Anna",
        last_name="Lindqvist",
        personnummer=ANNA,
        email="anna.lindqvist@example.se",
        assessment_date=date(2026, 11, 20),
        grade="Godkänd",
        best_before=None,
        comment="Bedömd på fasad i Umeå",
        identity_check="Legitimation visad på plats",
        assessment="Praktiskt prov",
        row=2,
    )
    assert [r.last_name for r in rows] == ["Lindqvist", "Johansson", "Al-Hassan", "Öberg", "Ström"]
    assert [r.row for r in rows] == [2, 3, 4, 5, 6]


def test_the_shared_csv_list_reads_with_its_values():
    path = RECIPIENTS / "kundmote-mottagare.csv"
    rows = read(path.read_bytes(), path.name)
    assert [(r.first_name, r.personnummer) for r in rows] == [
        ("Mohammed", "189001069815"),
        ("Sofia", "189001079806"),
        ("Lars-Göran", "189001089813"),
    ]
    assert {r.assessment_date for r in rows} == {date(2026, 11, 28)}
    assert {r.grade for r in rows} == {"Godkänd"}
    assert {r.comment for r in rows} == {""}
    assert all(r.best_before is None for r in rows)


def test_a_path_a_file_object_and_bytes_read_the_same():
    path = RECIPIENTS / "fasadmalning-mottagare.xlsx"
    with path.open("rb") as file:
        from_file = read(file, path.name)
    assert read(path, path.name) == from_file == read(path.read_bytes(), path.name)


# --- formats -------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
def test_a_csv_with_comma_or_semicolon_with_or_without_bom_reads(delimiter, bom):
    lines = [
        delimiter.join(HEADER),
        delimiter.join(
            ["Erik", "Johansson", ERIK, "erik@example.se", "2026-11-20", "godkänd", "", ""]
        ),
        delimiter.join(
            ["Fatima", "Al-Hassan", FATIMA, "fatima@example.se", "2026-11-21", "", "", ""]
        ),
    ]
    rows = read(csv_bytes(lines, bom=bom), "lista.csv")
    assert [(r.first_name, r.personnummer, r.row) for r in rows] == [
        ("Erik", ERIK, 2),
        ("Fatima", FATIMA, 3),
    ]
    assert rows[1].assessment_date == date(2026, 11, 21)


def test_a_quoted_csv_field_may_hold_the_delimiter():
    lines = [
        ",".join(HEADER),
        f'Anna,Lindqvist,{ANNA},anna@example.se,2026-11-20,Godkänd,,"Bedömd i Umeå, fasad 2"',
    ]
    assert read(csv_bytes(lines), "lista.csv")[0].comment == "Bedömd i Umeå, fasad 2"


def test_a_csv_not_saved_as_utf8_gets_a_swedish_explanation():
    lines = [";".join(HEADER), csv_line(person(ERIK, **{"Förnamn *": "Björn"}), ";")]
    problems = problems_of(csv_bytes(lines, encoding="cp1252"), "lista.csv")
    assert len(problems) == 1
    assert "UTF-8" in problems[0].message


def test_an_xlsx_file_named_csv_is_still_read_as_a_workbook():
    assert len(read(xlsx([HEADER, person()]), "mottagare.csv")) == 1


@pytest.mark.parametrize(
    ("content", "filename", "words"),
    [
        (b"", "tom.xlsx", "tom"),
        (b"", "tom.csv", "tom"),
        (bytes(range(256)) * 4, "slump.xlsx", "Excelfil"),
        ("Förnamn;Efternamn\n".encode(), "text.xlsx", "Excelfil"),
        (b"PK\x03\x04 not really a zip", "trasig.xlsx", "Excelfil"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "gammal.xlsx", ".xls"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "gammal.xls", "Filtypen"),
        ("Förnamn,Efternamn\n".encode(), "lista.txt", "Filtypen"),
    ],
    ids=["empty-xlsx", "empty-csv", "random", "text", "broken-zip", "xls-renamed", "xls", "txt"],
)
def test_a_file_that_is_neither_xlsx_nor_csv_gets_a_swedish_message(content, filename, words):
    problems = problems_of(content, filename)
    assert len(problems) == 1
    assert words in problems[0].message


def with_part_replaced(content: bytes, part: str, data: bytes) -> bytes:
    """The .xlsx ``content`` with one part of its zip archive overwritten."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            target.writestr(name, data if name == part else source.read(name))
    return buffer.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"])
def test_a_workbook_with_a_damaged_part_gets_a_swedish_message(part):
    content = with_part_replaced(xlsx([HEADER, person()]), part, b"<worksheet><sheetData><row")
    [problem] = problems_of(content)
    assert "kunde inte läsas" in problem.message


def test_a_csv_with_an_oversized_field_gets_a_swedish_message():
    lines = [",".join(HEADER), csv_line(person(**{"Kommentar": "x" * 200_000}), ",")]
    [problem] = problems_of(csv_bytes(lines), "lista.csv")
    assert "CSV" in problem.message


# --- headers -------------------------------------------------------------------


def test_headers_match_in_any_order_and_case_and_unknown_columns_give_a_warning():
    header = [
        "E-POST",
        "efternamn",
        "Anteckning",
        "personnummer (10 eller 12 siffror)",
        "Förnamn *",
    ]
    header += ["BEDÖMNINGSDATUM"]
    rows = read(xlsx([header, ["anna@example.se", "Lindqvist", "x", ANNA, "Anna", "2026-11-20"]]))
    assert rows[0].first_name == "Anna" and rows[0].personnummer == ANNA
    assert [(w.row, w.column) for w in rows.warnings] == [(1, "C")]
    assert "Anteckning" in rows.warnings[0].message


def test_blank_rows_above_the_header_are_skipped():
    rows = read(xlsx([[None], [], HEADER, person()]))
    assert [(r.personnummer, r.row) for r in rows] == [(ANNA, 4)]


def test_missing_required_headers_are_all_named():
    problems = problems_of(xlsx([["Förnamn", "Efternamn", "Betyg"], ["Anna", "Lindqvist", ""]]))
    text = "\n".join(str(p) for p in problems)
    for header in ("Personnummer *", "E-post *", "Bedömningsdatum *"):
        assert f"Mottagare, rad 1: Kolumnen ”{header}” saknas." in text
    assert len(problems) == 3


def test_a_column_given_twice_is_a_problem():
    problems = problems_of(xlsx([[*HEADER, "E-post"], [*person(), "annan@example.se"]]))
    assert [(p.row, p.column) for p in problems] == [(1, "I")]


# --- values --------------------------------------------------------------------


def test_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers():
    rows = read(xlsx([HEADER, [None] * 8, person(), ["  ", None, ""], person(ERIK)]))
    assert [(r.personnummer, r.row) for r in rows] == [(ANNA, 3), (ERIK, 5)]


def test_a_file_with_only_the_header_row_has_no_recipients():
    problems = problems_of(xlsx([HEADER, [None, "  "]]))
    assert len(problems) == 1
    assert "inga mottagare" in problems[0].message


def test_text_is_stripped_and_whitespace_only_is_empty():
    row = person(**{"Förnamn *": "  Anna  ", "Kommentar": "   "})
    [recipient] = read(xlsx([HEADER, row]))
    assert recipient.first_name == "Anna" and recipient.comment == ""
    problems = problems_of(xlsx([HEADER, person(**{"Efternamn *": "   "})]))
    assert [(p.row, p.column) for p in problems] == [(2, "B")]


@pytest.mark.parametrize(
    "number",
    [ANNA, ANNA_SHORT, "18900101-9802", "189001019802 ", " 18900101 9802"],
)
def test_every_written_form_of_a_personnummer_is_normalised_to_twelve_digits(number):
    assert read(xlsx([HEADER, person(number)]))[0].personnummer == ANNA


def test_a_samordningsnummer_is_accepted():
    assert read(xlsx([HEADER, person(SAMORDNING)]))[0].personnummer == SAMORDNING


def test_a_personnummer_cell_stored_as_a_twelve_digit_number_is_accepted():
    assert read(xlsx([HEADER, person(int(ANNA))]))[0].personnummer == ANNA


def test_a_personnummer_cell_stored_as_a_ten_digit_number_is_refused_with_the_reason():
    problems = problems_of(xlsx([HEADER, person(9001019802)]))
    assert [(p.row, p.column) for p in problems] == [(2, "C")]
    assert "12 siffror" in problems[0].message
    assert "text" in problems[0].message


def test_a_personnummer_with_a_wrong_check_digit_is_refused():
    problems = problems_of(xlsx([HEADER, person("189001019803")]))
    assert [(p.row, p.column) for p in problems] == [(2, "C")]
    assert "personnummer" in problems[0].message.casefold()


def test_the_same_person_twice_is_refused_naming_both_rows():
    problems = problems_of(xlsx([HEADER, person(ANNA), person(ERIK), person(ANNA_SHORT)]))
    assert [(p.row, p.column) for p in problems] == [(4, "C")]
    assert "rad 2" in problems[0].message and "rad 4" in problems[0].message


def test_problem_messages_never_contain_the_personnummer():
    rows = [
        HEADER,
        person("189001019803"),  # wrong check digit
        person(9001029819),  # ten digits as a number
        person(FATIMA),
        person("900103+9800"),  # Fatima again, short form
        person(ERIK, **{"E-post *": "inte-en-adress"}),
    ]
    problems = problems_of(xlsx(rows))
    text = "\n".join(str(p) for p in problems)
    assert len(problems) == 4
    for digits in ("189001019803", "9001019803", "9001029819", FATIMA, "9001039800", ERIK):
        assert digits not in text
        assert digits[:6] not in text


@pytest.mark.parametrize("address", ["anna", "anna@", "anna@@example.se", "anna example@se"])
def test_a_bad_email_address_is_refused(address):
    problems = problems_of(xlsx([HEADER, person(**{"E-post *": address})]))
    assert [(p.row, p.column) for p in problems] == [(2, "D")]


def test_assessment_dates_may_be_excel_dates_or_iso_text():
    rows = read(
        xlsx(
            [
                HEADER,
                person(ANNA, **{"Bedömningsdatum *": datetime(2026, 11, 20, 0, 0)}),
                person(ERIK, **{"Bedömningsdatum *": date(2026, 11, 21)}),
                person(FATIMA, **{"Bedömningsdatum *": TODAY.isoformat()}),
            ]
        )
    )
    assert [r.assessment_date for r in rows] == [date(2026, 11, 20), date(2026, 11, 21), TODAY]


@pytest.mark.parametrize("value", ["20/11/2026", "2026-02-30", "igår", 46000, "2026-11-20x"])
def test_an_assessment_date_that_is_not_a_date_is_refused(value):
    problems = problems_of(xlsx([HEADER, person(**{"Bedömningsdatum *": value})]))
    assert [(p.row, p.column) for p in problems] == [(2, "E")]
    assert "ÅÅÅÅ-MM-DD" in problems[0].message


def test_an_assessment_date_in_the_future_is_refused():
    tomorrow = TODAY + timedelta(days=1)
    problems = problems_of(xlsx([HEADER, person(**{"Bedömningsdatum *": tomorrow.isoformat()})]))
    assert [(p.row, p.column) for p in problems] == [(2, "E")]
    assert "senare än i dag" in problems[0].message


def test_a_missing_assessment_date_is_refused():
    problems = problems_of(xlsx([HEADER, person(**{"Bedömningsdatum *": None})]))
    assert [(p.row, p.column) for p in problems] == [(2, "E")]


def test_a_grade_is_matched_without_case_and_stored_in_the_schemes_spelling():
    [recipient] = read(xlsx([HEADER, person(**{"Betyg": "  GODKÄND "})]))
    assert recipient.grade == "Godkänd"


def test_a_grade_outside_the_scheme_is_refused_listing_the_allowed_grades():
    problems = problems_of(xlsx([HEADER, person(**{"Betyg": "Väl godkänd"})]))
    assert [(p.row, p.column) for p in problems] == [(2, "F")]
    assert "Godkänd, Underkänd" in problems[0].message


def test_a_grade_for_a_mikromerit_without_a_scheme_is_refused():
    problems = problems_of(xlsx([HEADER, person(**{"Betyg": "Godkänd"})]), grades=[])
    assert [(p.row, p.column) for p in problems] == [(2, "F")]
    [recipient] = read(xlsx([HEADER, person(**{"Betyg": None})]), grades=[])
    assert recipient.grade == ""


def test_best_before_is_a_date_after_the_issuing_date_or_empty():
    rows = read(
        xlsx(
            [
                HEADER,
                person(ANNA, **{"Bäst före": "2031-12-03"}),
                person(ERIK, **{"Bäst före": datetime(2030, 1, 1)}),
                person(FATIMA, **{"Bäst före": ""}),
            ]
        )
    )
    assert [r.best_before for r in rows] == [date(2031, 12, 3), date(2030, 1, 1), None]


@pytest.mark.parametrize("value", [TODAY.isoformat(), "2026-01-01", "snart"])
def test_a_best_before_date_on_or_before_the_issuing_date_is_refused(value):
    problems = problems_of(xlsx([HEADER, person(**{"Bäst före": value})]))
    assert [(p.row, p.column) for p in problems] == [(2, "G")]


def test_identity_check_and_assessment_columns_override_the_batch_defaults():
    header = [*HEADER, "Identitetskontroll", "Bedömning"]
    rows = read(
        xlsx(
            [
                header,
                [*person(ANNA), "Pass visat via video", "Muntligt prov"],
                [*person(ERIK), "", None],
            ]
        )
    )
    assert [(r.identity_check, r.assessment) for r in rows] == [
        ("Pass visat via video", "Muntligt prov"),
        ("Legitimation visad på plats", "Praktiskt prov"),
    ]


def test_a_row_without_identity_check_or_assessment_from_anywhere_is_refused():
    header = [*HEADER, "Identitetskontroll", "Bedömning"]
    content = xlsx([header, [*person(ANNA), "Körkort", "Prov"], [*person(ERIK), "", ""]])
    problems = problems_of(content, default_identity_check="  ", default_assessment="")
    assert [(p.row, p.column) for p in problems] == [(3, "I"), (3, "J")]


def test_every_problem_in_every_row_is_reported_at_once():
    rows = [
        HEADER,
        person(ANNA, **{"Förnamn *": None, "E-post *": "fel"}),
        person(ERIK, **{"Betyg": "Toppen", "Bäst före": "2020-01-01"}),
        person("189001039801"),
        person(ANNA),
    ]
    problems = problems_of(xlsx(rows))
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("Mottagare", 2, "A"),
        ("Mottagare", 2, "D"),
        ("Mottagare", 3, "F"),
        ("Mottagare", 3, "G"),
        ("Mottagare", 4, "C"),
        ("Mottagare", 5, "C"),
    ]


def test_a_csv_problem_names_the_file_and_the_excel_column():
    lines = [",".join(HEADER), csv_line(person(**{"E-post *": "fel"}), ",")]
    [problem] = problems_of(csv_bytes(lines), "kurs/lista.csv")
    assert str(problem).startswith("lista.csv, rad 2, kolumn D: ")


# --- size ----------------------------------------------------------------------


def _personnummer_born_in_the_1890s(count: int) -> list[str]:
    """Valid numbers of people born 1890–1899 with serial 980–999 (see the README)."""
    numbers = []
    day = date(1890, 1, 1)
    while len(numbers) < count:
        for serial in range(980, 1000):
            digits = f"{day:%y%m%d}{serial}"
            total = sum(
                sum(divmod(int(d) * (2 if i % 2 == 0 else 1), 10)) for i, d in enumerate(digits)
            )
            numbers.append(f"18{digits}{(10 - total % 10) % 10}")
        day += timedelta(days=1)
    return numbers[:count]


def test_a_list_of_ten_thousand_recipients_reads_in_reasonable_time():
    numbers = _personnummer_born_in_the_1890s(10_000)
    content = xlsx(
        [HEADER]
        + [
            [f"Förnamn{n}", "Efternamn", number, f"person{n}@example.se", datetime(2026, 11, 20)]
            for n, number in enumerate(numbers)
        ]
    )
    started = time.perf_counter()
    rows = read(content)
    elapsed = time.perf_counter() - started
    assert len(rows) == 10_000
    assert rows[-1].personnummer == numbers[-1] and rows[-1].row == 10_001
    # A generous bound: this guards against accidental quadratic work, not CPU speed.
    assert elapsed < 30
