"""Browser tests: Playwright (Python) driving Debian's Chromium against the portal served for real.

The portal runs in pytest-django's ``live_server`` (a real HTTP server in a
thread of the test process, on the test database); Chromium is always
``/usr/bin/chromium`` from Debian, never a browser Playwright downloads. Every
step of a journey saves a full-page screenshot under ``test-artifacts/browser/``
(git-ignored), and ``axe_check`` runs axe-core in the page and fails on any
serious or critical accessibility violation.

Without Chromium the browser tests are skipped with the reason — unless
``PORTAL_REQUIRE_BROWSER`` is set (CI sets it), when a missing browser fails
the run instead of passing it silently.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .support import ARTIFACTS, Screenshots

# Playwright's sync API runs an event loop in this thread; Django would then
# refuse ORM calls from the test code ("async-unsafe"). The test code is
# synchronous and runs between Playwright's calls, so allowing it is safe. Set
# for the whole process: the browser stays open until the session ends.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"Debian's Chromium is missing ({CHROMIUM}): apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if reason := _browser_missing_reason():
        if os.environ.get("PORTAL_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests are required here, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test, whatever its module says."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


#: Data migrations that build the public page tree, in order (app, migration, function).
PAGE_TREE_MIGRATIONS = [
    ("cms", "0002_create_homepage", "create_homepage"),
    ("public_verify", "0004_create_verification_page", "create_verification_page"),
    ("cms", "0004_create_catalogue_page", "create_catalogue_page"),
]


@pytest.fixture(autouse=True)
def public_site(live_server):
    """The page tree the migrations made (home, /verifiera/, /katalog/), rebuilt if it is gone.

    A transactional test before this one (the live server needs one) empties
    every table when it ends, so the pages the data migrations created are gone;
    rebuild them by running those migrations' own functions again, after a
    Wagtail root page and locale.
    """
    import importlib

    from django.apps import apps
    from wagtail.models import Locale, Page, Site

    if Site.objects.exists():
        return
    Locale.objects.get_or_create(language_code="sv")
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(title="Root", slug="root", locale=Locale.objects.get(language_code="sv"))
    for app, migration, function in PAGE_TREE_MIGRATIONS:
        module = importlib.import_module(f"{app}.migrations.{migration}")
        getattr(module, function)(apps, None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(request, browser, live_server, screenshots):
    """Open a fresh browser context (own cookies, Swedish, desktop size) and return its page.

    Each person in a journey gets a context of their own, as if on their own
    computer. When the test fails, every open page is photographed as it stood
    (``FEL-<n>.png``).
    """
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=live_server.url,
            locale="sv-SE",
            timezone_id="Europe/Stockholm",
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.console_problems = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_problems.append(message.text),
        )
        return page

    yield open_page
    report = getattr(request.node, "report_call", None)
    for number, context in enumerate(contexts, start=1):
        if report is not None and report.failed:
            for page in context.pages:
                page.screenshot(path=str(screenshots.folder / f"FEL-{number}.png"), full_page=True)
        context.close()


@pytest.fixture
def screenshots(request) -> Screenshots:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):
        old.unlink()
    return Screenshots(folder)
