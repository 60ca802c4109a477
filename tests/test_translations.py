"""Translations: the shipped catalogs are complete and compiled, and answers follow the client's
``Accept-Language`` when a project enables ``LocaleMiddleware``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from django.test import override_settings
from django.utils import translation

import resetkit
from resetkit.backends.orm import ORMTokenStore
from resetkit.models import ResetPasswordToken
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(resetkit.__file__).parent / "locale"
# Every catalog in the package is checked, so a language added later is covered too.
SHIPPED = sorted(path.name for path in LOCALE_DIR.iterdir() if path.is_dir())

VALIDATE = "/api/password_reset/validate_token/"
CONFIRM = "/api/password_reset/confirm/"
REQUEST = "/api/password_reset/"

# What a user reads, per Accept-Language value. Spelled out so that a catalog that is missing,
# stale or not picked up by Django fails here.
EXPECTED = {
    "de": {
        "invalid_token": "Das eingegebene Einmalpasswort ist ungültig. Bitte überprüfen Sie es "
        "und versuchen Sie es erneut.",
        "no_account": "Wir konnten kein Konto mit dieser E-Mail-Adresse finden. Bitte versuchen "
        "Sie es mit einer anderen E-Mail-Adresse.",
        "verbose_name": "Token zum Zurücksetzen des Passworts",
    },
    "es": {
        "invalid_token": "La contraseña de un solo uso introducida no es válida. Compruébela e "
        "inténtelo de nuevo.",
        "no_account": "No hemos encontrado ninguna cuenta asociada a ese correo electrónico. "
        "Pruebe con otra dirección de correo electrónico.",
        "verbose_name": "token de restablecimiento de contraseña",
    },
    "fr": {
        "invalid_token": "Le mot de passe à usage unique saisi n'est pas valide. Veuillez le "
        "vérifier et réessayer.",
        "no_account": "Nous n'avons trouvé aucun compte associé à cette adresse e-mail. Veuillez "
        "essayer une autre adresse e-mail.",
        "verbose_name": "jeton de réinitialisation du mot de passe",
    },
    "pt-BR": {
        "invalid_token": "A senha de uso único informada não é válida. Verifique-a e tente "
        "novamente.",
        "no_account": "Não encontramos nenhuma conta associada a esse e-mail. Tente um endereço "
        "de e-mail diferente.",
        "verbose_name": "token de redefinição de senha",
    },
    "en": {
        "invalid_token": "The OTP password entered is not valid. Please check and try again.",
        "no_account": "We couldn't find an account associated with that email. Please try a "
        "different e-mail address.",
        "verbose_name": "password reset token",
    },
}

LOCALIZED = override_settings(
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    LANGUAGE_CODE="en",
    LANGUAGES=[
        ("en", "English"),
        ("de", "Deutsch"),
        ("es", "Español"),
        ("fr", "Français"),
        ("pt-br", "Português (Brasil)"),
    ],
)


@pytest.fixture(autouse=True)
def _localized() -> Iterator[None]:
    with LOCALIZED:
        yield
    translation.deactivate()


def in_language(language: str, message: str) -> str:
    """``message`` as Django's catalogs (DRF's included) translate it into ``language``."""
    with translation.override(language):
        return translation.gettext(message)


def post(api_client: Any, url: str, data: dict[str, Any], language: str) -> Any:
    return api_client.post(url, data, format="json", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("language", sorted(EXPECTED))
@pytest.mark.parametrize("url", [VALIDATE, CONFIRM])
def test_invalid_token_message_follows_accept_language(api_client, url, language) -> None:
    data = {"token": "no-such-token", "password": "new-Passw0rd!-long"}
    response = post(api_client, url, data, language)
    assert response.status_code == 404
    assert response.json() == {"detail": EXPECTED[language]["invalid_token"]}
    assert response["Content-Language"].lower() == language.lower()


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_unknown_account_message_follows_accept_language(api_client, db, language) -> None:
    with resetkit_overrides(NO_INFORMATION_LEAKAGE=False):
        response = post(api_client, REQUEST, {"email": "nobody@example.com"}, language)
    assert response.status_code == 400
    assert response.json() == {"email": [EXPECTED[language]["no_account"]]}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_field_errors_follow_accept_language(api_client, language) -> None:
    required = in_language(language, "This field is required.")
    invalid_email = in_language(language, "Enter a valid email address.")
    if language != "en":
        assert required != "This field is required."

    response = post(api_client, VALIDATE, {}, language)
    assert response.status_code == 400
    assert response.json() == {"token": [required]}

    response = post(api_client, REQUEST, {"email": "not-an-address"}, language)
    assert response.status_code == 400
    assert response.json() == {"email": [invalid_email]}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_model_names_are_translated(language) -> None:
    with translation.override(language):
        assert str(ResetPasswordToken._meta.verbose_name) == EXPECTED[language]["verbose_name"]


def test_shipped_languages() -> None:
    assert {"de", "es", "fr", "pt_BR"} <= set(SHIPPED)


@pytest.mark.parametrize("locale", SHIPPED)
def test_catalog_is_complete(locale) -> None:
    """Every message has a translation, none is marked fuzzy (gettext would skip it)."""
    po = polib.pofile(str(LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"))
    assert po.metadata["Language"] == locale
    assert not po.metadata_is_fuzzy
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
    assert len(po.translated_entries()) > 20


@pytest.mark.parametrize("locale", SHIPPED)
def test_compiled_catalog_matches_its_source(locale) -> None:
    """The committed ``.mo`` (what Django reads; no gettext is needed to install) is the
    compilation of the committed ``.po``."""

    def messages(catalog: Any) -> dict[str, Any]:
        return {
            entry.msgid: (entry.msgstr_plural and dict(entry.msgstr_plural)) or entry.msgstr
            for entry in catalog
            if not entry.obsolete
        }

    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    assert messages(polib.mofile(str(folder / "django.mo"))) == messages(
        polib.pofile(str(folder / "django.po"))
    )


@pytest.mark.parametrize("language", ["de", "es", "fr", "pt-BR"])
def test_staff_api_and_admin_follow_accept_language(make_user, language) -> None:
    from django.test import Client

    from resetkit.staff.views import CANNOT_LIST_ERROR

    staff = make_user(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    with resetkit_overrides(TOKEN_STORE="resetkit.backends.cache.CacheTokenStore"):
        response = client.get("/staff/tokens/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 501
    detail = response.json()["detail"]
    assert detail == in_language(language, CANNOT_LIST_ERROR)
    assert detail != in_language("en", CANNOT_LIST_ERROR)

    ORMTokenStore().create_token(staff, "a-key-for-the-admin-to-list-0123")
    page = client.get("/admin/resetkit/resetpasswordtoken/", HTTP_ACCEPT_LANGUAGE=language)
    action = "Revoke all reset tokens of the selected tokens' users"
    assert in_language(language, action) != in_language("en", action)
    assert in_language(language, action) in page.content.decode()


@pytest.mark.gettext
def test_catalogs_hold_every_message_of_the_code(tmp_path, monkeypatch) -> None:
    """``makemessages`` over a copy of the package finds nothing the catalogs lack.

    Needs Debian's ``gettext`` (``xgettext``), so it runs only with ``-m gettext``
    (``make check-translations``, which installs it).
    """
    import shutil

    from django.core.management import call_command

    assert shutil.which("xgettext"), "makemessages needs GNU gettext: apt-get install gettext"
    copy = tmp_path / "resetkit"
    shutil.copytree(LOCALE_DIR.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(copy)
    call_command("makemessages", all=True, add_location="file", verbosity=0)

    fix = (
        "run `cd resetkit && django-admin makemessages --all --add-location file`, translate "
        "the new or changed entries, then `django-admin compilemessages`"
    )
    for locale in SHIPPED:
        committed = polib.pofile(str(LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"))
        fresh = polib.pofile(str(copy / "locale" / locale / "LC_MESSAGES" / "django.po"))
        current = {entry.msgid for entry in fresh if not entry.obsolete}
        assert current == {entry.msgid for entry in committed if not entry.obsolete}, (
            f"{locale}: the catalog is out of date with the code; {fix}"
        )
