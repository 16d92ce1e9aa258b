"""Settings are read from the environment once, with a command's own defaults where it has
them; the database engine is configured from them, once per process."""

import pytest

from coordinator import db
from coordinator.settings import Settings, SettingsError
from tests import conftest


@pytest.mark.parametrize("environ,expected", [
    ({}, False),                         # the command's default
    ({"COOKIE_SECURE": ""}, False),      # empty counts as unset
    ({"COOKIE_SECURE": "on"}, True),     # the environment wins, parsed as everywhere
    ({"COOKIE_SECURE": "false"}, False),
])
def test_a_commands_default_gives_way_to_the_environment(environ, expected):
    settings = Settings.from_env(environ, defaults={"cookie_secure": False})
    assert settings.cookie_secure is expected


def test_a_malformed_value_names_its_variable_whatever_the_default():
    with pytest.raises(SettingsError, match="^COOKIE_SECURE: "):
        Settings.from_env({"COOKIE_SECURE": "maybe"}, defaults={"cookie_secure": False})


@pytest.mark.parametrize("value", ["abc", "0", "-2", "2.5"])
def test_a_count_that_is_not_a_positive_whole_number_is_refused_in_words(value):
    with pytest.raises(SettingsError,
                       match=f"^REQUESTS_AT_ONCE: expected a positive whole number, got '{value}'$"):
        Settings.from_env({"REQUESTS_AT_ONCE": value})


def test_overrides_win_over_the_environment():
    assert Settings.from_env({"LOG_LEVEL": "DEBUG"}, log_level="ERROR").log_level == "ERROR"


def test_the_engine_is_configured_once_per_process():
    engine = db.engine()
    assert db.configure(conftest.test_settings(secret_key="another")) is engine  # same database: kept
    with pytest.raises(RuntimeError, match="another database"):
        db.configure(conftest.test_settings(database_url="sqlite:///elsewhere/other.sqlite"))
    assert db.engine() is engine
