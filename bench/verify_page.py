"""Benchmark: the verification page's throughput under gunicorn, against a bare Django view.

Makes a throw-away SQLite database with one published mikromerit and a few issued credentials
(people born in the 1890s) and a checkpoint, starts gunicorn on loopback with the bench settings
(``bench/settings.py``: the portal's URLs plus ``/bench/bare/``, a view that returns "ok"
through the same middleware), and drives both URLs with wrk (Debian's ``wrk``) in the same run:
``/verifiera/<id>/`` (HTML), ``/verifiera/<id>/json/`` and ``/bench/bare/``. Prints requests per
second, the page's share of the bare view's rate, and the 50th/95th/99th percentile latency.
Targets (issue 4): page ≥ 0.5 × the bare view, p95 ≤ 50 ms.

    apt-get install -y wrk
    .venv/bin/python bench/verify_page.py [--seconds 15] [--connections 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, people_born_1890s, setup_django  # noqa: E402

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _attempt in range(240):
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    sys.exit(f"gunicorn did not answer {url}")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--credentials", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    workdir = setup_django()
    ids = prepare(args.credentials)
    public_id = ids[len(ids) // 2]

    port = free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "cms.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    script = Path(workdir or tempfile.gettempdir()) / "report.lua"
    script.write_text(WRK_SCRIPT)
    try:
        wait_for(f"{base}/bench/bare/", server)
        page = f"{base}/verifiera/{public_id}/"
        wait_for(page, server)
        with urllib.request.urlopen(page) as response:  # noqa: S310 - loopback
            body = response.read().decode()
        if public_id not in body:
            sys.exit("the verification page does not show the credential")
        print(
            f"gunicorn {args.workers} workers on loopback, wrk 1 thread {args.connections} "
            f"connections, {args.seconds} s per URL, SQLite, {len(ids)} credentials"
        )
        results = {}
        for name, url in (
            ("bare view", f"{base}/bench/bare/"),
            ("verification page", page),
            ("verification JSON", f"{page}json/"),
            ("bare view (again)", f"{base}/bench/bare/"),
        ):
            load(url, seconds=2, connections=args.connections, script=script)  # warm-up
            results[name] = figures = load(
                url, seconds=args.seconds, connections=args.connections, script=script
            )
            print(
                f"{name:>18}: {figures['rate']:8.1f} req/s  p50 {figures['p50']:6.1f} ms  "
                f"p95 {figures['p95']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
                f"({figures['requests']} requests)"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)

    bare = (results["bare view"]["rate"] + results["bare view (again)"]["rate"]) / 2
    for name in ("verification page", "verification JSON"):
        share = results[name]["rate"] / bare
        p95 = results[name]["p95"]
        verdict = "met" if share >= 0.5 and p95 <= 50 else "MISSED"
        print(
            f"{name}: {share:.2f} × the bare view (target ≥ 0.5), p95 {p95:.1f} ms "
            f"(target ≤ 50 ms): {verdict}"
        )


if __name__ == "__main__":
    main()
