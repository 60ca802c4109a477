"""Tests of the cookbook: each runs the very file its page includes.

The recipes live in ``docs/cookbook/code/`` next to the pages that show them, not in an
importable package, so :func:`load_recipe` reads them from there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

RECIPES_DIR = Path(__file__).resolve().parents[2] / "docs" / "cookbook" / "code"


def load_recipe(name: str) -> ModuleType:
    """Execute ``docs/cookbook/code/<name>.py`` as a fresh module and return it.

    Fresh on every call, so a recipe that connects a receiver when imported does so again for
    each test that loads it (and the test disconnects it afterwards). The source is compiled
    directly so that no ``__pycache__`` lands in the documentation tree.
    """
    path = RECIPES_DIR / f"{name}.py"
    module = ModuleType(f"cookbook.{name}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module
