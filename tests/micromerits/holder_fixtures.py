"""Fixtures for the holder-side tests: one mikromerit issued to two people.

Registered by the holder test modules with ``pytest_plugins``.
"""

from __future__ import annotations

import pytest

from tests.micromerits.holder_helpers import LARS, SOFIA, issue_to, row


@pytest.fixture
def media_root(settings, tmp_path):
    """Certificates cached during a test go to a throw-away folder, not the repository's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def credential(media_root, published_micromerit, organisations, people):
    """Fasadmålning issued to Sofia Åkesson by the delegated issuer."""
    [issued] = issue_to(
        published_micromerit,
        organisations["issuer"],
        people["issuer"],
        row(SOFIA, "Sofia", "Åkesson", comment="Mycket väl utfört."),
    )
    return issued


@pytest.fixture
def other_credential(published_micromerit, organisations, people):
    """The same mikromerit issued to another person, Lars Öberg."""
    [issued] = issue_to(
        published_micromerit, organisations["issuer"], people["issuer"], row(LARS, "Lars", "Öberg")
    )
    return issued
