"""Benchmark: issue 10,000 recipients from one workbook through the command's code path.

Prints rows per second, total seconds and the process's peak memory, and the
rate of a plain ``bulk_create`` of the same credential rows for comparison.
Targets (issue 3): whole pipeline ≤ 30 s for 10,000 rows on the 2-core
machine, and ≥ 0.3 × the plain insert rate.

    .venv/bin/python bench/issue_bulk.py [--rows 10000]

Uses a fresh SQLite file unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, people_born_1890s, setup_django  # noqa: E402


def recipient_workbook(numbers: list[str], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Mottagare")
    sheet.append(
        ["Förnamn *", "Efternamn *", "Personnummer *", "E-post *", "Bedömningsdatum *", "Betyg"]
    )
    for n, number in enumerate(numbers):
        sheet.append(
            [f"Test{n}", "Testsson", number, f"person{n}@example.se", "2026-11-28", "Godkänd"]
        )
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    workdir = setup_django()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    from micromerits.models import Credential, IssuanceBatch, Micromerit, Organisation, Recipient
    from permissions.services import representative_add

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    micromerit = Micromerit.objects.get(title__startswith="Fasadmålning")
    issuer = Organisation.objects.get(orgnr="559900-1111")
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench-issuer")
    representative_add(user=user, organisation=issuer, role="issuer")

    numbers = people_born_1890s(args.rows)
    path = (workdir or Path(tempfile.gettempdir())) / "mottagare-bench.xlsx"
    recipient_workbook(numbers, path)

    before = Credential.objects.count()
    start = time.perf_counter()
    call_command(
        "issue_credentials",
        str(micromerit.pk),
        str(path),
        "--user",
        "bench-issuer",
        "--identity-check",
        "Legitimation kontrollerad",
        "--assessment",
        "Praktiskt prov",
        stdout=io.StringIO(),
    )
    pipeline = time.perf_counter() - start
    issued = Credential.objects.count() - before
    assert issued == args.rows, issued
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The same rows inserted plainly with bulk_create: new recipients (their
    # fields still encrypted by the model) and credentials, without reading the
    # file, checking rows, looking people up or the service's bookkeeping.
    template = (
        Credential.objects.filter(batch__micromerit=micromerit).select_related("version").first()
    )
    plain_numbers = people_born_1890s(args.rows * 2)[args.rows :]
    with transaction.atomic():
        batch = IssuanceBatch.objects.create(
            micromerit=micromerit,
            organisation=issuer,
            issued_by=user,
            source="command",
            size=args.rows,
        )
        start = time.perf_counter()
        recipients = Recipient.objects.bulk_create(
            [
                Recipient(
                    personnummer_index=f"plain-{number}",
                    personnummer=number,
                    first_name=f"Test{n}",
                    last_name="Testsson",
                    email=f"person{n}@example.se",
                )
                for n, number in enumerate(plain_numbers)
            ],
            batch_size=500,
        )
        rows = [
            Credential(
                micromerit=micromerit,
                version=template.version,
                recipient=recipient,
                issuer=issuer,
                issued_by=user,
                batch=batch,
                issued_at=template.issued_at,
                issued_on=template.issued_on,
                assessment_date=template.assessment_date,
                identity_check=template.identity_check,
                assessment=template.assessment,
                grade=template.grade,
                best_before=template.best_before,
            )
            for recipient in recipients
        ]
        Credential.objects.bulk_create(rows, batch_size=500)
        plain = time.perf_counter() - start

    from django.db import connection

    print(f"database: {connection.vendor}")
    print(f"rows: {args.rows}")
    print(f"pipeline total seconds: {pipeline:.2f}")
    print(f"pipeline rows per second: {args.rows / pipeline:.0f}")
    print(f"plain bulk_create (recipients + credentials) rows per second: {args.rows / plain:.0f}")
    print(f"pipeline / plain rate: {plain / pipeline:.2f}")
    print(f"peak memory (process max RSS): {peak_mib:.0f} MiB")
    _ = REPO


if __name__ == "__main__":
    main()
