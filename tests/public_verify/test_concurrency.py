"""Several processes issuing at once leave a gap-free log with mutually consistent checkpoints.

Two waves of four ``manage.py issue_credentials`` processes run at the same time on one
PostgreSQL test database; the test process signs checkpoints while they run and
``manage.py registry_checkpoint`` signs one after each wave. Afterwards
the log holds leaves 0..n-1, exactly one per credential; every checkpoint's root is the log's
root at its size and each is consistent with every later one (RFC 9162 consistency proofs);
``registry_audit`` passes; and no personal data of any recipient is in the leaves' documents,
the checkpoints or the anchors.

PostgreSQL only: the append lock is a row lock there (SQLite serialises whole transactions,
which is tested by the single-process tests).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench.common import people_born_1890s
from micromerits.models import Credential
from public_verify import merkle, registry
from public_verify.models import Anchor, Checkpoint, RegistryHead, RegistryLeaf
from tests.conftest import REPO_DIR

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="concurrent issuing is tested on PostgreSQL (run with DATABASE_URL=postgres://…)",
    ),
    # The commands are other processes: they see only committed data.
    pytest.mark.django_db(transaction=True),
]

PROCESSES = 4
#: Rounds of concurrent issuers, with a checkpoint by the command after each.
WAVES = 2
PEOPLE_PER_PROCESS = 10


def environment() -> dict[str, str]:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.test",
        DATABASE_URL=f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        PORTAL_VAR_DIR=str(settings.VAR_DIR),
    )
    return env


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def recipient_list(path: Path, numbers: list[str], batch: int) -> Path:
    assessed = (timezone.localdate() - timedelta(days=3)).isoformat()
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(["Förnamn", "Efternamn", "Personnummer", "E-post", "Bedömningsdatum"])
        for row, number in enumerate(numbers):
            writer.writerow(
                [
                    f"Greta{batch}",
                    f"Nyberg{row}",
                    number,
                    f"greta{batch}.{row}@example.se",
                    assessed,
                ]
            )
    return path


def test_four_processes_issuing_at_once_leave_a_gap_free_log_with_consistent_checkpoints(
    published_micromerit, people, tmp_path
):
    numbers = people_born_1890s(WAVES * PROCESSES * PEOPLE_PER_PROCESS)
    chunks = [
        numbers[n * PEOPLE_PER_PROCESS : (n + 1) * PEOPLE_PER_PROCESS]
        for n in range(WAVES * PROCESSES)
    ]
    lists = [recipient_list(tmp_path / f"lista-{n}.csv", c, n) for n, c in enumerate(chunks)]

    def issue(path: Path) -> subprocess.CompletedProcess:
        return manage(
            "issue_credentials",
            str(published_micromerit.pk),
            str(path),
            "--user",
            people["issuer"].username,
            "--identity-check",
            "Pass kontrollerat på plats",
            "--assessment",
            "Praktiskt prov",
        )

    results, checkpoint_runs = [], []
    for wave in range(WAVES):
        with ThreadPoolExecutor(max_workers=PROCESSES) as pool:
            issuing = [
                pool.submit(issue, path)
                for path in lists[wave * PROCESSES : (wave + 1) * PROCESSES]
            ]
            # Sign the log (in this process) while the issuers run.
            while not all(job.done() for job in issuing):
                registry.checkpoint_make()
                time.sleep(0.05)
            results.extend(job.result() for job in issuing)
        # And between the waves, by the command.
        checkpoint_runs.append(manage("registry_checkpoint"))
    for result in results + checkpoint_runs:
        assert result.returncode == 0, result.stderr
    final = checkpoint_runs[-1]

    issued_ids = [
        line.split()[1]
        for result in results
        for line in result.stdout.splitlines()
        if line.startswith("credential ")
    ]
    total = WAVES * PROCESSES * PEOPLE_PER_PROCESS
    assert len(issued_ids) == len(set(issued_ids)) == total

    # Gap-free: leaves 0..n-1, one per credential, and the head agrees.
    assert RegistryHead.objects.get(pk=1).size == total
    assert list(RegistryLeaf.objects.order_by("index").values_list("index", flat=True)) == list(
        range(total)
    )
    assert (
        set(RegistryLeaf.objects.values_list("credential__public_id", flat=True))
        == set(issued_ids)
        == set(Credential.objects.values_list("public_id", flat=True))
    )

    # Every checkpoint is the log's state at its size, and consistent with every later one.
    stored = [c for c in Checkpoint.objects.order_by("size") if c.size > 0]
    assert len(stored) >= WAVES
    assert stored[-1].size == total
    assert final.stdout.strip() == f"checkpoint {total} {registry.root(total).hex()}"
    for checkpoint in stored:
        assert registry.root(checkpoint.size).hex() == checkpoint.root
    for i, older in enumerate(stored):
        for newer in stored[i + 1 :]:
            merkle.verify_consistency(
                older.size,
                newer.size,
                registry.consistency_proof(older.size, newer.size),
                bytes.fromhex(older.root),
                bytes.fromhex(newer.root),
            )

    audit = manage("registry_audit")
    assert audit.returncode == 0, audit.stderr
    assert audit.stdout.startswith(f"audited {total} leaves, {Checkpoint.objects.count()} ")

    # No personal data of any recipient in the log, the checkpoints or the anchors.
    public = "\n".join(
        [*RegistryLeaf.objects.values_list("document", flat=True)]
        + [c.note + c.root for c in Checkpoint.objects.all()]
        + [a.raw_tx + a.txid for a in Anchor.objects.all()]
    )
    for batch in range(WAVES * PROCESSES):
        assert f"Greta{batch}" not in public
        assert f"greta{batch}." not in public
    assert "Nyberg" not in public
    for number in numbers:
        assert number not in public
        assert number[2:] not in public
