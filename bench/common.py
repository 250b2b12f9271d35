"""Helpers the benchmarks (and the tests that serve over HTTP) share.

A throw-away database, test people born 1890–1899, and a real gunicorn app
server on loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    *, env: dict[str, str], log: Path, ready_path: str = "/", workers: int = 2
) -> Iterator[str]:
    """Serve the portal with gunicorn on a free loopback port; yield its base URL once it answers.

    Parameters:
        env: the server's whole environment (settings module, database, key files).
        log: where gunicorn writes its error log; quoted when the server fails to come up.
        ready_path: a URL path that answers 200 once the server is ready.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "cms.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "120"]
    command += ["--error-logfile", str(log), "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        _wait_until_serving(f"{base}{ready_path}", process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    """Poll ``url`` until it answers 200 (at most about a minute); raise with the log if not."""
    for _attempt in range(240):
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer {url}:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text()[-3000:] if log.exists() else "(no log)"
