"""Production settings: everything comes from the environment.

Every required variable is read here, at start; when any is missing or
malformed the process stops with one message naming all of them (so a
deployment is fixed in one round, not one variable at a time). Keys are checked
too — the encryption keys must be Fernet keys, the signing key file must hold
an Ed25519 private key — because the code that uses them reads them lazily and
would otherwise fail on the first issuance instead of at start.
``deploy/production.env.example`` lists every variable with a comment.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cms.env import env_bool, env_int, env_list, env_str

from .base import *  # noqa: F403

_problems: list[str] = []


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        _problems.append(f"{name} is required")
    return value


def _required_list(name: str) -> list[str]:
    value = env_list(name)
    if not value:
        _problems.append(f"{name} is required (comma-separated)")
    return value


def _readable_file(name: str) -> str:
    path = _required(name)
    if path and not (Path(path).is_file() and os.access(path, os.R_OK)):
        _problems.append(f"{name}: no readable file at {path}")
    return path


DEBUG = False
SECRET_KEY = _required("DJANGO_SECRET_KEY")
if SECRET_KEY and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    _problems.append("DJANGO_SECRET_KEY must be at least 50 random characters")
ALLOWED_HOSTS = _required_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = _required_list("DJANGO_CSRF_TRUSTED_ORIGINS")
WAGTAILADMIN_BASE_URL = _required("PORTAL_BASE_URL")
if WAGTAILADMIN_BASE_URL and not WAGTAILADMIN_BASE_URL.startswith("https://"):
    _problems.append("PORTAL_BASE_URL must be an https:// address")

# --- Database: PostgreSQL only (SQLite is the embedded development default) ---
_database_url = _required("DATABASE_URL")
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url,
            conn_max_age=env_int("DJANGO_DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    with_postgresql_options(DATABASES["default"])  # noqa: F405
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        _problems.append("DATABASE_URL must point to PostgreSQL (postgres://...)")

# --- Files ---
STATIC_ROOT = _required("PORTAL_STATIC_ROOT")
MEDIA_ROOT = _required("PORTAL_MEDIA_ROOT")
VAR_DIR = Path(_required("PORTAL_VAR_DIR") or ".")

# --- HTTPS, cookies, headers (the rest is in base.py's Security section) ---
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
#: An admin session lasts a working day at most ("remember me" included).
SESSION_COOKIE_AGE = env_int("PORTAL_SESSION_COOKIE_AGE", 8 * 60 * 60)

# --- E-mail ---
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _required("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = _required("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Keys (docs/security.md): checked now, used lazily by crypto.py and signing.py ---
PORTAL_REQUIRE_ENV_KEYS = True
PORTAL_LOG_ORIGIN = _required("PORTAL_LOG_ORIGIN")

_encryption_keys = [k.strip() for k in _required("PORTAL_ENCRYPTION_KEYS").split(",") if k.strip()]
for _position, _key in enumerate(_encryption_keys, start=1):
    try:
        if len(base64.urlsafe_b64decode(_key)) != 32:
            raise ValueError
    except (ValueError, binascii.Error):
        _problems.append(f"PORTAL_ENCRYPTION_KEYS: key {_position} is not a Fernet key")
_blind_index_key = _required("PORTAL_BLIND_INDEX_KEY")
if _blind_index_key:
    try:
        if len(base64.urlsafe_b64decode(_blind_index_key)) < 32:
            raise ValueError
    except (ValueError, binascii.Error):
        _problems.append("PORTAL_BLIND_INDEX_KEY must be at least 32 random bytes, URL-safe base64")

_signing_key_file = _readable_file("PORTAL_SIGNING_KEY_FILE")
if _signing_key_file and Path(_signing_key_file).is_file():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        _signing_key = load_pem_private_key(Path(_signing_key_file).read_bytes(), password=None)
    except (ValueError, TypeError):
        _signing_key = None
    if not isinstance(_signing_key, Ed25519PrivateKey):
        _problems.append(
            "PORTAL_SIGNING_KEY_FILE must hold an unencrypted Ed25519 private key (PEM)"
        )

# --- BankID: the simulator is for development only; the RP certificate comes from the environment ---
PORTAL_BANKID_ENVIRONMENT = _required("PORTAL_BANKID_ENVIRONMENT")
if PORTAL_BANKID_ENVIRONMENT and PORTAL_BANKID_ENVIRONMENT not in ("test", "production"):
    _problems.append(
        "PORTAL_BANKID_ENVIRONMENT must be 'test' or 'production' in production settings "
        f"(the BankID simulator is for development), got {PORTAL_BANKID_ENVIRONMENT!r}"
    )
PORTAL_BANKID_CERT_FILE = _readable_file("PORTAL_BANKID_CERT_FILE")
PORTAL_BANKID_KEY_FILE = _readable_file("PORTAL_BANKID_KEY_FILE")
PORTAL_BANKID_CA_FILE = _readable_file("PORTAL_BANKID_CA_FILE")

if _problems:
    raise ImproperlyConfigured(
        "The production environment is incomplete (see deploy/production.env.example):\n- "
        + "\n- ".join(_problems)
    )
