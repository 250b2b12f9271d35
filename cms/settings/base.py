"""Settings shared by every environment.

Environment-specific modules (``dev``, ``test``, ``production``) import this one
and change only what differs. The database comes from ``DATABASE_URL`` (read
once, here); without it the embedded SQLite file in the repository is used.
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from cms.env import env_bool, env_int, env_str
from cms.logging import portal_logging

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
#: Folder for files the running portal writes (development keys, caches).
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "cms",
    "micromerits",
    "permissions",
    "public_verify",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "guardian",
    "django_tasks",
    "django_tasks_db",
    # Security (issue 6): second factor for admin users, login lockout, CSP.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Issuing appends to the registry under a write lock; SQLite waits for it
    # instead of failing at once when two requests meet.
    # IMMEDIATE: a transaction takes the write lock when it begins, so two
    # writers queue (up to the timeout) instead of one failing on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

#: PostgreSQL: psycopg may prepare a statement a connection has run five times. Django's own
#: queries use client-side binding and are never prepared; only cursors that ask for server-side
#: binding are (public_verify.answer_cache's state query, whose join PostgreSQL would otherwise
#: plan on every scan). Behind a transaction-mode pooler that cannot keep prepared statements
#: (PgBouncer before 1.21), set PORTAL_PG_PREPARED_STATEMENTS=false.
POSTGRESQL_OPTIONS = {
    "prepare_threshold": 5 if env_bool("PORTAL_PG_PREPARED_STATEMENTS", True) else None
}


def with_postgresql_options(database: dict) -> dict:
    """``database`` with ``POSTGRESQL_OPTIONS`` added where its URL did not set them."""
    options = database.setdefault("OPTIONS", {})
    for name, value in POSTGRESQL_OPTIONS.items():
        options.setdefault(name, value)
    return database


if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    with_postgresql_options(DATABASES["default"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Object-level rights (who may change or issue which mikromerit).
    "guardian.backends.ObjectPermissionBackend",
]
# guardian's anonymous user is not used: the public never holds object rights.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATIC_ROOT = BASE_DIR / "static_collected"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
#: Largest spreadsheet the admin accepts for an import (bytes).
PORTAL_MAX_UPLOAD_BYTES = 10 * 1024 * 1024

WAGTAIL_SITE_NAME = "Mikromeriter"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "xlsx"]

LOGIN_URL = "wagtailadmin_login"

#: Background jobs (e-mail, anchoring) go through a queue in the database,
#: worked by ``manage.py db_worker``.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Mikromeritportalen <noreply@mikromerit.invalid>"
)
#: Where recipients log in and see their mikromeriter (linked from e-mails).
PORTAL_HOLDER_PATH = "/mina-mikromeriter/"

#: The registry's origin line in checkpoints and the signing key's name.
PORTAL_LOG_ORIGIN = env_str("PORTAL_LOG_ORIGIN", "mikromerit.localhost/registry")
#: Production sets this: keys must come from the environment, never be generated.
PORTAL_REQUIRE_ENV_KEYS = False

#: A holder (recipient) session ends after this long without a request.
PORTAL_HOLDER_SESSION_IDLE_SECONDS = 30 * 60

# --- BankID (recipient login; permissions/bankid/) ---
#: Which BankID the login talks to: ``simulator`` (the local stand-in,
#: ``manage.py bankid_simulator``; development, tests and the demo), ``test``
#: (BankID's test service) or ``production``. Production settings refuse the simulator.
PORTAL_BANKID_ENVIRONMENT = env_str("PORTAL_BANKID_ENVIRONMENT", "simulator")
#: Where the simulator answers the RP API and shows its "app" page.
PORTAL_BANKID_SIMULATOR_URL = env_str("PORTAL_BANKID_SIMULATOR_URL", "http://127.0.0.1:8001")
#: The relying party's client certificate and key (PEM) and the CA that signed
#: BankID's server certificate, for ``test`` and ``production``. Empty for
#: ``test`` means pybankid's bundled public test certificate (FPTestcert) and test CA.
PORTAL_BANKID_CERT_FILE = env_str("PORTAL_BANKID_CERT_FILE", "")
PORTAL_BANKID_KEY_FILE = env_str("PORTAL_BANKID_KEY_FILE", "")
PORTAL_BANKID_CA_FILE = env_str("PORTAL_BANKID_CA_FILE", "")
#: Seconds to wait for one answer from BankID before telling the user it failed.
PORTAL_BANKID_TIMEOUT_SECONDS = 10
#: (The end user's IP address sent to BankID honours PORTAL_TRUSTED_PROXIES below.)

# Public verification page: the holder check's rate limits (public_verify.holder_check).
#: (attempts, seconds) per client address and per credential. The credential's
#: window is long so that guessing a personnummer for one credential takes months.
PORTAL_HOLDER_CHECK_LIMITS = {"client": (20, 60 * 60), "credential": (10, 24 * 60 * 60)}
#: How many reverse proxies of ours stand in front of the app servers (0: use REMOTE_ADDR).
PORTAL_TRUSTED_PROXIES = env_int("PORTAL_TRUSTED_PROXIES", 0)
#: How long a worked-out verification answer is kept (public_verify.answer_cache). Its key
#: holds everything the answer depends on, so this bounds only how long a template change waits.
PORTAL_VERIFICATION_CACHE_SECONDS = env_int("PORTAL_VERIFICATION_CACHE_SECONDS", 3600)
#: Each process keeps its own cache in memory; answers are exact whichever cache holds them,
#: so a shared cache (docs/deployment.md) only saves work, it is never needed for correctness.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": env_int("PORTAL_CACHE_ENTRIES", 5000)},
    }
}

# --- Security (issue 6; docs/security.md) ---
# Admin users pass a second factor (django-otp) after the password; axes counts
# failed passwords and codes; django-csp sets the Content-Security-Policy.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "permissions.middleware.PortalCSPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "permissions.middleware.SecondFactorRequiredMiddleware",
)
# Last, as django-axes asks: it turns a lockout found during the view into the lockout page.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# First: a locked-out client is refused before any password is checked.
AUTHENTICATION_BACKENDS.insert(0, "axes.backends.AxesBackend")

#: The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = "Mikromeriter"

#: Failed passwords (admin login) and failed codes (second factor) allowed per
#: username, and per client IP address, before a lockout.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
#: A lockout lasts this long; failures older than this are forgotten.
AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
#: A correct password must not wipe the count of wrong codes (the attacker may have the password).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "permissions/otp/lockout.html"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]
#: The client address as the holder check and BankID see it (honours PORTAL_TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "public_verify.holder_check.client_address"

#: Public pages: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
#: The Wagtail admin (``permissions.middleware.PortalCSPMiddleware``): Wagtail
#: still uses inline scripts and style attributes, and frames its own previews.
PORTAL_ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# --- Registry anchoring (issue 4) ---------------------------------------------
#: Where checkpoint roots are anchored: "none" (signed checkpoints only, the
#: embedded default) or "bitcoin" (a Bitcoin Core node's wallet over JSON-RPC;
#: public_verify.anchoring).
PORTAL_ANCHOR_BACKEND = env_str("PORTAL_ANCHOR_BACKEND", "none")
if PORTAL_ANCHOR_BACKEND not in ("none", "bitcoin"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PORTAL_ANCHOR_BACKEND must be 'none' or 'bitcoin'.")
#: The node's JSON-RPC URL with credentials and wallet, e.g.
#: http://user:password@127.0.0.1:18443/wallet/anchors (a secret: environment only).
PORTAL_BITCOIN_RPC_URL = env_str("PORTAL_BITCOIN_RPC_URL", "")
#: "regtest", "testnet" or "mainnet": recorded on every anchor and in exports.
PORTAL_BITCOIN_NETWORK = env_str("PORTAL_BITCOIN_NETWORK", "regtest")
if PORTAL_ANCHOR_BACKEND == "bitcoin" and not PORTAL_BITCOIN_RPC_URL:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PORTAL_BITCOIN_RPC_URL is required with the bitcoin backend.")

#: Every handler masks personnummer (``cms.logging``); PORTAL_LOG_LEVEL sets the portal's own loggers.
LOGGING = portal_logging(env_str("PORTAL_LOG_LEVEL", "INFO"))
