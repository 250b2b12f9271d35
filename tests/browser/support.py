"""Helpers of the browser tests: numbered screenshots and the axe-core check.

Artifacts go to ``test-artifacts/browser/`` (git-ignored): one folder of
screenshots per test, and axe-core's full report per checked page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_DIR / "test-artifacts" / "browser"
#: axe-core impacts that fail a page.
BLOCKING_IMPACTS = {"serious", "critical"}


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

    def keep(self, image, name: str) -> Path:
        """Keep a picture that is not a page (a PIL image, e.g. a rendered PDF) in the series."""
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        image.save(path)
        self.taken.append(path)
        return path


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
