"""Benchmark: the verification page's throughput under gunicorn, against a bare Django view.

Makes a throw-away database (SQLite, or the empty one ``DATABASE_URL`` names) with one
published mikromerit, a few issued credentials (people born in the 1890s) and a checkpoint,
starts gunicorn on loopback with the bench settings (``bench/settings.py``: production's
persistent database connections, the portal's URLs plus ``/bench/bare/``, a view that returns
"ok" through the same middleware), and drives the URLs with wrk (Debian's ``wrk``) in the same run: ``/bench/bare/``,
``/verifiera/<id>/`` (HTML) and ``/verifiera/<id>/json/``. Prints requests per second, the
page's share of the bare view's rate, and the 50th/95th/99th percentile latency.
Targets (issue 4): page ≥ 0.5 × the bare view, p95 ≤ 50 ms.

Twice: as configured, where an answer once worked out is kept for the credential's present
state (``public_verify.answer_cache``), and then on a server that keeps nothing
(``PORTAL_VERIFICATION_CACHE_SECONDS=0``), where every request works its answer out as a
credential's first scan does.

    apt-get install -y wrk
    .venv/bin/python bench/verify_page.py [--seconds 15] [--connections 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, gunicorn, people_born_1890s, setup_django  # noqa: E402

#: wrk prints these after its own summary (latencies in microseconds).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout, latency.max))
end
"""


def prepare(credentials: int) -> list[str]:
    """Issue ``credentials`` credentials and sign a checkpoint; return their public ids."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from micromerits import services
    from micromerits.excel import read_micromerit_workbook
    from micromerits.issuance import credentials_issue
    from micromerits.recipient_list import RecipientRow
    from permissions.models import Role
    from permissions.services import representative_add
    from public_verify.registry import checkpoint_make

    User = get_user_model()
    owner, _ = services.organisation_add(
        orgnr="802000-1239", name="Fasadbranschens Yrkesråd", kind="Branschorganisation"
    )
    issuer, _ = services.organisation_add(
        orgnr="559900-1111", name="Norrbyggs Måleri AB", kind="Arbetsgivare"
    )
    services.organisation_add(
        orgnr="559900-2226", name="Yrkesvalidering Mitt AB", kind="Valideringsaktör"
    )
    creator = User.objects.create_user("bench-creator")
    representative_add(user=creator, organisation=owner, role=Role.CREATOR)
    issuing = User.objects.create_user("bench-issuer")
    representative_add(user=issuing, organisation=issuer, role=Role.ISSUER)
    workbook = REPO.parent / "shared" / "data" / "micromerits" / "fasadmalning.xlsx"
    micromerit = services.micromerit_import(
        data=read_micromerit_workbook(workbook.read_bytes()), by=creator, publish=True
    )
    rows = [
        RecipientRow(
            first_name="Bench",
            last_name=f"Person{n}",
            personnummer=number,
            email=f"bench{n}@example.se",
            assessment_date=timezone.localdate() - timedelta(days=3),
            grade="Godkänd",
            best_before=None,
            comment="",
            identity_check="Legitimation kontrollerad",
            assessment="Praktiskt prov",
            row=n + 2,
        )
        for n, number in enumerate(people_born_1890s(credentials))
    ]
    issued = credentials_issue(
        micromerit=micromerit, organisation=issuer, rows=rows, by=issuing, source="command"
    )
    checkpoint_make()
    return [c.public_id for c in issued]


def load(url: str, *, seconds: int, connections: int, script: Path) -> dict[str, float]:
    """Drive ``url`` with wrk; return rate (requests/s) and latency percentiles (ms)."""
    result = subprocess.run(
        [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--script",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    requests, duration_us, p50, p95, p99, errors, worst = (int(v) for v in line.split()[1:])
    if errors:
        sys.exit(f"wrk saw {errors} errors on {url}:\n{result.stdout}")
    return {
        "rate": requests / (duration_us / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "max": worst / 1000,
        "requests": requests,
    }


def measure(base: str, urls: dict[str, str], *, args, script: Path) -> dict[str, dict]:
    """Drive each of ``urls`` (name → path) on ``base`` after a short warm-up; print and return the figures."""
    results = {}
    for name, path in urls.items():
        load(f"{base}{path}", seconds=2, connections=args.connections, script=script)
        results[name] = figures = load(
            f"{base}{path}", seconds=args.seconds, connections=args.connections, script=script
        )
        print(
            f"{name:>34}: {figures['rate']:8.1f} req/s  p50 {figures['p50']:6.1f} ms  "
            f"p95 {figures['p95']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
            f"({figures['requests']} requests)"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--credentials", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    from django.db import connection

    workdir = Path(setup_django() or tempfile.mkdtemp(prefix="mikromerit-bench-"))
    ids = prepare(args.credentials)
    if connection.vendor == "postgresql":
        # As a database in service is: its statistics current, and autovacuum not about to wake
        # up for the rows just written in the middle of a measurement.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    page = f"/verifiera/{ids[len(ids) // 2]}/"
    script = workdir / "report.lua"
    script.write_text(WRK_SCRIPT)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings")
    print(
        f"gunicorn {args.workers} workers on loopback, wrk 1 thread {args.connections} "
        f"connections, {args.seconds} s per URL, {connection.vendor}, {len(ids)} credentials"
    )

    # As configured: an answer, once worked out, is kept for the credential's present state.
    with gunicorn(env=env, log=workdir / "gunicorn.log", workers=args.workers) as base:
        with urllib.request.urlopen(f"{base}{page}") as response:  # noqa: S310 - loopback
            if ids[len(ids) // 2] not in response.read().decode():
                sys.exit("the verification page does not show the credential")
        results = measure(
            base,
            {
                "bare view": "/bench/bare/",
                "verification page": page,
                "verification JSON": f"{page}json/",
                "bare view (again)": "/bench/bare/",
            },
            args=args,
            script=script,
        )
    # Nothing kept: every request works its answer out, as a credential's first scan does.
    env["PORTAL_VERIFICATION_CACHE_SECONDS"] = "0"
    with gunicorn(env=env, log=workdir / "gunicorn.log", workers=args.workers) as base:
        results |= measure(
            base,
            {
                "verification page, worked out": page,
                "verification JSON, worked out": f"{page}json/",
            },
            args=args,
            script=script,
        )

    bare = (results["bare view"]["rate"] + results["bare view (again)"]["rate"]) / 2
    for name, figures in results.items():
        if not name.startswith("verification"):
            continue
        share, p95 = figures["rate"] / bare, figures["p95"]
        if name.endswith("worked out"):
            verdict = "a first scan, for comparison"
        else:
            met = share >= 0.5 and p95 <= 50
            verdict = "targets ≥ 0.5 and ≤ 50 ms " + ("met" if met else "MISSED")
        print(f"{name}: {share:.2f} × the bare view, p95 {p95:.1f} ms ({verdict})")


if __name__ == "__main__":
    main()
