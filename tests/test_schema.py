"""The OpenAPI 3 schema drf-spectacular generates for the endpoints (``resetkit.schema``).

The schema is generated from this module's own ``urlpatterns`` (the plain URLs and the router,
as ``tests/urls.py`` mounts them), checked against the OpenAPI 3 specification, and the
answers the endpoints really give are checked against what it documents.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import patched_settings
from drf_spectacular.utils import extend_schema
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import validate as validate_spec
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.routers import SimpleRouter

from resetkit.backends.orm import ORMTokenStore
from resetkit.codes.urls import add_reset_password_code_urls_to_router
from resetkit.mixins import TokenIssueMixin
from resetkit.schema import REQUEST_TOKEN, extend_schema_kwargs
from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE, VALIDATE_TOKEN_SCOPE
from resetkit.urls import add_password_reset_viewset_to_router, add_reset_password_urls_to_router
from resetkit.views import ResetPasswordConfirm, ResetPasswordRequestToken
from tests.conftest import resetkit_overrides

router = SimpleRouter()
add_reset_password_urls_to_router(router, base_path="api/auth/passwordreset")
add_reset_password_code_urls_to_router(router, base_path="api/auth/passwordreset-code")
add_password_reset_viewset_to_router(router, base_path="api/auth/one-viewset")

urlpatterns = [
    path(
        "api/password_reset/code/",
        include("resetkit.codes.urls", namespace="password_reset_code"),
    ),
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path("router/", include(router.urls)),
]

REQUEST, VALIDATE, CONFIRM = "request", "validate", "confirm"
PATHS = {
    "/api/password_reset/": REQUEST,
    "/api/password_reset/validate_token/": VALIDATE,
    "/api/password_reset/confirm/": CONFIRM,
    "/router/api/auth/passwordreset/": REQUEST,
    "/router/api/auth/passwordreset/validate_token/": VALIDATE,
    "/router/api/auth/passwordreset/confirm/": CONFIRM,
    "/api/password_reset/code/": REQUEST,
    "/api/password_reset/code/validate/": VALIDATE,
    "/api/password_reset/code/confirm/": CONFIRM,
    "/router/api/auth/passwordreset-code/": REQUEST,
    "/router/api/auth/passwordreset-code/validate/": VALIDATE,
    "/router/api/auth/passwordreset-code/confirm/": CONFIRM,
    "/router/api/auth/one-viewset/": REQUEST,
    "/router/api/auth/one-viewset/validate_token/": VALIDATE,
    "/router/api/auth/one-viewset/confirm/": CONFIRM,
}
OPERATION_IDS = {
    "/api/password_reset/": "reset_password_request",
    "/api/password_reset/validate_token/": "reset_password_validate",
    "/api/password_reset/confirm/": "reset_password_confirm",
    "/router/api/auth/passwordreset/": "reset_password_request_create",
    "/router/api/auth/passwordreset/validate_token/": "reset_password_validate_create",
    "/router/api/auth/passwordreset/confirm/": "reset_password_confirm_create",
    "/api/password_reset/code/": "reset_password_code_request",
    "/api/password_reset/code/validate/": "reset_password_code_validate",
    "/api/password_reset/code/confirm/": "reset_password_code_confirm",
    "/router/api/auth/passwordreset-code/": "reset_password_code_request_create",
    "/router/api/auth/passwordreset-code/validate/": "reset_password_code_validate_create",
    "/router/api/auth/passwordreset-code/confirm/": "reset_password_code_confirm_create",
    "/router/api/auth/one-viewset/": "password_reset_request_create",
    "/router/api/auth/one-viewset/validate_token/": "password_reset_validate_create",
    "/router/api/auth/one-viewset/confirm/": "password_reset_confirm_create",
}
STATUSES = {
    REQUEST: {"200", "400", "406", "415", "429", "503"},
    VALIDATE: {"200", "400", "404", "406", "415", "429", "503"},
    CONFIRM: {"200", "400", "404", "406", "415", "429", "503"},
}
SCOPES = {
    REQUEST: REQUEST_TOKEN_SCOPE,
    VALIDATE: VALIDATE_TOKEN_SCOPE,
    CONFIRM: RESET_CONFIRM_SCOPE,
}
SPECTACULAR = "drf_spectacular.openapi.AutoSchema"


def spectacular_configured() -> override_settings:
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS": SPECTACULAR}
    )


def generate(patterns: list[Any] | None = None, **spectacular: Any) -> dict[str, Any]:
    """The schema as a client downloads it (JSON, so lazy strings are plain strings), with
    ``SPECTACULAR_SETTINGS`` patched by ``spectacular`` (they are not reloaded on change)."""
    with spectacular_configured(), patched_settings(spectacular):
        schema = SchemaGenerator(patterns=patterns or urlpatterns).get_schema(public=True)
        document: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(schema))
    return document


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return generate()


def operation(spec: dict[str, Any], url: str) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][url]["post"]
    return op


def body_schema(spec: dict[str, Any], url: str, status: int | str) -> dict[str, Any]:
    """The component documented for ``status``, with its ``$ref`` resolved."""
    ref = operation(spec, url)["responses"][str(status)]["content"]["application/json"]["schema"]
    component: dict[str, Any] = spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return component


def assert_documented(spec: dict[str, Any], url: str, response: Any) -> None:
    """``response`` has a status documented for ``url`` and a body its schema accepts."""
    responses = operation(spec, url)["responses"]
    assert str(response.status_code) in responses, response.status_code
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    validate_instance(
        response.json(), {**schema, "components": spec["components"]}, cls=OAS30Validator
    )


# -- the document --------------------------------------------------------------------------------


@pytest.mark.parametrize("split_request", [False, True], ids=["shared", "split-request"])
def test_schema_is_valid_openapi_3_and_generates_without_warnings(capsys, split_request) -> None:
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()  # spectacular prints each distinct warning once per process
    document = generate(COMPONENT_SPLIT_REQUEST=split_request)
    validate_spec(document)
    assert document["openapi"].startswith("3.")
    assert capsys.readouterr().err == ""


def test_split_request_components_say_that_strings_may_not_be_blank() -> None:
    """With ``COMPONENT_SPLIT_REQUEST`` (advised for client generators), request bodies get
    their own components, which carry the rules that apply on the way in."""
    components = generate(COMPONENT_SPLIT_REQUEST=True)["components"]["schemas"]
    confirm = components["PasswordResetConfirmRequest"]["properties"]
    assert confirm["token"]["minLength"] == confirm["password"]["minLength"] == 1
    assert components["PasswordResetEmailRequest"]["required"] == ["email"]
    assert all(name.startswith("PasswordReset") for name in components)


def test_every_route_is_documented_once(spec) -> None:
    assert set(spec["paths"]) == set(PATHS)
    assert all(set(methods) == {"post"} for methods in spec["paths"].values())


@pytest.mark.parametrize("url", sorted(PATHS))
def test_operation_ids_tags_and_summaries(spec, url: str) -> None:
    op = operation(spec, url)
    assert op["operationId"] == OPERATION_IDS[url]
    assert op["tags"] == ["password-reset"]
    assert op["summary"]


@pytest.mark.parametrize("url", sorted(PATHS))
def test_each_status_the_endpoint_can_answer_is_documented(spec, url: str) -> None:
    assert set(operation(spec, url)["responses"]) == STATUSES[PATHS[url]]


@pytest.mark.parametrize("url", sorted(PATHS))
def test_description_names_the_throttle_scope(spec, url: str) -> None:
    description = operation(spec, url)["description"]
    assert f"`{SCOPES[PATHS[url]]}`" in description
    other_scopes = set(SCOPES.values()) - {SCOPES[PATHS[url]]}
    assert not any(scope in description for scope in other_scopes)


@pytest.mark.parametrize("url", sorted(PATHS))
def test_retry_after_is_documented_on_429_and_503(spec, url: str) -> None:
    responses = operation(spec, url)["responses"]
    for status in ("429", "503"):
        assert responses[status]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "headers" not in responses["200"]


def test_request_bodies(spec) -> None:
    def request_component(url: str) -> dict[str, Any]:
        content = operation(spec, url)["requestBody"]["content"]
        assert set(content) >= {"application/json", "application/x-www-form-urlencoded"}
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        component: dict[str, Any] = spec["components"]["schemas"][name]
        return component

    email = request_component("/api/password_reset/")
    assert email["required"] == ["email"]
    assert email["properties"]["email"]["format"] == "email"
    validate = request_component("/api/password_reset/validate_token/")
    assert validate["required"] == ["token"]
    confirm = request_component("/api/password_reset/confirm/")
    assert sorted(confirm["required"]) == ["password", "token"]
    assert request_component("/router/api/auth/passwordreset/confirm/") == confirm
    # Long tokens (the default generator) come alone: upstream's request bodies.
    for component in (validate, confirm):
        assert "email" not in component["properties"]

    assert request_component("/api/password_reset/code/") == email
    code = request_component("/api/password_reset/code/validate/")
    assert sorted(code["required"]) == ["code", "email"]
    assert code["properties"]["code"]["pattern"] == "^[0-9]+$"
    code_confirm = request_component("/api/password_reset/code/confirm/")
    assert sorted(code_confirm["required"]) == ["code", "email", "password"]
    assert request_component("/router/api/auth/passwordreset-code/confirm/") == code_confirm
    assert request_component("/router/api/auth/passwordreset-code/validate/") == code


def test_component_names_are_prefixed(spec) -> None:
    """Generic names such as ``Email`` would collide with a project's own serializers."""
    assert all(name.startswith("PasswordReset") for name in spec["components"]["schemas"])


def test_success_bodies(spec) -> None:
    status_ok = body_schema(spec, "/api/password_reset/", 200)
    assert status_ok["required"] == ["status"]
    assert status_ok["properties"]["status"]["pattern"] == "^OK$"
    assert body_schema(spec, "/api/password_reset/confirm/", 200) == status_ok
    validation = body_schema(spec, "/api/password_reset/validate_token/", 200)
    assert validation["required"] == ["status"]
    assert set(validation["properties"]) == {"status", "username", "email"}


def test_error_bodies(spec) -> None:
    for url, status in [
        ("/api/password_reset/", 429),
        ("/api/password_reset/validate_token/", 404),
        ("/api/password_reset/confirm/", 503),
    ]:
        assert body_schema(spec, url, status)["required"] == ["detail"]
    fields = {
        "/api/password_reset/": {"email"},
        "/api/password_reset/validate_token/": {"token", "email"},
        "/api/password_reset/confirm/": {"token", "email", "password"},
        "/api/password_reset/code/": {"email"},
        "/api/password_reset/code/validate/": {"email", "code"},
        "/api/password_reset/code/confirm/": {"email", "code", "password"},
    }
    for url, names in fields.items():
        errors = body_schema(spec, url, 400)
        assert set(errors["properties"]) == names | {"detail", "non_field_errors"}
        assert "required" not in errors
        assert errors["properties"]["non_field_errors"]["type"] == "array"


# -- real answers match the document ---------------------------------------------------------------


@pytest.fixture
def key(api_client, user, signals) -> str:
    api_client.post("/api/password_reset/", {"email": user.email}, format="json")
    return str(signals.keys[0])


@pytest.mark.django_db
def test_request_answers_are_documented(api_client, spec, user) -> None:
    url = "/api/password_reset/"
    answers = [
        api_client.post(url, {"email": user.email}, format="json"),
        api_client.post(url, {"email": "not-an-address"}, format="json"),
        api_client.post(url, b"{", content_type="application/json"),
        api_client.post(url, b"[1, 2]", content_type="application/json"),
        api_client.post(url, b"email=x", content_type="text/plain"),
        api_client.post(url, {"email": user.email}, format="json", HTTP_ACCEPT="application/xml"),
    ]
    assert [a.status_code for a in answers] == [200, 400, 400, 400, 415, 406]
    for answer in answers:
        assert_documented(spec, url, answer)


@pytest.mark.django_db
def test_legacy_400_for_an_unknown_account_is_documented(api_client, spec) -> None:
    with resetkit_overrides(NO_INFORMATION_LEAKAGE=False):
        answer = api_client.post(
            "/api/password_reset/", {"email": "nobody@example.com"}, format="json"
        )
    assert answer.status_code == 400
    assert_documented(spec, "/api/password_reset/", answer)


@pytest.mark.django_db
@pytest.mark.parametrize("details", [False, True])
def test_validate_answers_are_documented(api_client, spec, key, details: bool) -> None:
    url = "/api/password_reset/validate_token/"
    with resetkit_overrides(USER_DETAILS_ON_VALIDATION=details):
        good = api_client.post(url, {"token": key}, format="json")
    bad = api_client.post(url, {"token": "no-such-token"}, format="json")
    empty = api_client.post(url, {"token": ""}, format="json")
    assert [good.status_code, bad.status_code, empty.status_code] == [200, 404, 400]
    assert ("username" in good.json()) is details
    for answer in (good, bad, empty):
        assert_documented(spec, url, answer)


@pytest.mark.django_db
def test_confirm_answers_are_documented(api_client, spec, key) -> None:
    url = "/api/password_reset/confirm/"
    weak = api_client.post(url, {"token": key, "password": "123"}, format="json")
    done = api_client.post(url, {"token": key, "password": "a-much-better-Passw0rd"}, format="json")
    spent = api_client.post(
        url, {"token": key, "password": "a-much-better-Passw0rd"}, format="json"
    )
    assert [weak.status_code, done.status_code, spent.status_code] == [400, 200, 404]
    assert "password" in weak.json()
    for answer in (weak, done, spent):
        assert_documented(spec, url, answer)


@pytest.mark.django_db
def test_code_answers_are_documented(api_client, spec, user) -> None:
    from resetkit.signals import reset_code_created

    codes: list[str] = []

    def keep(reset_password_token: Any, **kwargs: Any) -> None:
        codes.append(reset_password_token.key)

    reset_code_created.connect(keep, dispatch_uid="test-schema-codes")
    try:
        request = api_client.post("/api/password_reset/code/", {"email": user.email}, format="json")
    finally:
        reset_code_created.disconnect(dispatch_uid="test-schema-codes")
    [code] = codes
    with resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]):
        validate = "/api/password_reset/code/validate/"
        confirm = "/api/password_reset/code/confirm/"
        answers = {
            validate: [
                api_client.post(validate, {"email": user.email, "code": code}, format="json"),
                api_client.post(validate, {"email": user.email, "code": "1"}, format="json"),
                api_client.post(validate, {"email": user.email, "code": "x"}, format="json"),
            ],
            confirm: [
                api_client.post(
                    confirm,
                    {"email": user.email, "code": code, "password": "a-much-better-Passw0rd"},
                    format="json",
                ),
            ],
            "/api/password_reset/validate_token/": [
                api_client.post(
                    "/api/password_reset/validate_token/",
                    {"token": "x", "email": ""},
                    format="json",
                ),
            ],
        }
    assert request.status_code == 200
    assert [a.status_code for a in answers[validate]] == [200, 404, 400]
    assert answers[confirm][0].status_code == 200
    assert_documented(spec, "/api/password_reset/code/", request)
    for url, replies in answers.items():
        for answer in replies:
            assert_documented(spec, url, answer)


@pytest.mark.django_db
def test_throttled_answers_are_documented(api_client, spec, settings) -> None:
    settings.REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {REQUEST_TOKEN_SCOPE: "1/day", VALIDATE_TOKEN_SCOPE: "1/day"},
    }
    for url, body in [
        ("/api/password_reset/", {"email": "nobody@example.com"}),
        ("/api/password_reset/validate_token/", {"token": "no-such-token"}),
    ]:
        api_client.post(url, body, format="json")
        throttled = api_client.post(url, body, format="json")
        assert throttled.status_code == 429
        assert int(throttled["Retry-After"]) > 0
        assert_documented(spec, url, throttled)


@pytest.mark.django_db
def test_unavailable_answer_is_documented(api_client, spec, monkeypatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(ORMTokenStore, "get_token", down)
    url = "/router/api/auth/passwordreset/confirm/"
    answer = api_client.post(url, {"token": "abc", "password": "a-new-Passw0rd"}, format="json")
    assert answer.status_code == 503
    assert int(answer["Retry-After"]) > 0
    assert_documented(spec, url, answer)


# -- subclasses ------------------------------------------------------------------------------------


class PhoneSerializer(serializers.Serializer):
    phone = serializers.CharField()


def project_patterns() -> list[Any]:
    """Subclasses a project might write, annotated as a project does: with drf-spectacular
    already configured (``@extend_schema`` builds on ``DEFAULT_SCHEMA_CLASS`` when applied)."""

    class PhoneRequest(ResetPasswordRequestToken):
        serializer_class = PhoneSerializer

    class AnnotatedConfirm(ResetPasswordConfirm):
        @extend_schema(summary="Choose your new password", operation_id="choose_password")
        def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            return super().post(request, *args, **kwargs)

    @extend_schema(tags=["accounts"])
    class TaggedConfirm(ResetPasswordConfirm):
        pass

    return [
        path("phone/", PhoneRequest.as_view()),
        path("annotated/", AnnotatedConfirm.as_view()),
        path("tagged/", TaggedConfirm.as_view()),
    ]


def test_subclasses_inherit_the_documentation_and_their_own_annotations_win() -> None:
    with spectacular_configured():
        patterns = project_patterns()
    document = generate(patterns)
    validate_spec(document)

    phone = operation(document, "/phone/")
    assert set(phone["responses"]) == STATUSES[REQUEST]
    assert phone["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Phone"
    }

    annotated = operation(document, "/annotated/")
    assert (annotated["summary"], annotated["operationId"]) == (
        "Choose your new password",
        "choose_password",
    )
    assert set(annotated["responses"]) == STATUSES[CONFIRM]
    assert annotated["tags"] == ["password-reset"]

    tagged = operation(document, "/tagged/")
    assert tagged["tags"] == ["accounts"]
    assert tagged["summary"] == "Set a new password with a reset token"
    assert set(tagged["responses"]) == STATUSES[CONFIRM]


def test_a_view_assembled_from_the_mixins_can_reuse_the_description() -> None:
    with spectacular_configured():

        class PhoneReset(TokenIssueMixin, GenericAPIView):
            serializer_class = PhoneSerializer

            @extend_schema(**{**extend_schema_kwargs(REQUEST_TOKEN), "operation_id": "phone_reset"})
            def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                return self.issue_tokens(request, *args, **kwargs)

    document = generate([path("phone/", PhoneReset.as_view())])
    validate_spec(document)
    phone = operation(document, "/phone/")
    assert phone["operationId"] == "phone_reset"
    assert set(phone["responses"]) == STATUSES[REQUEST]
    assert f"`{REQUEST_TOKEN_SCOPE}`" in phone["description"]


# -- without drf-spectacular -----------------------------------------------------------------------

WITHOUT_SPECTACULAR = textwrap.dedent(
    """
    import sys

    sys.modules["drf_spectacular"] = None  # as if the "spectacular" extra were not installed

    import django

    django.setup()

    from rest_framework.test import APIRequestFactory

    import resetkit.urls  # the URLconf builds every view
    from resetkit.testing import capture_issue_jobs
    from resetkit.views import ResetPasswordRequestToken, ResetPasswordValidateTokenViewSet

    factory = APIRequestFactory()
    view = ResetPasswordRequestToken.as_view()
    bad = view(factory.post("/", {"email": "nope"}, format="json"))
    with capture_issue_jobs():  # no tables here: the issuing work is not the point
        good = view(factory.post("/", {"email": "alice@example.com"}, format="json"))
    viewset = ResetPasswordValidateTokenViewSet.as_view({"post": "create"})
    missing = viewset(factory.post("/", {}, format="json"))
    print(bad.status_code, sorted(bad.data), good.status_code, good.data, missing.status_code)
    """
)


def test_resetkit_works_without_drf_spectacular() -> None:
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_SPECTACULAR],
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["400", "['email']", "200", "{'status':", "'OK'}", "400"]


def test_short_codes_add_a_required_email_to_validate_and_confirm() -> None:
    six_digits = {
        "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
        "OPTIONS": {"min_number": 100000, "max_number": 999999},
    }
    with resetkit_overrides(TOKEN_GENERATOR=six_digits):
        spec = generate()
    for url, required in (
        ("/api/password_reset/validate_token/", ["email", "token"]),
        ("/api/password_reset/confirm/", ["email", "password", "token"]),
    ):
        content = operation(spec, url)["requestBody"]["content"]
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        component = spec["components"]["schemas"][name]
        assert sorted(component["required"]) == required
        assert "short code" in component["properties"]["email"]["description"]
        assert component["properties"]["email"]["maxLength"] == 254
