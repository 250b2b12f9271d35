"""Settings for benchmarks only: the development settings, DEBUG off, plus a bare view's URL.

Never used in production: the bare view (``bench/urls.py``) exists so that bench/verify_page.py
can compare the verification page with the cheapest possible Django response served by the
same gunicorn, middleware and database.
"""

from cms.settings.dev import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
# Access logs off: the benchmark measures serving, not writing log lines.
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Connections kept between requests, as production keeps them (cms/settings/production.py).
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
