"""The command line, run as a separate process: output lines, exit codes, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys

import openpyxl
import pytest

from micromerits.models import Micromerit
from tests.conftest import REPO_DIR, workbook

pytestmark = pytest.mark.django_db(transaction=True)


def manage(*args: str) -> subprocess.CompletedProcess:
    """Run manage.py against the test database (the same DATABASE settings the tests use)."""
    from django.db import connection

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{settings['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
            f"{settings['PORT']}/{settings['NAME']}"
        )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def file_database(settings, django_db_setup):
    """Commands run in another process: SQLite must be a file, not shared memory."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a file-backed SQLite test database (see cms.settings.test)")


def test_whole_flow_from_the_command_line(file_database, tmp_path):
    result = manage(
        "add_organisation",
        "802000-1239",
        "Fasadbranschens Yrkesråd",
        "--kind",
        "Branschorganisation",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "organisation 802000-1239 created"
    assert manage("add_organisation", "8020001239", "Fasadbranschens Yrkesråd").stdout.strip() == (
        "organisation 802000-1239 updated"
    )
    for orgnr, name in (
        ("559900-1111", "Norrbyggs Måleri AB"),
        ("559900-2226", "Yrkesvalidering Mitt AB"),
    ):
        assert manage("add_organisation", orgnr, name).returncode == 0

    result = manage(
        "add_representative",
        "anna",
        "802000-1239",
        "--role",
        "creator",
        "--email",
        "anna@example.se",
    )
    assert result.returncode == 0, result.stderr

    result = manage(
        "import_micromerit", str(workbook("fasadmalning.xlsx")), "--user", "anna", "--publish"
    )
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.strip().splitlines()[0]
    assert first_line.startswith("micromerit ")
    pk = int(first_line.split()[1])
    assert Micromerit.objects.get(pk=pk).live

    exported = tmp_path / "export.xlsx"
    assert manage("export_micromerit", str(pk), str(exported)).returncode == 0
    assert openpyxl.load_workbook(exported).sheetnames[:3] == [
        "Mikromerit",
        "Läranderesultat",
        "Utfärdare",
    ]

    template = tmp_path / "mall.xlsx"
    assert manage("micromerit_template", str(template)).returncode == 0
    assert template.stat().st_size > 0


def test_bad_input_exits_1_without_traceback(file_database, tmp_path):
    bad = tmp_path / "not-a-workbook.xlsx"
    bad.write_bytes(b"this is not a workbook")
    cases = [
        ("add_organisation", "802000-1238", "Fel kontrollsiffra"),
        ("add_representative", "nobody", "802000-1239", "--role", "creator"),
        ("import_micromerit", str(bad), "--user", "nobody"),
        ("export_micromerit", "424242", str(tmp_path / "x.xlsx")),
    ]
    for args in cases:
        result = manage(*args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.strip()


def test_wrong_usage_exits_2(file_database):
    result = manage("add_representative", "anna", "802000-1239", "--role", "king")
    assert result.returncode == 2
    assert manage("import_micromerit").returncode == 2


def test_broken_workbook_from_the_command_line_names_every_problem_and_saves_nothing(
    file_database, tmp_path
):
    manage("add_organisation", "802000-1239", "Fasadbranschens Yrkesråd")
    manage("add_representative", "anna", "802000-1239", "--role", "creator")
    book = openpyxl.load_workbook(workbook("fasadmalning.xlsx"))
    sheet = book["Mikromerit"]
    for row in sheet.iter_rows(min_row=2):
        label = str(row[0].value)
        if label.startswith("SeQF"):
            row[1].value = 9
        if label.startswith("Omfattning"):
            row[1].value = -5
    broken = tmp_path / "broken.xlsx"
    book.save(broken)

    result = manage("import_micromerit", str(broken), "--user", "anna")
    assert result.returncode == 1
    assert "SeQF" in result.stderr
    assert "Omfattning" in result.stderr or "timmar" in result.stderr
    assert not Micromerit.objects.exists()
