"""Invites tests build mails with the test app's settings (answer links, UID domain)."""

import pytest

from coordinator.invites import service as invites
from tests import conftest


@pytest.fixture(autouse=True)
def invite_settings():
    """Every invites test builds mails with the test settings, and resets them after."""
    invites.use_settings(conftest.test_settings())
    yield
    invites.use_settings(None)
