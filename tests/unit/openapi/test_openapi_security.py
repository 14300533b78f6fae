"""Security schemes and per-operation requirements: the three real specs and hand-made cases."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_support import HMRC, PAYPAL, VIRTO, make_spec

from ozon_mcp.adapters.openapi import build_tools, load_spec, repair_spec
from ozon_mcp.adapters.openapi.security import (
    Credentials,
    NoAuth,
    OAuthAuth,
    OperationSecurity,
    Requirement,
    StaticAuth,
    Unavailable,
    detect_schemes,
    resolve_auth,
    scheme_env_prefix,
    used_client_credentials,
)

WEBHOOKS = "https://uri.paypal.com/services/applications/webhooks"
VERIFY = "https://uri.paypal.com/services/applications/verify-webhook-signature"


def securities(path: Any) -> dict[str, OperationSecurity]:
    return {tool.name: tool.security for tool in build_tools(load_spec(path))}


def test_paypal_scheme_token_url_and_scopes_are_detected() -> None:
    schemes = detect_schemes(load_spec(PAYPAL).document)
    assert list(schemes) == ["Oauth2"]
    oauth = schemes["Oauth2"]
    assert oauth.kind == "oauth2_client_credentials"
    assert oauth.token_url == "/v1/oauth2/token"
    assert oauth.scopes == (WEBHOOKS, VERIFY)


def test_paypal_per_operation_scopes_and_the_undeclared_operation() -> None:
    found = securities(PAYPAL)
    assert found["webhooks.list"] == OperationSecurity(
        "required", "operation", (Requirement((("Oauth2", (WEBHOOKS,)),)),)
    )
    verify = found["verify-webhook-signature.post"]
    assert verify.alternatives == (Requirement((("Oauth2", (WEBHOOKS, VERIFY)),)),)
    # Declares nothing and there is no global requirement: the only client-credentials scheme.
    undeclared = found["webhooks-event-types.list"]
    assert (undeclared.kind, undeclared.source) == ("required", "implicit")
    assert undeclared.alternatives == (Requirement((("Oauth2", ()),)),)
    schemes = detect_schemes(load_spec(PAYPAL).document)
    ready = Credentials("Oauth2", oauth_ready=True)
    assert resolve_auth(verify, schemes, ready) == OAuthAuth(
        "Oauth2", tuple(sorted([WEBHOOKS, VERIFY]))
    )
    assert resolve_auth(undeclared, schemes, ready) == OAuthAuth("Oauth2", ())


def test_hmrc_anonymous_authorization_code_and_client_credentials() -> None:
    schemes = detect_schemes(load_spec(HMRC).document)
    assert {name: s.kind for name, s in schemes.items()} == {
        "userRestricted": "oauth2_other",
        "applicationRestricted": "oauth2_client_credentials",
    }
    assert (
        schemes["applicationRestricted"].token_url == "https://api.service.hmrc.gov.uk/oauth/token"
    )
    found = securities(HMRC)
    assert sorted(found) == ["get_hello_application", "get_hello_user", "get_hello_world"]
    ready = Credentials("applicationRestricted", oauth_ready=True)
    assert found["get_hello_world"].is_open
    assert resolve_auth(found["get_hello_world"], schemes, ready) == NoAuth()
    assert resolve_auth(found["get_hello_application"], schemes, ready) == OAuthAuth(
        "applicationRestricted", ()
    )
    user = resolve_auth(found["get_hello_user"], schemes, ready)
    assert isinstance(user, Unavailable)
    assert "userRestricted" in user.reason
    assert "authorizationCode" in user.reason


def test_virto_alternatives_in_spec_order_and_static_fallbacks() -> None:
    schemes = detect_schemes(load_spec(VIRTO).document)
    assert {name: s.kind for name, s in schemes.items()} == {
        "oauth2": "oauth2_client_credentials",
        "api_key": "api_key",
        "api_key_header": "api_key",
        "http-signature": "unsupported",
        "basic": "http_basic",
    }
    assert schemes["oauth2"].token_url == "/connect/token"
    assert schemes["api_key"].key_in == "query"
    assert schemes["api_key_header"].key_in == "header"
    search = securities(VIRTO)["InventoryModule_SearchInventories"]
    assert len(search.alternatives) == 5
    oauth_ready = Credentials("oauth2", oauth_ready=True)
    assert resolve_auth(search, schemes, oauth_ready) == OAuthAuth("oauth2", ("inventory:read",))
    key_only = Credentials("oauth2", oauth_ready=False, static_schemes=frozenset({"api_key"}))
    assert resolve_auth(search, schemes, key_only) == StaticAuth("api_key", "api_key")
    nothing = resolve_auth(search, schemes, Credentials(None, oauth_ready=False))
    assert isinstance(nothing, Unavailable)
    assert "OPENAPI_CREDENTIAL_API_KEY_HEADER" in nothing.reason
    assert "OPENAPI_CREDENTIAL_BASIC_USERNAME" in nothing.reason
    assert "http-signature" in nothing.reason


def test_used_client_credentials_are_ranked_by_use() -> None:
    found = securities(VIRTO)
    schemes = detect_schemes(load_spec(VIRTO).document)
    assert used_client_credentials(list(found.values()), schemes) == ["oauth2"]


def _document(**extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "components": {
            "securitySchemes": {
                "cc": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {"a": ""}}},
                },
                "key": {"type": "apiKey", "name": "X-Key", "in": "header"},
            }
        },
        **extra,
    }


def test_security_empty_list_overrides_a_global_requirement() -> None:
    document = _document(
        security=[{"cc": ["a"]}],
        paths={
            "/open": {"get": {"operationId": "Open", "security": [], "responses": {}}},
            "/anon": {"get": {"operationId": "Anon", "security": [{}, {"cc": []}]}},
            "/inherits": {"get": {"operationId": "Inherits", "responses": {}}},
        },
    )
    found = {t.name: t.security for t in build_tools(repair_spec(document))}
    assert found["Open"].is_open
    assert found["Open"].source == "operation"
    assert found["Anon"].is_open
    assert found["Inherits"] == OperationSecurity(
        "required", "global", (Requirement((("cc", ("a",)),)),)
    )


def test_no_scheme_at_all_is_unspecified_and_uses_the_configured_token() -> None:
    [tool] = build_tools(make_spec({"/x": {"get": {"operationId": "X", "responses": {}}}}))
    assert tool.security.kind == "unspecified"
    assert resolve_auth(tool.security, {}, Credentials(None, oauth_ready=True)) == OAuthAuth(
        None, ()
    )
    missing = resolve_auth(tool.security, {}, Credentials(None, oauth_ready=False))
    assert isinstance(missing, Unavailable)
    assert "OAUTH_TOKEN_URL" in missing.reason


def test_a_requirement_naming_an_undefined_scheme_is_unavailable() -> None:
    document = _document(
        paths={"/x": {"get": {"operationId": "X", "security": [{"ghost": []}], "responses": {}}}}
    )
    [tool] = build_tools(repair_spec(document))
    schemes = detect_schemes(document)
    result = resolve_auth(tool.security, schemes, Credentials("cc", oauth_ready=True))
    assert isinstance(result, Unavailable)
    assert "'ghost' is not defined" in result.reason


def test_oauth_scheme_selection_makes_other_schemes_unavailable() -> None:
    document = _document()
    document["components"]["securitySchemes"]["other"] = {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "https://b.example/t", "scopes": {}}},
    }
    security = OperationSecurity("required", "operation", (Requirement((("other", ()),)),))
    result = resolve_auth(security, detect_schemes(document), Credentials("cc", oauth_ready=True))
    assert isinstance(result, Unavailable)
    assert "OAUTH_SCHEME selects 'cc'" in result.reason


def test_an_and_requirement_needs_every_scheme() -> None:
    schemes = detect_schemes(_document())
    both = OperationSecurity("required", "operation", (Requirement((("cc", ()), ("key", ()))),))
    assert isinstance(resolve_auth(both, schemes, Credentials("cc", oauth_ready=True)), Unavailable)
    full = Credentials("cc", oauth_ready=True, static_schemes=frozenset({"key"}))
    combined = resolve_auth(both, schemes, full)
    assert combined.as_json()["all_of"] == [
        {"type": "oauth2_client_credentials", "scheme": "cc", "scopes": []},
        {"type": "api_key", "scheme": "key"},
    ]


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("api_key", "OPENAPI_CREDENTIAL_API_KEY"),
        ("http-signature", "OPENAPI_CREDENTIAL_HTTP_SIGNATURE"),
        ("bearerAuth", "OPENAPI_CREDENTIAL_BEARERAUTH"),
        ("--", "OPENAPI_CREDENTIAL_SCHEME"),
    ],
)
def test_credential_variable_names(name: str, prefix: str) -> None:
    assert scheme_env_prefix(name) == prefix


def test_malformed_security_values_warn_and_never_crash() -> None:
    document = _document(
        paths={"/x": {"get": {"operationId": "X", "security": {"cc": []}, "responses": {}}}}
    )
    [tool] = build_tools(repair_spec(document))
    assert tool.security.kind == "unspecified"
    assert "security must be a list" in tool.security.warnings[0]


def test_a_parameter_an_api_key_scheme_fills_is_not_an_argument() -> None:
    document = _document(
        paths={
            "/x": {
                "get": {
                    "operationId": "X",
                    "security": [{"key": []}],
                    "parameters": [
                        {"name": "x-key", "in": "header", "required": True, "schema": {}},
                        {"name": "X-Key", "in": "query", "schema": {"type": "string"}},
                        {"name": "q", "in": "query", "required": True, "schema": {}},
                    ],
                    "responses": {},
                }
            },
            "/y": {
                "get": {
                    "operationId": "Y",
                    "security": [],
                    "parameters": [{"name": "X-Key", "in": "header", "schema": {}}],
                    "responses": {},
                }
            },
        }
    )
    tools = {t.name: t for t in build_tools(repair_spec(document))}
    assert set(tools["X"].input_schema["properties"]) == {"X-Key", "q"}  # the query one stays
    assert tools["X"].input_schema["required"] == ["q"]
    assert [b.location for b in tools["X"].parameters] == ["query", "query"]
    assert set(tools["Y"].input_schema["properties"]) == {"X-Key"}  # open: no key fills it
