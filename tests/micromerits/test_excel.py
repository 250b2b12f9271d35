"""The mikromerit workbook (TEMPLATE.md §1): reading, checking, the blank template and export.

No database: the module only reads and writes files.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from micromerits.excel import (
    WorkbookError,
    read_micromerit_workbook,
    workbook_bytes,
    write_micromerit_template,
    write_micromerit_workbook,
)
from tests.conftest import MICROMERIT_WORKBOOKS, workbook


def saved(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def edited(name: str, **values) -> openpyxl.Workbook:
    """A shared workbook with the Mikromerit sheet's values changed by label prefix."""
    book = openpyxl.load_workbook(workbook(name))
    for row in book["Mikromerit"].iter_rows(min_row=2):
        for prefix, value in values.items():
            if str(row[0].value).startswith(prefix):
                row[1].value = value
    return book


def problems_of(source) -> list:
    with pytest.raises(WorkbookError) as error:
        read_micromerit_workbook(source)
    return error.value.problems


def test_fasadmalning_reads_with_its_values():
    data = read_micromerit_workbook(workbook("fasadmalning.xlsx"))
    assert data.title == "Fasadmålning med silikat- och linoljefärg"
    assert data.owner_orgnr == "802000-1239"
    assert data.seqf_level == 4 and data.eqf_level == 4
    assert data.workload_hours == Decimal("40")
    assert data.ects_credits is None
    assert data.participation_form == "on_site"
    assert data.supervision == "supervised_id_on_site"
    assert data.stackability == "stackable"
    assert data.validity_months == 60
    assert [o.outcome_type for o in data.outcomes] == ["knowledge", "skill", "skill", "competence"]
    assert data.outcomes[1].activity == "välja"
    assert [i.orgnr for i in data.issuers] == ["559900-1111", "559900-2226"]
    assert data.warnings == []


def test_empty_eqf_means_the_seqf_level_and_empty_introduction_means_innehavaren_kan():
    data = read_micromerit_workbook(workbook("kundmote-i-butik.xlsx"))
    assert data.seqf_level == 2 and data.eqf_level == 2
    assert {o.introduction for o in data.outcomes} == {"Innehavaren kan"}


@pytest.mark.parametrize("path", MICROMERIT_WORKBOOKS, ids=lambda p: p.name)
def test_every_shared_workbook_reads_and_round_trips(path):
    data = read_micromerit_workbook(path)
    buffer = io.BytesIO()
    write_micromerit_workbook(data, buffer)
    again = read_micromerit_workbook(buffer.getvalue())
    assert again.model_field_values() == data.model_field_values()
    assert again.owner_orgnr == data.owner_orgnr
    assert all(a.same_content(b) for a, b in zip(again.outcomes, data.outcomes, strict=True))
    assert [(i.orgnr, i.name) for i in again.issuers] == [(i.orgnr, i.name) for i in data.issuers]


def test_labels_in_another_order_in_upper_case_with_an_extra_column_are_read():
    book = openpyxl.load_workbook(workbook("fasadmalning.xlsx"))
    sheet = book["Mikromerit"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    sheet.delete_rows(2, sheet.max_row)
    for row in reversed(rows):
        sheet.append([str(row[0]).upper(), row[1], row[2], "extra"])
    sheet.append(["Okänt fält", "x"])
    outcomes = book["Läranderesultat"]
    outcomes.insert_cols(1)
    outcomes["A1"] = "Anteckning"
    data = read_micromerit_workbook(saved(book))
    original = read_micromerit_workbook(workbook("fasadmalning.xlsx"))
    assert data.model_field_values() == original.model_field_values()
    assert len(data.outcomes) == 4
    assert any("Okänt fält" in w.message for w in data.warnings)


def test_a_broken_workbook_names_every_problem_with_sheet_row_and_column():
    book = edited(
        "fasadmalning.xlsx",
        **{
            "Titel *": None,
            "Beskrivning": "   ",
            "SeQF": 9,
            "EQF": 4.5,
            "Omfattning": -3,
            "Deltagandeform": "Per brevduva",
            "Övervakning": "Lite grann",
            "Språk": "de",
            "Giltighetstid": 0,
            "Skapande organisation": "802000-1238",
        },
    )
    book["Läranderesultat"]["A2"] = "Insikt"
    book["Läranderesultat"]["C3"] = None
    book["Utfärdare"]["A3"] = "559900-1111"
    problems = problems_of(saved(book))
    text = "\n".join(str(p) for p in problems)
    assert len(problems) == 13, text
    assert "Mikromerit, rad 2, kolumn B: Titel: Värdet saknas" in text
    assert "Mikromerit, rad 8, kolumn B: SeQF-nivå: Nivån måste vara ett heltal 1–8." in text
    assert "EQF-nivå" in text and "Omfattning" in text and "Giltighetstid" in text
    assert "”På plats”, ”Distans”, ”Kombinerad”" in text
    assert "Språk ska vara sv eller en" in text
    assert "kontrollsiffra" in text
    assert "Läranderesultat, rad 2, kolumn A" in text
    assert "Läranderesultat, rad 3, kolumn C" in text
    assert "Utfärdare, rad 3, kolumn A: Organisationen finns redan på rad 2." in text


def test_a_workbook_without_outcomes_or_issuers_is_refused():
    book = openpyxl.load_workbook(workbook("fasadmalning.xlsx"))
    book["Läranderesultat"].delete_rows(2, 10)
    book["Utfärdare"].delete_rows(2, 10)
    text = "\n".join(str(p) for p in problems_of(saved(book)))
    assert "Minst ett läranderesultat krävs" in text
    assert "Minst en utfärdande organisation krävs" in text


def test_a_missing_sheet_and_a_missing_required_column_are_named():
    book = openpyxl.load_workbook(workbook("fasadmalning.xlsx"))
    del book["Utfärdare"]
    book["Läranderesultat"]["D1"] = "Något annat"
    text = "\n".join(str(p) for p in problems_of(saved(book)))
    assert "Bladet ”Utfärdare” saknas" in text
    assert "Kolumnen ”Innehåll *” saknas" in text


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a workbook at all",
        b"Titel;Beskrivning\nx;y\n",
        b"PK\x03\x04broken zip",
        b"\xd0\xcf\x11\xe0old xls",
    ],
    ids=["empty", "text", "csv", "broken-zip", "xls"],
)
def test_a_file_that_is_not_a_workbook_gets_a_swedish_message(content):
    problems = problems_of(content)
    assert len(problems) == 1
    assert "Excelfil" in problems[0].message or "tom" in problems[0].message


def test_swedish_decimal_comma_and_text_numbers_are_accepted():
    book = edited(
        "fasadmalning.xlsx", **{"Omfattning": "40,5", "Högskolepoäng": "1,5", "SeQF": "4"}
    )
    data = read_micromerit_workbook(saved(book))
    assert data.workload_hours == Decimal("40.5")
    assert data.ects_credits == Decimal("1.5")
    assert data.seqf_level == 4


def test_the_blank_template_has_drop_downs_and_reads_back_as_missing_values(tmp_path):
    path = tmp_path / "mall.xlsx"
    write_micromerit_template(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["Mikromerit", "Läranderesultat", "Utfärdare"]
    assert all(book[name].sheet_state == "hidden" for name in book.sheetnames[3:])
    sheet = book["Mikromerit"]
    labels = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert labels[0] == "Titel *" and "Nyckelord" in labels
    formulas = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert '"På plats,Distans,Kombinerad"' in formulas
    assert '"Fristående,Kan ingå i annan merit"' in formulas
    outcome_formulas = [
        dv.formula1 for dv in book["Läranderesultat"].data_validations.dataValidation
    ]
    assert '"Kunskap,Färdighet,Kompetens"' in outcome_formulas

    problems = problems_of(path.read_bytes())
    messages = "\n".join(str(p) for p in problems)
    assert "Titel: Värdet saknas" in messages
    assert "Minst ett läranderesultat krävs" in messages


def test_workbook_bytes_of_nothing_is_the_blank_template():
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes()))
    assert book["Mikromerit"]["A2"].value == "Titel *"


def drop_down_options(book: openpyxl.Workbook, sheet_name: str, cell: str) -> list[str]:
    """What Excel offers in ``cell``'s list validation: an inline list or a range's values."""
    sheet = book[sheet_name]
    for validation in sheet.data_validations.dataValidation:
        if validation.type == "list" and cell in validation.sqref:
            formula = validation.formula1
            if formula.startswith('"'):
                return formula.strip('"').split(",")
            target, cells = formula.split("!")
            return [c.value for (c,) in book[target.strip("'")][cells.replace("$", "")]]
    return []


def test_every_drop_down_offers_exactly_the_swedish_labels():
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes()))
    labels = {
        sheet["A" + str(r)].value: "B" + str(r)
        for sheet in [book["Mikromerit"]]
        for r in range(2, sheet.max_row + 1)
    }
    assert drop_down_options(book, "Mikromerit", labels["Övervakning och identitetskontroll"]) == [
        "Ej övervakad, ingen ID-kontroll",
        "Övervakad, ingen ID-kontroll",
        "Övervakad med ID-kontroll på plats",
        "Övervakad med ID-kontroll online",
    ]
    assert drop_down_options(book, "Mikromerit", labels["Deltagandeform *"]) == [
        "På plats",
        "Distans",
        "Kombinerad",
    ]
    assert drop_down_options(book, "Läranderesultat", "A200") == [
        "Kunskap",
        "Färdighet",
        "Kompetens",
    ]


def test_extra_columns_on_the_outcome_and_issuer_sheets_give_warnings():
    book = openpyxl.load_workbook(workbook("fasadmalning.xlsx"))
    book["Läranderesultat"]["F1"] = "Anteckning"
    book["Utfärdare"]["C1"] = "Kontaktperson"
    data = read_micromerit_workbook(saved(book))
    assert [(w.sheet, w.row, w.column) for w in data.warnings] == [
        ("Läranderesultat", 1, "F"),
        ("Utfärdare", 1, "C"),
    ]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", 10**7])
def test_hours_that_are_not_a_sensible_number_are_a_problem_not_a_crash(value):
    [problem] = problems_of(saved(edited("fasadmalning.xlsx", Omfattning=value)))
    assert (problem.row, problem.column) == (10, "B")


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml"])
def test_a_workbook_with_a_damaged_part_gets_a_swedish_message(part):
    import zipfile

    source = zipfile.ZipFile(workbook("fasadmalning.xlsx"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            target.writestr(name, b"<<<" if name == part else source.read(name))
    [problem] = problems_of(buffer.getvalue())
    assert "Excelfil" in problem.message
