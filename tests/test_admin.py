"""The token admin: who asked, when, from where; never the token nor its digest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import formats, timezone

from resetkit.backends.orm import ORMTokenStore
from resetkit.models import ResetPasswordToken
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/resetkit/resetpasswordtoken/"


@pytest.fixture
def admin_client(db: Any) -> Client:
    admin = get_user_model()._default_manager.create_superuser(
        username="root", email="root@example.com", password="root-Passw0rd!"
    )
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def tokens(make_user) -> dict[str, Any]:
    """One token each for alice and bob, issued as the request endpoint issues them."""
    store = ORMTokenStore()
    alice = make_user(email="alice@example.com", username="alice", first_name="Alicia")
    bob = make_user(email="bob@example.org", username="bob", first_name="Roberto")
    return {
        "alice": store.create_token(
            alice, "alice-secret-key-0123456789abcdef", ip_address="203.0.113.5",
            user_agent="AliceAgent/1.0",
        ),
        "bob": store.create_token(
            bob, "bob-secret-key-fedcba9876543210", ip_address="2001:db8::7",
            user_agent="BobAgent/2.0",
        ),
    }  # fmt: skip


def assert_no_secret(html: str, tokens: dict[str, Any]) -> None:
    for token in tokens.values():
        assert token.key not in html
        assert token.digest not in html
    assert "digest" not in html.lower()


def listed(response: Any) -> set[str]:
    return {token.user.get_username() for token in response.context["cl"].result_list}


def test_changelist_lists_tokens_without_secrets(admin_client, tokens) -> None:
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    for header in ("User", "Created at", "Expires at", "IP address", "User agent"):
        assert f">{header}<" in html
    for text in ("alice", "bob", "203.0.113.5", "2001:db8::7", "AliceAgent/1.0", "BobAgent/2.0"):
        assert text in html
    assert listed(response) == {"alice", "bob"}
    assert_no_secret(html, tokens)


def test_change_page_is_read_only_and_without_secrets(admin_client, tokens) -> None:
    token = tokens["alice"]
    response = admin_client.get(f"{CHANGELIST}{token.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "203.0.113.5" in html and "AliceAgent/1.0" in html
    assert 'name="_save"' not in html
    assert_no_secret(html, tokens)
    # A forged POST cannot edit a token either.
    response = admin_client.post(f"{CHANGELIST}{token.pk}/change/", {"ip_address": "1.1.1.1"})
    assert response.status_code == 403
    assert ResetPasswordToken.objects.get(pk=token.pk).ip_address == "203.0.113.5"


def test_tokens_cannot_be_added(admin_client, tokens) -> None:
    """Nobody would ever see the token of a row made here, so there is no add form."""
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    user = tokens["alice"].user
    response = admin_client.post(f"{CHANGELIST}add/", {"user": user.pk})
    assert response.status_code == 403
    assert ResetPasswordToken.objects.count() == 2
    assert f'href="{CHANGELIST}add/"' not in admin_client.get(CHANGELIST).content.decode()


def test_deleting_a_token_revokes_it(admin_client, tokens, api_client) -> None:
    alice, bob = tokens["alice"], tokens["bob"]
    validate = "/api/password_reset/validate_token/"
    assert api_client.post(validate, {"token": alice.key}, format="json").status_code == 200

    page = admin_client.get(f"{CHANGELIST}{alice.pk}/delete/")
    assert page.status_code == 200
    assert_no_secret(page.content.decode(), tokens)
    response = admin_client.post(f"{CHANGELIST}{alice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ResetPasswordToken.objects.filter(pk=alice.pk).exists()
    assert api_client.post(validate, {"token": alice.key}, format="json").status_code == 404
    assert api_client.post(validate, {"token": bob.key}, format="json").status_code == 200


def test_bulk_delete_action(admin_client, tokens) -> None:
    pks = [str(t.pk) for t in tokens.values()]
    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": pks, "post": "yes"}
    )
    assert response.status_code == 302
    assert ResetPasswordToken.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alice@example.com", {"alice"}),
        ("example.org", {"bob"}),
        ("EXAMPLE", {"alice", "bob"}),
        ("bob", {"bob"}),  # the username field is searched too
        ("nobody@example.com", set()),
    ],
)
def test_search_by_user_email(admin_client, tokens, query: str, expected: set[str]) -> None:
    response = admin_client.get(CHANGELIST, {"q": query})
    assert response.status_code == 200
    assert listed(response) == expected
    assert 'id="searchbar"' in response.content.decode()


def test_search_follows_the_user_models_email_field(admin_client, tokens, monkeypatch) -> None:
    """A user model whose e-mail lives in another field is searched by that field."""
    monkeypatch.setattr(get_user_model(), "EMAIL_FIELD", "first_name")
    assert listed(admin_client.get(CHANGELIST, {"q": "Roberto"})) == {"bob"}
    assert listed(admin_client.get(CHANGELIST, {"q": "alice@example.com"})) == set()


def test_list_is_newest_first(admin_client, tokens) -> None:
    older = tokens["alice"]
    ResetPasswordToken.objects.filter(pk=older.pk).update(
        created_at=older.created_at.replace(year=older.created_at.year - 1)
    )
    names = [t.user.get_username() for t in admin_client.get(CHANGELIST).context["cl"].result_list]
    assert names == ["bob", "alice"]


# -- state filter and revoke action ---------------------------------------------------------


@pytest.fixture
def aged(make_user, clock) -> dict[str, Any]:
    """alice: a token 25 hours old (expired under the default 24 h) and a fresh one; bob: a
    token 2 hours old; carol: a fresh one."""
    store = ORMTokenStore()
    alice = make_user(email="alice@example.com", username="alice")
    bob = make_user(email="bob@example.org", username="bob")
    carol = make_user(email="carol@example.net", username="carol")
    made = {"alice_old": store.create_token(alice, "alice-old-key-0123456789abcdef")}
    clock.shift(timedelta(hours=23))
    made["bob"] = store.create_token(bob, "bob-key-0123456789abcdef")
    clock.shift(timedelta(hours=2))
    made["alice_new"] = store.create_token(alice, "alice-new-key-0123456789abcdef")
    made["carol"] = store.create_token(carol, "carol-key-0123456789abcdef")
    return made


def listed_pks(response: Any) -> set[Any]:
    return {token.pk for token in response.context["cl"].result_list}


def test_state_filter(admin_client, aged) -> None:
    page = admin_client.get(CHANGELIST)
    html = page.content.decode()
    assert "By state" in html and "?state=active" in html and "?state=expired" in html
    expired = admin_client.get(CHANGELIST, {"state": "expired"})
    assert listed_pks(expired) == {aged["alice_old"].pk}
    active = admin_client.get(CHANGELIST, {"state": "active"})
    assert listed_pks(active) == {aged["bob"].pk, aged["alice_new"].pk, aged["carol"].pk}
    assert_no_secret(html, aged)


def test_state_filter_follows_the_current_expiry_setting(admin_client, aged) -> None:
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=1):
        expired = admin_client.get(CHANGELIST, {"state": "expired"})
        assert listed_pks(expired) == {aged["alice_old"].pk, aged["bob"].pk}
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=48):
        assert listed_pks(admin_client.get(CHANGELIST, {"state": "expired"})) == set()


def test_state_column_reads_as_words(admin_client, aged) -> None:
    html = admin_client.get(CHANGELIST).content.decode()
    assert ">State<" in html
    assert html.count('<td class="field-state">Expired</td>') == 1
    assert html.count('<td class="field-state">Active</td>') == 3
    # No yes/no icons: a red cross next to a live token read as "broken".
    assert "icon-no.svg" not in html and "icon-yes.svg" not in html


def test_dates_are_formatted_alike_in_the_list_and_on_the_change_page(admin_client, tokens) -> None:
    token = tokens["alice"]
    created = formats.localize(timezone.template_localtime(token.created_at))
    expires = formats.localize(timezone.template_localtime(token.expires_at))
    listed_html = admin_client.get(CHANGELIST).content.decode()
    change_html = admin_client.get(f"{CHANGELIST}{token.pk}/change/").content.decode()
    for html in (listed_html, change_html):
        assert created in html and expires in html
    assert str(token.expires_at) not in change_html
    assert '<div class="readonly">Active</div>' in change_html


def test_revoke_action_revokes_every_token_of_the_selected_users(
    admin_client, aged, api_client
) -> None:
    """Selecting one of alice's tokens revokes all of hers; bob's and carol's are untouched."""
    response = admin_client.post(
        CHANGELIST,
        {
            "action": "revoke_users_tokens",
            "_selected_action": [str(aged["alice_new"].pk), str(aged["bob"].pk)],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Revoked all password reset tokens of 2 users." in response.content.decode()
    remaining = set(ResetPasswordToken.objects.values_list("pk", flat=True))
    assert remaining == {aged["carol"].pk}
    validate = "/api/password_reset/validate_token/"
    for name in ("alice_new", "bob"):
        key = aged[name].key
        assert api_client.post(validate, {"token": key}, format="json").status_code == 404
    carol = aged["carol"].key
    assert api_client.post(validate, {"token": carol}, format="json").status_code == 200


def test_revoke_action_reaches_the_configured_cache_store(
    admin_client, aged, api_client, signals
) -> None:
    """With the cache store configured, the action also voids the tokens kept in the cache."""
    validate = "/api/password_reset/validate_token/"
    with resetkit_overrides(TOKEN_STORE="resetkit.backends.cache.CacheTokenStore"):
        api_client.post("/api/password_reset/", {"email": "alice@example.com"}, format="json")
        [cached] = signals.keys
        assert api_client.post(validate, {"token": cached}, format="json").status_code == 200
        admin_client.post(
            CHANGELIST,
            {"action": "revoke_users_tokens", "_selected_action": [str(aged["alice_new"].pk)]},
        )
        assert api_client.post(validate, {"token": cached}, format="json").status_code == 404
    assert not ResetPasswordToken.objects.filter(user=aged["alice_new"].user).exists()


def test_revoke_action_needs_delete_permission(admin_client, aged, make_user) -> None:
    from django.contrib.auth.models import Permission

    assert 'value="revoke_users_tokens"' in admin_client.get(CHANGELIST).content.decode()

    viewer = make_user(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_resetpasswordtoken"))
    client = Client()
    client.force_login(viewer)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert 'value="revoke_users_tokens"' not in page.content.decode()
    client.post(
        CHANGELIST,
        {"action": "revoke_users_tokens", "_selected_action": [str(aged["carol"].pk)]},
    )
    assert ResetPasswordToken.objects.count() == 4


# -- the send_reset_link action on a project's user admin --------------------------------------

USERS = "/useradmin/{app}/{model}/"
VALIDATE = "/api/password_reset/validate_token/"


def users_changelist() -> str:
    opts = get_user_model()._meta
    return USERS.format(app=opts.app_label, model=opts.model_name)


def send_links(client: Client, *users: Any) -> Any:
    return client.post(
        users_changelist(),
        {"action": "send_reset_link", "_selected_action": [str(u.pk) for u in users]},
        follow=True,
    )


def page_messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def targets(make_user) -> dict[str, Any]:
    return {
        "alice": make_user(email="alice@example.com", username="alice"),
        "bob": make_user(email="bob@example.org", username="bob"),
        "carol": make_user(email="carol@example.net", username="carol", is_active=False),
    }


def staff_client(make_user, *codenames: str, **extra: Any) -> Client:
    from django.contrib.auth.models import Permission

    user_opts = get_user_model()._meta
    staff = make_user(username="support", is_staff=True, **extra)
    staff.user_permissions.add(
        Permission.objects.get(
            content_type__app_label=user_opts.app_label, codename=f"view_{user_opts.model_name}"
        ),
        Permission.objects.get(
            content_type__app_label=user_opts.app_label,
            codename=f"change_{user_opts.model_name}",
        ),
        *Permission.objects.filter(content_type__app_label="resetkit", codename__in=codenames),
    )
    client = Client()
    client.force_login(staff)
    return client


def test_importable_from_resetkit_admin() -> None:
    from resetkit.admin import send_reset_link

    assert send_reset_link.short_description == "Send a password reset link to the selected users"


@pytest.mark.urls("tests.testapp.user_admin")
def test_send_action_is_offered_on_the_user_admin(admin_client, targets) -> None:
    page = admin_client.get(users_changelist())
    assert page.status_code == 200
    assert 'value="send_reset_link"' in page.content.decode()


@pytest.mark.urls("tests.testapp.user_admin")
@pytest.mark.parametrize("store", ["orm", "cache"])
def test_send_action_delivers_working_tokens(admin_client, targets, signals, store) -> None:
    from tests.conftest import STORES

    with resetkit_overrides(TOKEN_STORE=STORES[store]):
        response = send_links(admin_client, targets["alice"], targets["bob"], targets["carol"])
        assert response.status_code == 200
        html = response.content.decode()
        assert page_messages(response) == [
            "Sent a password reset link to 2 users.",
            "Skipped 1 user (not eligible: 1).",
        ]
        assert {token.user.pk for token in signals.tokens} == {
            targets["alice"].pk,
            targets["bob"].pk,
        }
        for key in signals.keys:
            assert key not in html
            status = Client().post(VALIDATE, {"token": key}, content_type="application/json")
            assert status.status_code == 200
    assert ResetPasswordToken.objects.exists() == (store == "orm")


@pytest.mark.urls("tests.testapp.user_admin")
def test_send_action_respects_the_account_budget(admin_client, targets, signals) -> None:
    alice = targets["alice"]
    for _ in range(3):
        assert page_messages(send_links(admin_client, alice)) == [
            "Sent a password reset link to 1 user."
        ]
    response = send_links(admin_client, alice, targets["bob"])
    assert page_messages(response) == [
        "Sent a password reset link to 1 user.",
        "Skipped 1 user (budget spent: 1).",
    ]
    response = send_links(admin_client, alice, targets["carol"])
    assert page_messages(response) == ["Skipped 2 users (budget spent: 1, not eligible: 1)."]
    assert len(signals.keys) == 4


@pytest.mark.urls("tests.testapp.user_admin")
def test_send_action_needs_the_add_permission(make_user, targets, signals) -> None:
    client = staff_client(make_user, "view_resetpasswordtoken", "delete_resetpasswordtoken")
    response = send_links(client, targets["alice"])
    assert response.status_code == 200
    [message] = page_messages(response)
    assert "permission" in message
    assert signals.created == []


@pytest.mark.urls("tests.testapp.user_admin")
def test_send_action_with_the_add_permission(make_user, targets, signals) -> None:
    client = staff_client(make_user, "add_resetpasswordtoken")
    response = send_links(client, targets["alice"])
    assert page_messages(response) == ["Sent a password reset link to 1 user."]
    [token] = signals.tokens
    assert token.user.pk == targets["alice"].pk


@pytest.mark.urls("tests.testapp.user_admin")
def test_send_action_is_logged(admin_client, targets, signals, caplog) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="resetkit"):
        send_links(admin_client, targets["alice"])
    [record] = [r for r in caplog.records if getattr(r, "reset_event", "") == "staff.link_sent"]
    assert record.reset_via == "admin"
    assert record.reset_sent is True
    assert record.reset_user_pk in (targets["alice"].pk, str(targets["alice"].pk))
    [key] = signals.keys
    assert key not in caplog.text


@pytest.mark.urls("tests.testapp.user_admin")
def test_send_action_uses_the_admins_request_view(
    admin_client, targets, signals, monkeypatch
) -> None:
    """A user admin's ``reset_request_view_class`` names the request view whose hooks run."""
    from tests.staff.test_send import NoBudgetRequestView
    from tests.testapp.user_admin import ResetLinkUserAdmin

    monkeypatch.setattr(
        ResetLinkUserAdmin, "reset_request_view_class", NoBudgetRequestView, raising=False
    )
    response = send_links(admin_client, targets["alice"])
    assert page_messages(response) == ["Skipped 1 user (budget spent: 1)."]
    assert signals.created == []
