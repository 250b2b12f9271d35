"""Production settings: everything comes from the environment.

A missing required variable stops the server at start (see ``cms.env``);
``deploy/production.env.example`` lists every variable.
"""

from django.core.exceptions import ImproperlyConfigured

from cms.env import env_bool, env_list, env_str

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
WAGTAILADMIN_BASE_URL = env_str("PORTAL_BASE_URL")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL")

PORTAL_REQUIRE_ENV_KEYS = True
PORTAL_LOG_ORIGIN = env_str("PORTAL_LOG_ORIGIN")

# BankID: the simulator is for development only; the RP certificate comes from the environment.
PORTAL_BANKID_ENVIRONMENT = env_str("PORTAL_BANKID_ENVIRONMENT")
if PORTAL_BANKID_ENVIRONMENT not in ("test", "production"):
    raise ImproperlyConfigured(
        "PORTAL_BANKID_ENVIRONMENT must be 'test' or 'production' in production settings "
        f"(the BankID simulator is for development), got {PORTAL_BANKID_ENVIRONMENT!r}."
    )
PORTAL_BANKID_CERT_FILE = env_str("PORTAL_BANKID_CERT_FILE")
PORTAL_BANKID_KEY_FILE = env_str("PORTAL_BANKID_KEY_FILE")
PORTAL_BANKID_CA_FILE = env_str("PORTAL_BANKID_CA_FILE")
