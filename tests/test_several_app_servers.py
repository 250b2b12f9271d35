"""Several app servers on one PostgreSQL database, issuing at the same time.

Production runs any number of gunicorn app servers against one database
(docs/deployment.md). This test starts two real gunicorn processes on the test
database, with the same environment and key files, and issues through both at
once; then it checks that nothing was lost or duplicated, that the registry is
gap-free (leaf indexes 0..n-1, one leaf per credential) and that the
checkpoints made while issuing are consistent with each other.

PostgreSQL only: SQLite is the embedded single-machine database.
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.common import people_born_1890s
from micromerits.models import Credential, Recipient
from public_verify import merkle, registry
from public_verify.models import Checkpoint, RegistryHead, RegistryLeaf
from tests.conftest import REPO_DIR

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="several app servers share one PostgreSQL database (run with DATABASE_URL=postgres://…)",
    ),
    # The servers are other processes: they see only committed data.
    pytest.mark.django_db(transaction=True),
]

#: Issuances sent to each server at once, and people in each.
BATCHES_PER_SERVER = 2
PEOPLE_PER_BATCH = 25


def database_url() -> str:
    """The URL of the test database the test process uses (pytest-django's test_<name>)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def server_environment() -> dict[str, str]:
    """The same settings, database and key files for every server (and command) we start."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.test",
        DATABASE_URL=database_url(),
        PORTAL_VAR_DIR=str(settings.VAR_DIR),
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll ``url`` until it answers (at most 60 s); fail with the server's log if it dies."""
    for _attempt in range(240):
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"gunicorn did not answer {url}:\n{log.read_text()[-3000:]}")


@contextmanager
def app_servers(count: int, tmp_path: Path) -> Iterator[list[str]]:
    """Start ``count`` gunicorn app servers (2 workers each) on loopback; yield their base URLs."""
    processes, urls, logs = [], [], []
    try:
        for number in range(count):
            port = free_port()
            log = tmp_path / f"gunicorn-{number}.log"
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "cms.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "2",
                        "--timeout",
                        "120",
                        "--error-logfile",
                        str(log),
                    ],
                    cwd=REPO_DIR,
                    env=server_environment(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process, log in zip(urls, processes, logs, strict=True):
            wait_until_serving(f"{url}/admin/login/", process, log)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        connection.close()


def recipient_lists(tmp_path: Path, count: int) -> list[tuple[Path, list[str]]]:
    """``count`` CSV recipient lists of distinct people born in the 1890s."""
    numbers = people_born_1890s(count * PEOPLE_PER_BATCH)
    lists = []
    for number in range(count):
        people = numbers[number * PEOPLE_PER_BATCH : (number + 1) * PEOPLE_PER_BATCH]
        path = tmp_path / f"mottagare-{number}.csv"
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, delimiter=";")
            writer.writerow(["Förnamn", "Efternamn", "Personnummer", "E-post", "Bedömningsdatum"])
            for row, personnummer in enumerate(people):
                writer.writerow(
                    [f"Person{number}", f"Nummer{row}", personnummer, "p@example.se", "2026-11-02"]
                )
        lists.append((path, people))
    return lists


def issue_by_command(micromerit, issuer, path: Path) -> list[str]:
    """``manage.py issue_credentials`` in a process of its own; the public ids it printed."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "issue_credentials",
            str(micromerit.pk),
            str(path),
            "--user",
            issuer.username,
            "--identity-check",
            "Legitimation kontrollerad på plats",
            "--assessment",
            "Praktiskt prov",
        ],
        cwd=REPO_DIR,
        env=server_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return [
        line.split()[1] for line in result.stdout.splitlines() if line.startswith("credential ")
    ]


def checkpoints_are_consistent() -> list[Checkpoint]:
    """Every stored checkpoint's root is the log's root at its size, and each extends the one before."""
    checkpoints = [c for c in Checkpoint.objects.order_by("size") if c.size > 0]
    for checkpoint in checkpoints:
        assert registry.root(checkpoint.size).hex() == checkpoint.root
    for older, newer in zip(checkpoints, checkpoints[1:], strict=False):
        merkle.verify_consistency(
            older.size,
            newer.size,
            registry.consistency_proof(older.size, newer.size),
            bytes.fromhex(older.root),
            bytes.fromhex(newer.root),
        )
    return checkpoints


def test_two_app_servers_issuing_at_once_lose_nothing_and_keep_the_registry_whole(
    published_micromerit, people, tmp_path
):
    issuer = people["issuer"]
    lists = recipient_lists(tmp_path, 2 * BATCHES_PER_SERVER)
    with app_servers(2, tmp_path) as servers:
        assert len(servers) == 2
        with ThreadPoolExecutor(max_workers=len(lists)) as pool:
            futures = [
                pool.submit(issue_by_command, published_micromerit, issuer, path)
                for path, _people in lists
            ]
            # Checkpoints are made while the issuers append (as the periodic task would).
            checkpoints_made = 0
            while not all(f.done() for f in futures) and checkpoints_made < 200:
                registry.checkpoint_make()
                checkpoints_made += 1
                time.sleep(0.1)
            printed = [future.result() for future in futures]
        connection.close()
        registry.checkpoint_make()

    expected = len(lists) * PEOPLE_PER_BATCH
    public_ids = [public_id for batch in printed for public_id in batch]
    assert len(public_ids) == expected
    assert len(set(public_ids)) == expected, "a credential was reported twice"
    stored = set(Credential.objects.values_list("public_id", flat=True))
    assert stored == set(public_ids), "credentials lost or added"
    assert Recipient.objects.count() == expected

    leaves = list(RegistryLeaf.objects.order_by("index").values_list("index", "credential_id"))
    assert [index for index, _ in leaves] == list(range(expected)), "the registry has a gap"
    assert {credential for _, credential in leaves} == set(
        Credential.objects.values_list("pk", flat=True)
    )
    assert RegistryHead.objects.get().size == expected

    checkpoints = checkpoints_are_consistent()
    assert checkpoints[-1].size == expected
