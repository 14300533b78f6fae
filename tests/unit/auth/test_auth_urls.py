"""Token URL validation: https everywhere, plain http only for this machine."""

from __future__ import annotations

import pytest

from ozon_mcp.adapters.auth import is_loopback_host, urls, validate_token_url
from ozon_mcp.domain.errors import ConfigurationError, Setting, SettingError


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """`*.localhost` names are resolved; here by a stand-in, never by a real resolver."""
    monkeypatch.setattr(urls, "resolve_addresses", lambda name: ["127.0.0.1"])


@pytest.mark.parametrize(
    "url",
    [
        "https://api-performance.ozon.ru/api/client/token",
        "https://auth.example.com:8443/oauth2/token?tenant=a",
        "http://127.0.0.1:8080/api/client/token",
        "http://127.10.20.30/token",
        "http://[::1]:9000/token",
        "http://localhost/token",
        "http://LOCALHOST:1234/token",
        "http://api.localhost/token",
    ],
)
def test_https_and_loopback_http_urls_are_accepted(url: str) -> None:
    assert validate_token_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://api-performance.ozon.ru/api/client/token",
        "http://10.0.0.5/token",
        "http://[2001:db8::1]/token",
        "http://localhost.example.com/token",
        "http://128.0.0.1/token",
    ],
)
def test_plain_http_to_another_host_is_refused_with_a_hint_to_use_https(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate_token_url(url)
    message = str(caught.value)
    assert "https://" in message
    assert message.startswith("token_url ")  # the fact; each edge words it
    assert isinstance(caught.value, SettingError)
    assert caught.value.setting is Setting.TOKEN_URL
    assert str(caught.value.worded({Setting.TOKEN_URL: "token_url="})).startswith("token_url= ")


@pytest.mark.parametrize(
    "url", ["", "api.example.com/token", "ftp://example.com/token", "https:///token", "/token"]
)
def test_urls_that_are_not_absolute_http_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="absolute https:// URL"):
        validate_token_url(url)


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        validate_token_url("https://me:hunter2-secret@auth.example.com/token")
    assert "hunter2-secret" not in str(caught.value)
    assert "client id and secret separately" in str(caught.value)


def test_a_malformed_port_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not a valid URL"):
        validate_token_url("https://auth.example.com:99999/token")


def test_the_setting_name_in_messages_can_be_chosen() -> None:
    with pytest.raises(ConfigurationError, match=r"MY_URL uses http://.*the access token"):
        validate_token_url("http://example.com", setting="MY_URL", carries="the access token")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost.", True),
        ("0.0.0.0", False),  # noqa: S104 - a host name under test; nothing binds to it
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_detection(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected
