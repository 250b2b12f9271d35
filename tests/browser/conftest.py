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

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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
REPO_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_DIR / "test-artifacts" / "browser"
#: axe-core impacts that fail a page.
BLOCKING_IMPACTS = {"serious", "critical"}


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


@dataclass
class Screenshots:
    """Numbered full-page screenshots of one test, in ``test-artifacts/browser/<test>/``."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def screenshots(request) -> Screenshots:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):
        old.unlink()
    return Screenshots(folder)


def axe_check(page, name: str) -> list[dict]:
    """Run axe-core on ``page``; fail on serious or critical violations. Returns all violations.

    The full axe report is saved beside the screenshots (``axe-<name>.json``).
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(
        json.dumps(results.response, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {name} ({page.url}): " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in blocking
    )
    return violations
