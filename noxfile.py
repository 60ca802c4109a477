"""Compatibility matrix: the test suite against each supported Django / DRF / Python triple.

The one place the matrix is written down: ``make compat`` and CI run it. Run with ``make compat``
(or ``nox`` from the repository root); ``nox --list`` shows the
cells, ``nox -s "tests(py3.12-django6.0-drf3.17)"`` runs one cell, and ``nox -- -k confirm``
passes arguments to pytest.
Each cell runs the default configuration (SQLite, locmem cache, ``auth.User``); the
service-backed runs are ``make test-services``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

# (Python, Django, Django REST framework): every supported Python, Django and DRF in at
# least one cell, in four cells (about 45 s each). The oldest pair on the oldest Python; Django
# 5.2 again on 3.11, the last Python that Django 6 does not support; each Django 6 release with
# the DRF released for it, on the Pythons it needs (>= 3.12), the newest on the newest.
MATRIX = [
    ("3.10", "5.2", "3.16"),
    ("3.11", "5.2", "3.17"),
    ("3.12", "6.0", "3.17"),
    ("3.13", "6.1", "3.18"),
]

SHOW_VERSIONS = (
    "import django, rest_framework; "
    "print('Django', django.__version__, '/ DRF', rest_framework.__version__)"
)

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
# A cell whose interpreter is missing fails the run instead of being skipped, and nox
# never downloads interpreters behind our back: a green matrix means every cell ran.
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"


def _version_key(path: Path) -> tuple[int, ...]:
    # ".../versions/3.10.13/bin/python3.10" -> (3, 10, 13); non-numeric parts sort first.
    return tuple(int(part) if part.isdigit() else -1 for part in path.parents[1].name.split("."))


def _expose_pyenv_interpreters(versions: set[str]) -> None:
    """Put pyenv-installed ``pythonX.Y`` interpreters on PATH where only shims would be found.

    A pyenv shim answers to ``python3.10`` only when 3.10 is the selected version, so nox
    would find the shim and fail to create the virtualenv. The real interpreter's
    directory, prepended to PATH, makes every installed version discoverable.
    """
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for version in sorted(versions):
        found = shutil.which(f"python{version}")
        if found and "shims" not in Path(found).parts:
            continue
        candidates = sorted(
            pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), key=_version_key
        )
        if candidates:
            path = os.environ.get("PATH", "")
            os.environ["PATH"] = os.pathsep.join([str(candidates[-1].parent), path])


_expose_pyenv_interpreters({python for python, _, _ in MATRIX})


@nox.session
@nox.parametrize(
    ("python", "django", "drf"),
    [
        nox.param(python, django, drf, id=f"py{python}-django{django}-drf{drf}")
        for python, django, drf in MATRIX
    ],
)
def tests(session: nox.Session, django: str, drf: str) -> None:
    """Run the test suite with one pinned Django / DRF pair."""
    session.install(
        "-e",
        ".[test]",
        f"Django~={django}.0",
        f"djangorestframework~={drf}.0",
    )
    session.run("python", "-c", SHOW_VERSIONS)
    session.run(
        "pytest",
        "-q",
        *session.posargs,
        env={
            "RESETKIT_TEST_DB": "sqlite",
            "RESETKIT_TEST_CACHE": "locmem",
            "RESETKIT_TEST_USER_MODEL": "auth",
        },
    )
