"""Benchmark: how long a PDF certificate takes to render, and to serve once cached.

Prints the median (and min/max) of ``certificate_render`` (a full xhtml2pdf
render: template, QR code, embedded DejaVu Sans subset) and of
``certificate_pdf`` on a certificate already in the cache (read from the
default storage and decrypted). Target (issue 5): a render ≤ 300 ms median on
the 2-core machine.

    .venv/bin/python bench/pdf.py [--runs 30]

Uses a fresh SQLite file and media folder unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import people_born_1890s, setup_django  # noqa: E402


def timed(function, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each of ``runs`` calls of ``function``.

    CPU time is printed too because the machine is shared: when other
    processes hold the cores, wall time grows and CPU time does not.
    """
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def report(label: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    print(
        f"{label}: median {statistics.median(wall):.1f} ms wall "
        f"(min {min(wall):.1f}, max {max(wall):.1f}), "
        f"median {statistics.median(cpu):.1f} ms CPU, n={len(wall)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    workdir = setup_django()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.MEDIA_ROOT = Path(workdir or tempfile.mkdtemp()) / "media"

    from micromerits.certificate import certificate_pdf, certificate_render
    from micromerits.issuance import credentials_issue
    from micromerits.models import Micromerit, Organisation
    from micromerits.recipient_list import RecipientRow
    from permissions.services import representative_add

    call_command("load_demo", stdout=io.StringIO())
    micromerit = Micromerit.objects.get(title__startswith="Fasadmålning")
    issuer = Organisation.objects.get(orgnr="559900-1111")
    user, _ = get_user_model().objects.get_or_create(username="bench-pdf-issuer")
    representative_add(user=user, organisation=issuer, role="issuer")
    [number] = people_born_1890s(1)
    [credential] = credentials_issue(
        micromerit=micromerit,
        organisation=issuer,
        by=user,
        source="command",
        rows=[
            RecipientRow(
                first_name="Åsa",
                last_name="Öhman",
                personnummer=number,
                email="asa@example.se",
                assessment_date=date(2026, 11, 28),
                grade="Godkänd",
                best_before=None,
                comment="",
                identity_check="Körkort kontrollerat på plats",
                assessment="Praktiskt prov på arbetsplats",
                row=2,
            )
        ],
    )

    certificate_render(credential)  # warm up: imports, template loading
    renders = timed(lambda: certificate_render(credential), args.runs)
    size = len(certificate_pdf(credential))  # fills the cache
    cached = timed(lambda: certificate_pdf(credential), args.runs)

    report("render", renders)
    report("cached", cached)
    print(f"PDF size: {size / 1024:.0f} KiB; target: render median ≤ 300 ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
