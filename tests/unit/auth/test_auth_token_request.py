"""Building the token request: body format, client authentication, scope and audience."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, unquote_plus

import pytest
from pydantic import SecretStr

from ozon_mcp.adapters.auth import TokenEndpointConfig
from ozon_mcp.adapters.auth.token_request import build_token_request
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.ports import ScopeSet

URL = "https://auth.example.com/oauth/token"
SECRET = "s3cret: with spaces & symbols/+"


def _config(**overrides: object) -> TokenEndpointConfig:
    values: dict[str, object] = {
        "token_url": URL,
        "client_id": "client 1",
        "client_secret": SecretStr(SECRET),
    }
    values.update(overrides)
    return TokenEndpointConfig(**values)  # type: ignore[arg-type]


def test_the_default_is_a_json_body_with_the_credentials_as_ozon_documents() -> None:
    prepared = build_token_request(_config(), ScopeSet())
    assert prepared.headers["Content-Type"] == "application/json"
    assert prepared.headers["Accept"] == "application/json"
    assert "Authorization" not in prepared.headers
    assert json.loads(prepared.content) == {
        "grant_type": "client_credentials",
        "client_id": "client 1",
        "client_secret": SECRET,
    }


def test_a_form_body_follows_rfc_6749() -> None:
    prepared = build_token_request(_config(request_format="form"), ScopeSet.parse("b a"))
    assert prepared.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(prepared.content.decode("ascii"))) == {
        "grant_type": "client_credentials",
        "client_id": "client 1",
        "client_secret": SECRET,
        "scope": "a b",
    }


@pytest.mark.parametrize("request_format", ["json", "form"])
def test_basic_client_authentication_keeps_the_secret_out_of_the_body(
    request_format: str,
) -> None:
    prepared = build_token_request(
        _config(client_auth="basic", request_format=request_format), ScopeSet()
    )
    scheme, _, token68 = prepared.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(token68).decode("utf-8").partition(":")
    assert (unquote_plus(user), unquote_plus(password)) == ("client 1", SECRET)
    assert b"client_secret" not in prepared.content
    assert b"client_id" not in prepared.content
    assert b"client_credentials" in prepared.content


def test_scope_and_audience_are_sent_when_configured() -> None:
    prepared = build_token_request(_config(audience="https://api.example.com"), ScopeSet.parse("x"))
    body = json.loads(prepared.content)
    assert body["scope"] == "x"
    assert body["audience"] == "https://api.example.com"


def test_the_prepared_request_has_no_secret_in_its_repr() -> None:
    prepared = build_token_request(_config(), ScopeSet())
    assert SECRET not in repr(prepared)
    assert SECRET not in repr(_config())


def test_config_reads_scope_text_or_a_scope_set() -> None:
    assert _config(scope="a,b c").scopes == ScopeSet(frozenset({"a", "b", "c"}))
    assert _config(scope=ScopeSet(frozenset({"z"}))).scopes.as_parameter() == "z"
    assert _config().cache_key.scopes == ScopeSet()


def test_config_accepts_a_plain_string_secret() -> None:
    config = _config(client_secret="plain-secret-value")
    assert isinstance(config.client_secret, SecretStr)
    assert config.secret_value == "plain-secret-value"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"client_id": " "}, "^client_id is empty"),
        ({"client_secret": SecretStr("")}, "^client_secret is empty"),
        ({"request_format": "xml"}, "^request_format must be 'json' or 'form'"),
        ({"client_auth": "jwt"}, "^client_auth must be 'post' or 'basic'"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"read_timeout": float("nan")}, "read_timeout"),
        ({"read_timeout": True}, "read_timeout"),
        ({"max_response_bytes": 10}, "max_response_bytes"),
        ({"token_url": "http://auth.example.com/token"}, "https"),
    ],
)
def test_invalid_settings_are_refused_with_the_setting_named(
    overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        _config(**overrides)
