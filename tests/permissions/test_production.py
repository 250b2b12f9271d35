"""Production settings: the example environment passes Django's deployment check; a gap stops the start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from tests.conftest import REPO_DIR

EXAMPLE = REPO_DIR / "deploy" / "production.env.example"
CHECK = ["manage.py", "check", "--deploy", "--settings", "cms.settings.production"]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile and ``docker --env-file`` read them."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


@pytest.fixture
def example_env(tmp_path) -> dict[str, str]:
    """The example file's values, with its key and certificate paths pointing at real files.

    The example names files under /etc that a test cannot create; they are
    replaced by files of the right kind, so the settings' file checks run for real.
    """
    values = read_env_file(EXAMPLE)
    signing_key = tmp_path / "signing-key.pem"
    signing_key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
    )
    signing_key.chmod(0o600)
    values["PORTAL_SIGNING_KEY_FILE"] = str(signing_key)
    for name in ("PORTAL_BANKID_CERT_FILE", "PORTAL_BANKID_KEY_FILE", "PORTAL_BANKID_CA_FILE"):
        pem = tmp_path / Path(values[name]).name
        pem.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
        values[name] = str(pem)
    values["PORTAL_VAR_DIR"] = str(tmp_path / "var")
    return values


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run manage.py with exactly ``env`` (plus PATH): nothing leaks in from the test's own environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_DIR,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_example_lists_every_variable_the_settings_read():
    listed = set(read_env_file(EXAMPLE))
    read_by_settings = set()
    for path in (REPO_DIR / "cms" / "settings").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for function in (
            "_required",
            "_readable_file",
            "_required_list",
            "env_str",
            "env_int",
            "env_bool",
            "env_list",
        ):
            for part in text.split(f'{function}("')[1:]:
                read_by_settings.add(part.split('"')[0])
    for module in ("micromerits/crypto.py", "public_verify/signing.py"):
        text = (REPO_DIR / module).read_text(encoding="utf-8")
        for part in text.split('os.environ.get("')[1:]:
            read_by_settings.add(part.split('"')[0])
    development_only = {"PORTAL_BANKID_SIMULATOR_URL"}
    assert read_by_settings - development_only <= listed, read_by_settings - listed
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), f"no comment above {line}"


def test_the_deployment_check_passes_with_the_example_environment(example_env):
    result = run(example_env, *CHECK, "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_the_production_settings_are_strict(example_env):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS, s.DATABASES['default']['ENGINE'], "
        "s.PORTAL_REQUIRE_ENV_KEYS)"
    )
    result = run({**example_env, "PYTHONPATH": str(REPO_DIR)}, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "31536000",
        "True",
        "DENY",
        "django.db.backends.postgresql",
        "True",
    ]


@pytest.mark.parametrize(("setting", "threshold"), [("true", "5"), ("false", "None"), (None, "5")])
def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(
    example_env, setting, threshold
):
    env = {**example_env, "PYTHONPATH": str(REPO_DIR)}
    env.pop("PORTAL_PG_PREPARED_STATEMENTS")
    if setting is not None:
        env["PORTAL_PG_PREPARED_STATEMENTS"] = setting
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['OPTIONS']['prepare_threshold'])"
    )
    result = run(env, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == threshold


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "DATABASE_URL", "PORTAL_ENCRYPTION_KEYS", "PORTAL_SIGNING_KEY_FILE"],
)
def test_a_missing_variable_stops_the_start_with_a_clear_message(example_env, missing):
    del example_env[missing]
    result = run(example_env, *CHECK)
    assert result.returncode != 0
    assert "ImproperlyConfigured: The production environment is incomplete" in result.stderr
    assert f"- {missing} is required" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORTAL_ENCRYPTION_KEYS", "not-a-key", "key 1 is not a Fernet key"),
        ("PORTAL_BLIND_INDEX_KEY", "c2hvcnQ=", "PORTAL_BLIND_INDEX_KEY must be"),
        ("PORTAL_SIGNING_KEY_FILE", "/nonexistent/key.pem", "no readable file"),
        ("DATABASE_URL", "sqlite:///db.sqlite3", "must point to PostgreSQL"),
        ("PORTAL_BANKID_ENVIRONMENT", "simulator", "the BankID simulator is for development"),
        ("PORTAL_BASE_URL", "http://mikromeriter.example.se", "must be an https://"),
        ("DJANGO_SECRET_KEY", "short", "at least 50 random characters"),
    ],
)
def test_a_malformed_value_stops_the_start(example_env, name, value, message):
    example_env[name] = value
    result = run(example_env, *CHECK)
    assert result.returncode != 0
    assert message in result.stderr


def test_every_problem_is_named_at_once(example_env):
    for name in ("DJANGO_SECRET_KEY", "EMAIL_HOST", "PORTAL_BLIND_INDEX_KEY"):
        del example_env[name]
    result = run(example_env, *CHECK)
    assert result.returncode != 0
    for name in ("DJANGO_SECRET_KEY", "EMAIL_HOST", "PORTAL_BLIND_INDEX_KEY"):
        assert f"- {name} is required" in result.stderr
