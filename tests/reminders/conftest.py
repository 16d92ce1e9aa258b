"""Reminders tests build mails with the test app's settings (links, UID domain)."""

import pytest

from coordinator import settings as settings_module
from tests import conftest


@pytest.fixture(autouse=True)
def reminder_settings():
    """Every reminders test queues mails with the test settings, and resets them after."""
    settings_module.use_settings(conftest.test_settings())
    yield
    settings_module.use_settings(None)
