"""Several app servers on one PostgreSQL database, issuing at the same time.

Production runs any number of gunicorn app servers against one database
(docs/deployment.md). This test starts two real gunicorn processes on the test
database, with the same environment and key files, and issues through both at
once — representatives sign in over HTTP (password and TOTP code), upload a
recipient list on one server and confirm it on the other, all at the same
time — then it checks that nothing was lost or duplicated, that the registry is
gap-free (leaf indexes 0..n-1, one leaf per credential) and that the
checkpoints made while issuing are consistent with each other.

PostgreSQL only: SQLite is the embedded single-machine database.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.common import gunicorn, people_born_1890s
from micromerits import crypto
from micromerits.models import Credential, IssuanceBatch, Recipient
from permissions.models import Role
from permissions.services import representative_add
from public_verify import merkle, registry
from public_verify.models import Checkpoint, RegistryHead, RegistryLeaf

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
BATCHES_PER_SERVER = 3
PEOPLE_PER_BATCH = 25
PASSWORD = "correct-horse-battery"


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


@contextmanager
def app_servers(count: int, tmp_path: Path) -> Iterator[list[str]]:
    """Start ``count`` gunicorn app servers (2 workers each) on loopback; yield their base URLs."""
    try:
        with ExitStack() as servers:
            yield [
                servers.enter_context(
                    gunicorn(
                        env=server_environment(),
                        log=tmp_path / f"gunicorn-{number}.log",
                        ready_path="/admin/login/",
                    )
                )
                for number in range(count)
            ]
    finally:
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


def form_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def totp_code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def admin_session(server: str, user) -> httpx.Client:
    """Sign in over HTTP as a person does: password, then the TOTP code."""
    http = httpx.Client(base_url=server, timeout=120, follow_redirects=True)
    page = http.get("/admin/login/")
    page = http.post(
        "/admin/login/",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": form_token(page.text),
        },
    )
    assert "/admin/tvastegs/" in str(page.url), f"no second-factor step for {user}: {page.url}"
    page = http.post(
        str(page.url), data={"code": totp_code(user), "csrfmiddlewaretoken": form_token(page.text)}
    )
    assert page.status_code == 200 and str(page.url).endswith("/admin/"), page.url
    return http


def issue_through(upload_server: str, confirm_server: str, micromerit, issuer, path: Path):
    """Upload a recipient list on one app server and confirm it on the other.

    The pending list lives in the session, which is in the database: any app
    server may show the preview and take the confirmation.
    """
    try:
        _issue_through(upload_server, confirm_server, micromerit, issuer, path)
    finally:
        connection.close()  # this thread's, opened to read the TOTP device


def _issue_through(upload_server: str, confirm_server: str, micromerit, issuer, path: Path):
    http = admin_session(upload_server, issuer)
    upload_url = f"/admin/micromerits/issue/{micromerit.pk}/upload/"
    form = http.get(upload_url)
    assert form.status_code == 200, form.text[:500]
    preview = http.post(
        upload_url,
        data={
            "identity_check": "Legitimation kontrollerad på plats",
            "assessment": "Praktiskt prov",
            "csrfmiddlewaretoken": form_token(form.text),
        },
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )
    assert 'id="preview-ok"' in preview.text, preview.text[:2000]
    # The same session, the other app server.
    http.base_url = confirm_server
    preview_path = preview.url.path
    confirm_form = http.get(preview_path)
    done = http.post(
        preview_path,
        data={"confirm": "1", "csrfmiddlewaretoken": form_token(confirm_form.text)},
    )
    assert done.status_code == 200, done.text[:2000]
    http.close()


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


@pytest.fixture
def issuers(organisations):
    """One representative of the issuer organisation per concurrent issuance, each with an app.

    A TOTP code is accepted once: separate people sign in at the same moment.
    """
    people = []
    for number in range(2 * BATCHES_PER_SERVER):
        user = get_user_model().objects.create_user(
            username=f"utfardare-{number}", password=PASSWORD
        )
        representative_add(user=user, organisation=organisations["issuer"], role=Role.ISSUER)
        TOTPDevice.objects.create(user=user, name="Autentiseringsapp", confirmed=True)
        people.append(user)
    return people


def test_two_app_servers_issuing_at_once_lose_nothing_and_keep_the_registry_whole(
    published_micromerit, issuers, tmp_path
):
    lists = recipient_lists(tmp_path, len(issuers))
    with app_servers(2, tmp_path) as servers:
        with ThreadPoolExecutor(max_workers=len(lists)) as pool:
            futures = [
                pool.submit(
                    issue_through,
                    servers[number % 2],
                    servers[(number + 1) % 2],
                    published_micromerit,
                    issuer,
                    path,
                )
                for number, (issuer, (path, _people)) in enumerate(zip(issuers, lists, strict=True))
            ]
            # Checkpoints are made while the issuers append (as the periodic task would).
            checkpoints_made = 0
            while not all(f.done() for f in futures) and checkpoints_made < 600:
                registry.checkpoint_make()
                checkpoints_made += 1
                time.sleep(0.1)
            for future in futures:
                future.result()
        connection.close()
        registry.checkpoint_make()

    expected = len(lists) * PEOPLE_PER_BATCH
    issued = list(Credential.objects.values_list("public_id", "recipient__personnummer_index"))
    assert len(issued) == expected, "credentials lost or duplicated"
    assert len({public_id for public_id, _ in issued}) == expected
    everyone = [number for _path, people in lists for number in people]
    assert {index for _, index in issued} == {crypto.keyring().blind_index(n) for n in everyone}
    assert Recipient.objects.count() == expected
    assert IssuanceBatch.objects.count() == len(lists)

    leaves = list(RegistryLeaf.objects.order_by("index").values_list("index", "credential_id"))
    assert [index for index, _ in leaves] == list(range(expected)), "the registry has a gap"
    assert {credential for _, credential in leaves} == set(
        Credential.objects.values_list("pk", flat=True)
    )
    assert RegistryHead.objects.get().size == expected

    checkpoints = checkpoints_are_consistent()
    assert len(checkpoints) >= 2
    assert checkpoints[-1].size == expected
