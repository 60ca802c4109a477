"""``make wheel-smoke``: the built distributions, installed into a fresh virtualenv, work.

Run by the Makefile target with the fresh virtualenv's Python, from outside the checkout, as
``python wheel_smoke.py DIST_DIR CHECKOUT``. It checks that the wheel and the sdist hold what the
checkout ships (templates, static files, compiled translations, ``py.typed``, migrations, the
licence), that the import is the installed copy, then runs a reset in a throwaway project: the
e-mail rendered from the shipped templates, validate, confirm, the admin's page, the shipped
translations and ``collectstatic``.
"""

from __future__ import annotations

import gettext
import re
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

DATA_SUFFIXES = {".html", ".txt", ".mo", ".po", ".css", ".js", ".png", ".svg", ".typed"}


def shipped_data(checkout: Path) -> set[str]:
    """Package files of the checkout that are not Python code: all must be in the wheel."""
    root = checkout / "resetkit"
    return {
        path.relative_to(checkout).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in DATA_SUFFIXES
    }


def check_distributions(dist: Path, checkout: Path) -> None:
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    expected = shipped_data(checkout)
    assert any(name.endswith(".mo") for name in expected), "no compiled catalog in the checkout"
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks {missing}"
    migrations = {
        path.relative_to(checkout).as_posix() for path in checkout.glob("resetkit/migrations/0*.py")
    }
    assert migrations <= names, f"the wheel lacks migrations {sorted(migrations - names)}"
    [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(metadata).decode()
    assert "License-Expression: BSD-3-Clause" in text, "no SPDX licence expression"
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), "no LICENSE"
    with tarfile.open(sdist) as archive:
        sdist_names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in ["LICENSE", "README.md", "pyproject.toml", *sorted(expected)]:
        assert name in sdist_names, f"the sdist lacks {name}"
    print(f"ok: {wheel.name} and {sdist.name} hold {len(expected)} data files, LICENSE")


def configure(workdir: Path) -> None:
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        # One process: limits counted per process are what this run has (resetkit.W011).
        SILENCED_SYSTEM_CHECKS=["resetkit.W011"],
        SECRET_KEY="wheel-smoke-" + "x" * 40,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "rest_framework",
            "resetkit",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        ROOT_URLCONF=__name__,
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": workdir / "db.sqlite3"}
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        USE_I18N=True,
        STATIC_URL="static/",
        STATIC_ROOT=workdir / "static",
        RESETKIT={"RESET_URL": "https://app.example/reset?token={token}"},
    )


urlpatterns: list = []


def run_flow(workdir: Path) -> None:
    import django

    configure(workdir)
    django.setup()

    from django.contrib import admin
    from django.core import mail
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import include, path

    import resetkit
    from resetkit.contrib import email

    installed = Path(resetkit.__file__).resolve()
    assert "site-packages" in installed.parts, f"resetkit imported from {installed}"

    urlpatterns.extend(
        [
            path("admin/", admin.site.urls),
            path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
        ]
    )
    setup_test_environment()  # locmem e-mail outbox; the default executor runs inline
    call_command("migrate", verbosity=0)
    call_command("makemigrations", "resetkit", check=True, dry_run=True, verbosity=0)
    call_command("check", fail_level="WARNING")
    email.connect()

    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user_model.objects.create_user("alice", "alice@example.com", "first-Passw0rd-old")
    client = Client()
    answer = client.post(
        "/api/password_reset/", {"email": "alice@example.com"}, content_type="application/json"
    )
    assert (answer.status_code, answer.json()) == (200, {"status": "OK"}), answer.content
    [message] = mail.outbox
    [(html, _)] = message.alternatives
    token = re.search(r"https://app\.example/reset\?token=([0-9a-f]+)", message.body)
    assert token, message.body
    assert token[0] in html, "the HTML template did not render the link"
    key = token[1]
    for url, body in [
        ("/api/password_reset/validate_token/", {"token": key}),
        ("/api/password_reset/confirm/", {"token": key, "password": "a-much-better-one-42"}),
    ]:
        answer = client.post(url, body, content_type="application/json")
        assert answer.status_code == 200, (url, answer.content)
    assert user_model.objects.get(username="alice").check_password("a-much-better-one-42")
    print("ok: request, e-mail from the shipped templates, validate, confirm")

    staff = user_model.objects.create_superuser("root", "root@example.com", "root-Passw0rd!")
    client.force_login(staff)
    page = client.get("/admin/resetkit/resetpasswordtoken/")
    assert page.status_code == 200, page.status_code
    print("ok: the admin's token list")

    check_translations(installed.parent)

    call_command("collectstatic", interactive=False, verbosity=0)
    collected = workdir / "static"
    for name in ["admin/css/base.css", "rest_framework/css/default.css"]:
        assert (collected / name).is_file(), f"collectstatic did not collect {name}"
    static = installed.parent / "static"
    own = [file for file in static.rglob("*") if file.is_file()] if static.is_dir() else []
    for file in own:
        relative = file.relative_to(static)
        assert (collected / relative).is_file(), f"collectstatic missed {relative}"
    print(f"ok: collectstatic ({len(own)} files of resetkit's own)")


def check_translations(package: Path) -> None:
    """Every shipped catalog is compiled, loads, and Django translates from it."""
    from django.utils import translation

    catalogs = sorted(package.glob("locale/*/LC_MESSAGES/django.mo"))
    assert len(catalogs) >= 4, catalogs
    for mo in catalogs:
        assert mo.with_suffix(".po").is_file(), f"{mo} without its .po"
        with mo.open("rb") as handle:
            messages = {
                k: v
                for k, v in gettext.GNUTranslations(handle)._catalog.items()  # type: ignore[attr-defined]
                if isinstance(k, str) and k and "\x04" not in k and v and k != v
            }
        assert messages, f"{mo} is empty"
        # The longest message: resetkit's own, not one an earlier app's catalog also translates.
        msgid, msgstr = max(messages.items(), key=lambda item: (len(item[0]), item[0]))
        language = translation.to_language(mo.parents[1].name)
        with translation.override(language):
            assert translation.gettext(msgid) == msgstr, (language, msgid)
    print(f"ok: {len(catalogs)} compiled catalogs translate")


def main() -> None:
    dist, checkout = Path(sys.argv[1]), Path(sys.argv[2])
    check_distributions(dist, checkout)
    with tempfile.TemporaryDirectory() as workdir:
        run_flow(Path(workdir))
    print("wheel smoke test passed")


if __name__ == "__main__":
    main()
