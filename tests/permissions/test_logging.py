"""No personnummer in logs: the masking filter, its place on every handler, and a verbose bulk issuance."""

from __future__ import annotations

import copy
import csv
import io
import logging
import logging.config

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.common import people_born_1890s
from cms.logging import MASK, handlers_without_mask, mask_personnummer
from tests.conftest import SHARED_DATA


def shared_numbers() -> list[str]:
    with (SHARED_DATA / "testpersonnummer.csv").open(encoding="utf-8") as file:
        return [row["number"] for row in csv.DictReader(file)]


def every_format(number: str) -> list[str]:
    """A 12-digit number as people write it: 12 or 10 digits, with -, + or nothing."""
    short = number[2:]
    return [
        number,
        f"{number[:8]}-{number[8:]}",
        short,
        f"{short[:6]}-{short[6:]}",
        f"{short[:6]}+{short[6:]}",
    ]


@pytest.mark.parametrize("number", shared_numbers())
def test_every_format_of_every_test_number_is_masked(number):
    for written in every_format(number):
        text = f"recipient {written}, again:{written}."
        assert mask_personnummer(text) == f"recipient {MASK}, again:{MASK}."


@pytest.mark.parametrize(
    "text",
    [
        "unix time 1733300000",  # ten digits, but month 33
        "organisation 802000-1239",  # organisationsnummer: month 20
        "organisation 559900-1111",
        "batch 42 of 10000 rows in 12.5 s",
        "credential 0d9f4c1e-5b7a-4a39-8f0e-2c61b4a0c9d3",
        "checkpoint 123456789012345",  # longer than any personnummer
    ],
)
def test_other_numbers_survive(text):
    assert mask_personnummer(text) == text


def test_every_handler_of_the_logging_setting_masks():
    assert settings.LOGGING["handlers"]
    assert handlers_without_mask(settings.LOGGING) == []


def test_the_filter_masks_arguments_of_any_type_exceptions_and_stacks(caplog):
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    logging.config.dictConfig(config)
    try:
        handler = logging.getLogger("micromerits").handlers[0]
        handler.setStream(stream)
        logger = logging.getLogger("micromerits.test")
        logger.error("as int %s, as str %s", 189001019802, "18900102-9819")
        logger.error("as dict %(n)s", {"n": "9001039800"})
        try:
            raise ValueError("bad number 900104+9817")
        except ValueError:
            logger.exception("failed")
        logger.error("stack", stack_info=True)
    finally:
        logging.config.dictConfig(settings.LOGGING)
    output = stream.getvalue()
    assert output.count(MASK) == 5
    for number in ("189001019802", "9819", "9001039800", "900104+9817"):
        assert number not in output


def recipient_workbook(numbers: list[str], path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Mottagare"
    sheet.append(
        ["Förnamn *", "Efternamn *", "Personnummer *", "E-post *", "Bedömningsdatum *", "Betyg"]
    )
    for n, number in enumerate(numbers):
        sheet.append([f"Test{n}", "Testsson", number, f"person{n}@example.se", "2026-11-28", ""])
    book.save(path)


def verbose_logging(stream: io.StringIO, *, masked: bool) -> None:
    """The portal's LOGGING with every logger, SQL included, at DEBUG, written to ``stream``."""
    config = copy.deepcopy(settings.LOGGING)
    config["root"]["level"] = "DEBUG"
    for logger in config["loggers"].values():
        logger["level"] = "DEBUG"
    config["loggers"]["django.db.backends"] = {
        "handlers": ["console"],
        "level": "DEBUG",
        "propagate": False,
    }
    if not masked:
        config["handlers"]["console"]["filters"] = []
    logging.config.dictConfig(config)
    for handler in logging.getLogger().handlers:
        handler.setStream(stream)


def issue_verbosely(people, published_micromerit, tmp_path, numbers, *, masked: bool) -> str:
    path = tmp_path / f"mottagare-{masked}.xlsx"
    recipient_workbook(numbers, path)
    stream = io.StringIO()
    verbose_logging(stream, masked=masked)
    connection.force_debug_cursor = True
    problems = io.StringIO()
    try:
        call_command(
            "issue_credentials",
            str(published_micromerit.pk),
            str(path),
            "--user",
            people["issuer"].username,
            "--identity-check",
            "Körkort",
            "--assessment",
            "Praktiskt prov",
            stdout=io.StringIO(),
            stderr=problems,
        )
        # A list with one bad row: the refusal path logs too.
        bad = tmp_path / f"fel-{masked}.xlsx"
        recipient_workbook([*numbers[:3], numbers[0][:-1] + "0"], bad)
        with pytest.raises(SystemExit):
            call_command(
                "issue_credentials",
                str(published_micromerit.pk),
                str(bad),
                "--user",
                people["issuer"].username,
                "--identity-check",
                "Körkort",
                "--assessment",
                "Praktiskt prov",
                stdout=io.StringIO(),
                stderr=io.StringIO(),
            )
    except SystemExit:
        raise AssertionError(problems.getvalue()) from None
    finally:
        connection.force_debug_cursor = False
        logging.config.dictConfig(settings.LOGGING)
    return stream.getvalue()


@pytest.fixture
def bulk_numbers():
    """Every shared test number (personnummer and samordningsnummer) and more of the 1890s."""
    shared = shared_numbers()
    return shared + [n for n in people_born_1890s(80) if n not in shared]


def test_a_verbose_bulk_issuance_logs_no_personnummer(
    people, published_micromerit, tmp_path, bulk_numbers
):
    output = issue_verbosely(people, published_micromerit, tmp_path, bulk_numbers, masked=True)
    # The log is verbose indeed: every SQL statement of the issuance is in it.
    assert "INSERT INTO" in output
    assert "micromerits_credential" in output
    for number in bulk_numbers:
        for written in every_format(number):
            assert written not in output, written


def test_even_unmasked_the_code_and_sql_carry_no_personnummer(
    people, published_micromerit, tmp_path, bulk_numbers
):
    """Without the filter too: recipients are stored encrypted, so SQL parameters hold no number."""
    output = issue_verbosely(people, published_micromerit, tmp_path, bulk_numbers, masked=False)
    assert "INSERT INTO" in output
    for number in bulk_numbers:
        for written in every_format(number):
            assert written not in output, written
