"""Fixtures of the verification tests: Sofia's credential, before and after a checkpoint."""

from __future__ import annotations

import pytest

from micromerits.models import Credential
from public_verify import registry
from tests.public_verify.test_verification_page import issue_to_sofia


@pytest.fixture
def credential(published_micromerit, organisations, people) -> Credential:
    """Fasadmålning issued to Sofia, not yet in a checkpoint ("pending")."""
    return issue_to_sofia(published_micromerit, organisations, people)


@pytest.fixture
def checkpointed(credential) -> Credential:
    """Sofia's credential, covered by a signed checkpoint ("genuine")."""
    registry.checkpoint_make()
    return credential
