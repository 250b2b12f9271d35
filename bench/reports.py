"""Benchmark: the statistics reports, the dashboard panel and the command with 100,000 credentials.

Loads the demo, issues one real credential per (mikromerit, issuer) through the
service, then inserts the rest with ``bulk_create`` (20,000 recipients born
1890–1899, credentials spread over 24 months, both issuers of Fasadmålning and
the other demo mikromeriter). Then times, through the Django test client with
the real middleware (second factor passed as tests do), every report view in
both perspectives (the owner of Fasadmålning, and its busiest issuer), an xlsx export, the admin home page with the dashboard
panel, and ``manage.py statistics`` for the owner. Prints the median of
several runs and the query count of each. Target (issue 7): each under a second.

    .venv/bin/python bench/reports.py [--credentials 100000]

Uses a fresh SQLite file unless DATABASE_URL is set; on a database that already
holds enough credentials (a second run on the same DATABASE_URL) it only measures.
"""

from __future__ import annotations

import argparse
import io
import statistics as stats
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import people_born_1890s, setup_django  # noqa: E402

PEOPLE = 20_000
RUNS = 5


def populate(total: int) -> None:
    from django.utils import timezone

    from micromerits import crypto
    from micromerits.issuance import credentials_issue
    from micromerits.models import Credential, IssuingRight, Micromerit, Recipient
    from micromerits.recipient_list import RecipientRow
    from permissions.models import Representative, Role

    numbers = people_born_1890s(PEOPLE)
    today = timezone.localdate()
    # One real issuance per (mikromerit, issuer): versions and batches as the service makes them.
    templates = []
    for number_index, right in enumerate(
        IssuingRight.objects.active().filter(micromerit__live=True).select_related("micromerit")
    ):
        issuer = Representative.objects.filter(
            organisation=right.organisation, role=Role.ISSUER
        ).first()
        row = RecipientRow(
            first_name="Bench",
            last_name="Testsson",
            personnummer=numbers[number_index],
            email="bench@example.se",
            assessment_date=today - timedelta(days=1),
            grade=(right.micromerit.grades or [""])[0],
            best_before=None,
            comment="",
            identity_check="Legitimation kontrollerad",
            assessment="Praktiskt prov",
            row=2,
        )
        [credential] = credentials_issue(
            micromerit=right.micromerit,
            organisation=right.organisation,
            rows=[row],
            by=issuer.user,
            source="command",
        )
        templates.append(credential)
    keyring = crypto.keyring()
    recipients = Recipient.objects.bulk_create(
        [
            Recipient(
                personnummer_index=keyring.blind_index(number),
                personnummer=number,
                first_name=f"Test{n}",
                last_name="Testsson",
                email=f"person{n}@example.se",
            )
            for n, number in enumerate(numbers[len(templates) :])
        ],
        batch_size=1000,
    )
    if recipients[0].pk is None:
        recipients = list(Recipient.objects.order_by("pk")[len(templates) :])
    rows = []
    for n in range(total - len(templates)):
        template = templates[n % len(templates)]
        issued_on = today - timedelta(days=(n * 7) % 730)
        rows.append(
            Credential(
                micromerit_id=template.micromerit_id,
                version_id=template.version_id,
                recipient=recipients[n % len(recipients)],
                issuer_id=template.issuer_id,
                issued_by_id=template.issued_by_id,
                batch_id=template.batch_id,
                issued_at=template.issued_at - timedelta(days=(n * 7) % 730),
                issued_on=issued_on,
                assessment_date=issued_on,
                identity_check=template.identity_check,
                assessment=template.assessment,
                grade=template.grade,
                best_before=issued_on + timedelta(days=365 + n % 400),
            )
        )
        if len(rows) == 5000:
            Credential.objects.bulk_create(rows)
            rows = []
    Credential.objects.bulk_create(rows)
    assert Micromerit.objects.filter(live=True).count() >= 1


def timed(function, runs: int = RUNS) -> tuple[float, int]:
    """Median seconds of ``runs`` calls, and the number of queries of the last."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm-up: caches, templates
    durations = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            function()
            durations.append(time.perf_counter() - start)
    return stats.median(durations), len(queries)


def admin_client(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=100_000)
    args = parser.parse_args()
    workdir = setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    from micromerits.models import Credential, Organisation
    from micromerits.statistics import Dimension, Perspective
    from permissions.models import Representative, Role

    call_command("load_demo", stdout=io.StringIO())
    start = time.perf_counter()
    # Run again on the same DATABASE_URL, it measures without inserting anew.
    if Credential.objects.count() < args.credentials:
        populate(args.credentials)
    print(f"database: {connection.vendor}")
    print(
        f"credentials: {Credential.objects.count()} (inserted in {time.perf_counter() - start:.1f} s)"
    )

    owner = Organisation.objects.get(orgnr="802000-1239")
    user = Representative.objects.filter(organisation=owner, role=Role.ADMIN).first().user
    client = admin_client(user)
    of_owner = Credential.objects.filter(micromerit__owner=owner).count()
    print(f"credentials of the owner's mikromeriter ({owner.name}): {of_owner}")

    def get(url, params=None, viewer=None):
        response = (viewer or client).get(url, params or {})
        assert response.status_code == 200, (url, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        return response

    # The busiest issuer of the demo: Fasadmålning and its own mikromerit.
    issuer = Organisation.objects.get(orgnr="559900-1111")
    issuer_client = admin_client(
        Representative.objects.filter(organisation=issuer, role=Role.ADMIN).first().user
    )
    by_issuer = Credential.objects.filter(issuer=issuer).count()
    print(f"credentials issued by {issuer.name}: {by_issuer}")

    figures = []
    for perspective, who, viewer in (
        (Perspective.OWNER, "owner", client),
        (Perspective.ISSUER, "issuer", issuer_client),
    ):
        for dimension in Dimension.values:
            url = reverse(f"statistics:{dimension}")
            seconds, queries = timed(
                lambda url=url, p=perspective, viewer=viewer: get(url, {"perspective": p}, viewer)
            )
            figures.append((f"report {who}/{dimension}", seconds, queries))
    url = reverse("statistics:month")
    for export in ("xlsx", "csv"):
        seconds, queries = timed(lambda export=export: get(url, {"export": export}))
        figures.append((f"report month export {export}", seconds, queries))
    seconds, queries = timed(lambda: get(url, {"issued_on_from": "2026-01-01", "seqf_level": "4"}))
    figures.append(("report month, filtered (period + level)", seconds, queries))
    seconds, queries = timed(lambda: get(reverse("wagtailadmin_home")))
    figures.append(("admin home with dashboard panel", seconds, queries))
    out = Path(workdir or tempfile.gettempdir()) / "statistik.xlsx"
    seconds, queries = timed(
        lambda: call_command("statistics", owner.orgnr, "--out", str(out), stdout=io.StringIO()),
        runs=3,
    )
    figures.append((f"manage.py statistics {owner.orgnr} (10 sheets)", seconds, queries))
    seconds, queries = timed(
        lambda: call_command("statistics", issuer.orgnr, "--out", str(out), stdout=io.StringIO()),
        runs=3,
    )
    figures.append((f"manage.py statistics {issuer.orgnr} (10 sheets)", seconds, queries))

    width = max(len(name) for name, _, _ in figures)
    print(f"{'what':<{width}}  median ms  queries")
    for name, seconds, queries in figures:
        print(f"{name:<{width}}  {seconds * 1000:9.0f}  {queries:7d}")
    slowest = max(seconds for _, seconds, _ in figures)
    print(f"slowest: {slowest * 1000:.0f} ms (target < 1000 ms): {'OK' if slowest < 1 else 'OVER'}")


if __name__ == "__main__":
    main()
