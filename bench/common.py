"""Helpers the benchmarks share: a throw-away database and test people born 1890–1899."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def setup_django(database_url: str | None = None) -> Path | None:
    """Configure Django on ``DATABASE_URL`` or, by default, a fresh SQLite file; migrate it."""
    sys.path.insert(0, str(REPO))
    workdir = None
    if database_url is None and "DATABASE_URL" not in os.environ:
        workdir = Path(tempfile.mkdtemp(prefix="mikromerit-bench-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        os.environ.setdefault("PORTAL_VAR_DIR", str(workdir))
    elif database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return workdir


def luhn_check_digit(nine_digits: str) -> int:
    total = 0
    for position, char in enumerate(nine_digits):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def people_born_1890s(count: int) -> list[str]:
    """``count`` distinct 12-digit personnummer of people born 1890–1899, serial 980–999.

    No living person has one (see shared/data/testpersonnummer.README.md).
    """
    numbers = []
    day = date(1890, 1, 1)
    while len(numbers) < count:
        for serial in range(980, 1000):
            short = f"{day:%y%m%d}{serial}"
            numbers.append(f"{day:%Y%m%d}{serial}{luhn_check_digit(short)}")
            if len(numbers) == count:
                break
        day += timedelta(days=1)
        if day.year > 1899:
            raise ValueError("not that many 1890s numbers")
    return numbers
