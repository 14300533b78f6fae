"""The API profile: base URL, token URL, token request format, scheme, scopes and credentials
resolved from the settings and the spec (no network)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from openapi_support import HMRC, PAYPAL, VIRTO
from pydantic import SecretStr

from ozon_mcp.adapters.openapi import build_tools, load_spec, repair_spec
from ozon_mcp.adapters.openapi.security import NoAuth, OAuthAuth, StaticAuth, Unavailable
from ozon_mcp.app.api_profile import ApiProfile, endpoint_config, resolve_profile
from ozon_mcp.app.settings import OZON_API_BASE_URL, OZON_TOKEN_URL, Settings
from ozon_mcp.domain.errors import ConfigurationError

WEBHOOKS = "https://uri.paypal.com/services/applications/webhooks"
VERIFY = "https://uri.paypal.com/services/applications/verify-webhook-signature"


def settings(**values: Any) -> Settings:
    base: dict[str, Any] = {"oauth_client_id": "id", "oauth_client_secret": SecretStr("s")}
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[call-arg]


def profile_of(
    spec_source: Path | dict[str, Any] | None, env: dict[str, str] | None = None, **values: Any
) -> ApiProfile:
    if isinstance(spec_source, dict):
        spec = repair_spec(spec_source)
        values.setdefault("openapi_spec", "inline.json")
    else:
        spec = load_spec(spec_source)
        if spec_source is not None:
            values.setdefault("openapi_spec", str(spec_source))
    return resolve_profile(settings(**values), spec, build_tools(spec), environ=env or {})


def test_the_bundled_ozon_spec_keeps_the_ozon_defaults() -> None:
    profile = profile_of(None)
    assert profile.api_base_url == OZON_API_BASE_URL
    assert (profile.token_url, profile.token_url_source) == (OZON_TOKEN_URL, "spec")
    assert profile.request_format == "json"
    assert profile.client_auth == "post"
    assert profile.scope is None
    assert set(profile.tool_auth.values()) == {OAuthAuth(None, ())}


def test_paypal_relative_token_url_first_server_and_union_of_scopes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="ozon_mcp.profile"):
        profile = profile_of(PAYPAL)
    assert (profile.api_base_url, profile.api_base_url_source) == (
        "https://api-m.sandbox.paypal.com",
        "spec",
    )
    assert (profile.token_url, profile.token_url_source) == (
        "https://api-m.sandbox.paypal.com/v1/oauth2/token",
        "spec",
    )
    assert profile.oauth_scheme == "Oauth2"
    assert profile.request_format == "form"
    assert profile.client_auth == "post"
    assert profile.scope == f"{VERIFY} {WEBHOOKS}"
    assert not profile.per_operation
    assert profile.tool_auth["webhooks-event-types.list"] == OAuthAuth("Oauth2", ())
    assert not [r for r in caplog.records if "another host" in r.getMessage()]


def test_the_per_operation_strategy_starts_with_the_first_scope_set() -> None:
    profile = profile_of(PAYPAL, oauth_scope_strategy="PER-OPERATION")
    assert profile.per_operation
    assert profile.scope == WEBHOOKS


def test_oauth_scope_overrides_both_strategies() -> None:
    profile = profile_of(PAYPAL, oauth_scope="a b", oauth_scope_strategy="per-operation")
    assert (profile.scope, profile.per_operation) == ("a b", False)
    assert endpoint_config(settings(), profile).scopes.as_parameter() == "a b"


def test_hmrc_token_url_on_another_host_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ozon_mcp.profile"):
        profile = profile_of(HMRC)
    assert profile.api_base_url == "https://test-api.service.hmrc.gov.uk"
    assert profile.token_url == "https://api.service.hmrc.gov.uk/oauth/token"
    notes = [r for r in caplog.records if "another host" in r.getMessage()]
    assert len(notes) == 1
    assert profile.tool_auth["get_hello_world"] == NoAuth()
    assert profile.tool_auth["get_hello_application"] == OAuthAuth("applicationRestricted", ())
    assert isinstance(profile.tool_auth["get_hello_user"], Unavailable)


def test_virto_has_no_servers_so_api_base_url_is_required() -> None:
    with pytest.raises(ConfigurationError, match="API_BASE_URL is not set and the spec names no"):
        profile_of(VIRTO)
    profile = profile_of(VIRTO, api_base_url="https://shop.example.com/platform")
    assert profile.api_base_url_source == "env"
    assert profile.token_url == "https://shop.example.com/connect/token"
    assert profile.scope == (
        "inventory:fulfillment:delete inventory:fulfillment:edit inventory:fulfillment:read "
        "inventory:read inventory:update"
    )


def test_virto_static_credentials_are_read_and_oauth_comes_first() -> None:
    env = {"OPENAPI_CREDENTIAL_API_KEY_HEADER": "k-123"}
    profile = profile_of(VIRTO, env, api_base_url="https://shop.example.com", oauth_scheme="oauth2")
    assert set(profile.static) == {"api_key_header"}
    assert "k-123" not in repr(profile)  # SecretStr, never shown
    # OAuth comes first in the spec's alternatives and a token URL is known: it wins.
    search = profile.tool_auth["InventoryModule_SearchInventories"]
    assert search == OAuthAuth("oauth2", ("inventory:read",))


def test_env_token_url_wins_and_neither_is_a_clear_error() -> None:
    profile = profile_of(PAYPAL, oauth_token_url="https://auth.example.com/token")
    assert (profile.token_url, profile.token_url_source) == (
        "https://auth.example.com/token",
        "env",
    )
    no_schemes = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/x": {"get": {"operationId": "X", "responses": {}}}},
    }
    profile = profile_of(no_schemes)
    assert profile.token_url is None
    assert isinstance(profile.tool_auth["X"], Unavailable)
    with pytest.raises(ConfigurationError, match="OAUTH_TOKEN_URL is not set and the spec names"):
        endpoint_config(settings(), profile)


def _spec_with(servers: list[dict[str, Any]], flow: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": servers,
        "components": {
            "securitySchemes": {
                "cc": {"type": "oauth2", "flows": {"clientCredentials": flow}},
                "bearer": {"type": "http", "scheme": "bearer"},
            }
        },
        "security": [{"cc": ["read"]}],
        "paths": {
            "/x": {"get": {"operationId": "X", "responses": {}}},
            "/y": {"get": {"operationId": "Y", "security": [{"bearer": []}], "responses": {}}},
            "/z": {"get": {"operationId": "Z", "security": [], "responses": {}}},
        },
    }


def test_openapi_31_server_variables_and_basic_client_auth() -> None:
    document = _spec_with(
        [
            {
                "url": "https://{region}.api.example.com/{version}",
                "variables": {"region": {"default": "eu"}, "version": {"default": "v2"}},
            }
        ],
        {
            "tokenUrl": "oauth/token",
            "scopes": {"read": ""},
            "x-tokenEndpointAuthMethod": "client_secret_basic",
        },
    )
    env = {"OPENAPI_CREDENTIAL_BEARER": "tok"}
    profile = profile_of(document, env)
    assert profile.api_base_url == "https://eu.api.example.com/v2"
    assert profile.token_url == "https://eu.api.example.com/v2/oauth/token"
    assert profile.client_auth == "basic"
    assert profile.request_format == "form"
    assert profile.tool_auth == {
        "X": OAuthAuth("cc", ("read",)),
        "Y": StaticAuth("http_bearer", "bearer"),
        "Z": NoAuth(),
    }
    explicit = profile_of(
        document, env, oauth_client_auth="post", oauth_token_request_format="json"
    )
    assert (explicit.client_auth, explicit.request_format) == ("post", "json")


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"url": "/api"}, "is not an absolute http"),
        ({"url": "https://{tenant}.example.com", "variables": {}}, "has no default"),
        ({"url": "http://api.example.com"}, "API_BASE_URL uses http://"),
    ],
)
def test_unusable_server_urls_ask_for_api_base_url(server: dict[str, Any], message: str) -> None:
    document = _spec_with([server], {"tokenUrl": "https://a.example.com/t", "scopes": {}})
    with pytest.raises(ConfigurationError, match=message):
        profile_of(document)


def test_oauth_scheme_must_name_a_client_credentials_scheme() -> None:
    with pytest.raises(
        ConfigurationError, match=r"OAUTH_SCHEME: 'nope' is not .* \(it has: Oauth2\)"
    ):
        profile_of(PAYPAL, oauth_scheme="nope")


def test_several_client_credentials_schemes_pick_the_most_used_and_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = _spec_with([{"url": "https://api.example.com"}], {"tokenUrl": "/t", "scopes": {}})
    document["components"]["securitySchemes"]["other"] = {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "https://other.example.com/t", "scopes": {}}},
    }
    document["paths"]["/w"] = {"get": {"operationId": "W", "security": [{"other": []}]}}
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.profile"):
        profile = profile_of(document)
    assert profile.oauth_scheme == "cc"
    assert "set OAUTH_SCHEME" in caplog.records[-1].getMessage()
    assert isinstance(profile.tool_auth["W"], Unavailable)
    chosen = profile_of(document, oauth_scheme="other")
    assert chosen.token_url == "https://other.example.com/t"
    assert chosen.tool_auth["W"] == OAuthAuth("other", ())
    assert isinstance(chosen.tool_auth["X"], Unavailable)


def test_without_client_credentials_oauth_tools_say_what_to_set() -> None:
    spec = load_spec(HMRC)
    bare = Settings(_env_file=None, openapi_spec=str(HMRC))  # type: ignore[call-arg]
    profile = resolve_profile(bare, spec, build_tools(spec), environ={})
    application = profile.tool_auth["get_hello_application"]
    assert isinstance(application, Unavailable)
    assert application.reason == (
        "client-credentials scheme 'applicationRestricted' (set OAUTH_CLIENT_ID, "
        "OAUTH_CLIENT_SECRET)"
    )
    assert profile.tool_auth["get_hello_world"] == NoAuth()  # open needs nothing
