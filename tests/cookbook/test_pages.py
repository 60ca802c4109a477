"""The cookbook pages include every recipe file, and only files that exist.

A page includes a file with a pymdownx.snippets block (``--8<--`` / path / ``--8<--``); the
block form is kept because it is not valid Python, so code formatters leave it alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.cookbook import RECIPES_DIR

ROOT = RECIPES_DIR.parents[2]
PAGES = sorted((ROOT / "docs" / "cookbook").glob("*.md"))
SNIPPET_BLOCK = re.compile(r"^--8<--\n(?P<paths>.*?)\n--8<--$", re.MULTILINE | re.DOTALL)


def included_files() -> set[Path]:
    included = set()
    for page in PAGES:
        for block in SNIPPET_BLOCK.finditer(page.read_text(encoding="utf-8")):
            included.update(ROOT / line.strip() for line in block["paths"].splitlines())
    return included


def test_every_recipe_file_is_shown_on_a_page() -> None:
    assert set(RECIPES_DIR.glob("*.py")) <= included_files()


def test_every_included_file_exists() -> None:
    missing = [str(path) for path in included_files() if not path.is_file()]
    assert missing == []


def test_no_page_has_a_mangled_or_inline_include() -> None:
    # A formatter that takes `--8<-- "file"` for Python rewrites it to `--8 < --"file"`, which
    # the docs would then print instead of the file.
    for page in PAGES:
        for line in page.read_text(encoding="utf-8").splitlines():
            assert not re.match(r"\s*-+8\s*<", line) or line.strip() == "--8<--", (page, line)
