"""The README's configuration table is generated from settings.OPTIONS and must match."""

from pathlib import Path

from coordinator.settings import option_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_configuration_table_matches_settings():
    text = README.read_text()
    start = text.index("<!-- settings-table:start -->") + len("<!-- settings-table:start -->")
    end = text.index("<!-- settings-table:end -->")
    assert text[start:end].strip() == option_table(), (
        "README configuration table is stale: regenerate it from coordinator.settings.option_table()")


def test_quick_start_has_exactly_the_two_commands():
    text = README.read_text()
    block = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./bin/demo", "./bin/test"]
