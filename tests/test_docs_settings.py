"""The settings page documents every setting, under its upstream name, with the real default.

A setting added to ``resetkit.conf.DEFAULTS`` (or an alias to ``LEGACY_ALIASES``) without a row
in docs/settings.md, or a row left behind for a removed one, fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from resetkit.conf import DEFAULTS, LEGACY_ALIASES

SETTINGS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
CODE = re.compile(r"`([^`]+)`")


def settings_table() -> list[list[str]]:
    """The rows of the table under "## All settings", as lists of cells."""
    text = SETTINGS_PAGE.read_text(encoding="utf-8")
    section = text.split("\n## All settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header, separator, *body = rows
    assert "RESETKIT" in header and set(separator) <= set("|-: ")
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in body]


def code_in(cell: str) -> str | None:
    """The first `code span` of a cell, or ``None`` (an alias cell says "—" when there is none)."""
    found = CODE.search(cell)
    return found.group(1) if found else None


ROWS = settings_table()
BY_KEY = {code_in(row[0]): row for row in ROWS}


def test_every_setting_has_exactly_one_row() -> None:
    keys = [code_in(row[0]) for row in ROWS]
    assert len(keys) == len(set(keys)), "a setting is documented twice"
    assert set(keys) == set(DEFAULTS)


def test_every_upstream_alias_is_on_its_settings_row() -> None:
    documented = {key: code_in(row[1]) for key, row in BY_KEY.items() if code_in(row[1])}
    assert documented == LEGACY_ALIASES


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_the_documented_default_is_the_real_one(key: str) -> None:
    row = BY_KEY.get(key)
    assert row is not None, f"{key} has no row in {SETTINGS_PAGE.name}"
    literal = code_in(row[2])
    assert literal is not None, f"the default of {key} is not written as `code`"
    value: Any = ast.literal_eval(literal)
    assert value == DEFAULTS[key]
    assert row[3], f"{key} has no effect described"


README = SETTINGS_PAGE.parent.parent / "README.md"


def readme_settings_table() -> dict[str | None, list[str]]:
    """The rows of the README's table under "## Settings", by `RESETKIT` key."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header, _separator, *body = rows
    assert "RESETKIT" in header
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in body]
    return {code_in(row[0]): row for row in cells}


def test_the_readme_lists_every_setting_with_its_real_default() -> None:
    rows = readme_settings_table()
    assert set(rows) == set(DEFAULTS)
    for key, row in rows.items():
        # A default written as one literal must be the real one; prose ("unset: ...") is read.
        if re.fullmatch(r"`[^`]+`", row[2]):
            assert ast.literal_eval(row[2].strip("`")) == DEFAULTS[key], key
