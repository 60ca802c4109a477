"""Translations: the shipped catalogs are complete and compiled, and answers follow the client's
``Accept-Language`` when a project enables ``LocaleMiddleware``."""

# Letters that look like Latin ones (Cyrillic, Turkish dotless i) are meant in this file.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from django.test import override_settings
from django.utils import translation
from django.utils.html import escape

import resetkit
from resetkit.backends.orm import ORMTokenStore
from resetkit.models import ResetPasswordToken
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(resetkit.__file__).parent / "locale"
# Every catalog in the package is checked, so a language added later is covered too.
SHIPPED = sorted(path.name for path in LOCALE_DIR.iterdir() if path.is_dir())

# Python-format placeholders (%(name)s) and str.format ones ({name}).
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")

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
    "it": {
        "invalid_token": "La password monouso inserita non è valida. Controllala e riprova.",
        "no_account": "Non abbiamo trovato alcun account associato a questa e-mail. Prova con "
        "un altro indirizzo e-mail.",
        "verbose_name": "token di reimpostazione della password",
    },
    "ja": {
        "invalid_token": "入力されたワンタイムパスワードは無効です。"
        "確認してもう一度お試しください。",
        "no_account": "そのメールアドレスに関連付けられたアカウントが見つかりませんでした。"
        "別のメールアドレスをお試しください。",
        "verbose_name": "パスワードリセットトークン",
    },
    "nl": {
        "invalid_token": "Het ingevoerde eenmalige wachtwoord is ongeldig. Controleer het en "
        "probeer het opnieuw.",
        "no_account": "We konden geen account vinden dat aan dat e-mailadres is gekoppeld. "
        "Probeer een ander e-mailadres.",
        "verbose_name": "token voor het opnieuw instellen van het wachtwoord",
    },
    "pl": {
        "invalid_token": "Wprowadzone hasło jednorazowe jest nieprawidłowe. Sprawdź je i spróbuj "
        "ponownie.",
        "no_account": "Nie znaleźliśmy konta powiązanego z tym adresem e-mail. Spróbuj podać inny "
        "adres e-mail.",
        "verbose_name": "token resetowania hasła",
    },
    "ru": {
        "invalid_token": "Введённый одноразовый пароль недействителен. Проверьте его и попробуйте "
        "ещё раз.",
        "no_account": "Нам не удалось найти учётную запись, связанную с этим адресом электронной "
        "почты. Попробуйте указать другой адрес электронной почты.",
        "verbose_name": "токен сброса пароля",
    },
    "tr": {
        "invalid_token": "Girilen tek kullanımlık parola geçerli değil. Lütfen kontrol edip "
        "tekrar deneyin.",
        "no_account": "Bu e-posta adresiyle ilişkili bir hesap bulamadık. Lütfen farklı bir "
        "e-posta adresi deneyin.",
        "verbose_name": "parola sıfırlama token'ı",
    },
    "uk": {
        "invalid_token": "Введений одноразовий пароль недійсний. Перевірте його та спробуйте ще "
        "раз.",
        "no_account": "Нам не вдалося знайти обліковий запис, пов’язаний із цією електронною "
        "адресою. Спробуйте іншу адресу електронної пошти.",
        "verbose_name": "токен скидання пароля",
    },
    "zh-Hans": {
        "invalid_token": "输入的一次性密码无效。请检查后重试。",
        "no_account": "我们找不到与该电子邮件关联的账户。请尝试其他电子邮件地址。",
        "verbose_name": "密码重置令牌",
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
        ("it", "Italiano"),
        ("nl", "Nederlands"),
        ("pl", "Polski"),
        ("ru", "Русский"),
        ("uk", "Українська"),
        ("tr", "Türkçe"),
        ("ja", "日本語"),
        ("zh-hans", "简体中文"),
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
    assert {
        "de",
        "es",
        "fr",
        "pt_BR",
        "it",
        "nl",
        "pl",
        "ru",
        "uk",
        "tr",
        "ja",
        "zh_Hans",
    } <= set(SHIPPED)


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
def test_catalog_keeps_placeholders_and_plural_forms(locale) -> None:
    """Each translation holds the placeholders of its English text, and each plural entry has
    as many forms as the catalog's ``Plural-Forms`` header declares."""
    po = polib.pofile(str(LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"))
    nplurals = int(re.search(r"nplurals=(\d+);", po.metadata["Plural-Forms"]).group(1))
    for entry in po:
        if entry.obsolete:
            continue
        expected = sorted(set(PLACEHOLDER.findall(entry.msgid)))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if entry.msgid_plural:
            assert sorted(entry.msgstr_plural) == list(range(nplurals)), entry.msgid
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == expected, (entry.msgid, text)


# The admin's plural message, in languages with one, two and three forms.
@pytest.mark.parametrize(
    ("language", "count", "word"),
    [
        ("ja", 1, "人のユーザー"),
        ("ja", 5, "人のユーザー"),
        ("tr", 2, "kullanıcının"),
        ("pl", 1, "użytkownika"),
        ("pl", 3, "użytkowników"),
        ("pl", 12, "użytkowników"),
        ("ru", 1, "пользователя"),
        ("ru", 21, "пользователя"),
        ("ru", 11, "пользователей"),
        ("uk", 4, "користувачів"),
    ],
)
def test_plural_forms(language, count, word) -> None:
    with translation.override(language):
        text = translation.ngettext(
            "Revoked all password reset tokens of %(count)d user.",
            "Revoked all password reset tokens of %(count)d users.",
            count,
        ) % {"count": count}
    assert f"{count} {word}" in text


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


@pytest.mark.parametrize("language", sorted(set(EXPECTED) - {"en"}))
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
    # As rendered in HTML, where an apostrophe (as in the Turkish text) is escaped.
    assert escape(in_language(language, action)) in page.content.decode()


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
