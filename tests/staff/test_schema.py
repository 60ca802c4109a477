"""The staff API's OpenAPI schema: generated without a warning (``spectacular --fail-on-warn``),
with the revoke request's ``user`` typed as the user model's primary key."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import include, path
from drf_spectacular.management.commands.spectacular import Command as SpectacularCommand

urlpatterns = [
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path("api/staff/password_reset/", include("resetkit.staff.urls")),
]


@pytest.fixture
def schema() -> dict:
    out = StringIO()
    with override_settings(
        ROOT_URLCONF=__name__,
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        },
    ):
        # --fail-on-warn raises on any warning, the staff API's included.
        # The command object: drf_spectacular need not be in the suite's INSTALLED_APPS.
        call_command(
            SpectacularCommand(), "--fail-on-warn", "--validate", "--skip-checks", stdout=out
        )
    return yaml.safe_load(out.getvalue())


def test_schema_has_no_warning_and_types_the_user(schema) -> None:
    user = schema["components"]["schemas"]["RevokeUserTokens"]["properties"]["user"]
    assert "readOnly" not in user
    if get_user_model()._meta.pk.get_internal_type() == "UUIDField":
        assert user == {"type": "string", "format": "uuid"}
    else:
        assert user == {"type": "integer"}
    assert any(url.startswith("/api/staff/password_reset/") for url in schema["paths"])


def test_send_documents_its_answer_without_a_token(schema) -> None:
    operation = schema["paths"]["/api/staff/password_reset/send/"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request == {"$ref": "#/components/schemas/SendResetLink"}
    user = schema["components"]["schemas"]["SendResetLink"]["properties"]["user"]
    assert user["type"] in ("integer", "string") and "readOnly" not in user
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/SendResetLinkResult"}
    result = schema["components"]["schemas"]["SendResetLinkResult"]
    assert set(result["properties"]) == {"status", "sent", "reason", "detail"}
    assert set(result["required"]) == {"status", "sent", "reason"}
    assert result["properties"]["reason"]["type"] == "string"
