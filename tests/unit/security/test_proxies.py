"""Environment proxies: an unencrypted proxy on another machine is refused for our URLs;
`*.localhost` is loopback only when it resolves to loopback."""

from __future__ import annotations

import pytest

from ozon_mcp.adapters.auth import urls
from ozon_mcp.adapters.auth.urls import is_loopback_host, proxy_problems, validate_token_url
from ozon_mcp.domain.errors import ConfigurationError

TARGETS = [
    ("OAUTH_TOKEN_URL", "https://auth.example.com/oauth/token"),
    ("API_BASE_URL", "https://api.example.com"),
]
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_an_http_proxy_on_another_machine_is_refused_naming_each_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pass@proxy.corp.example:3128")
    problems = proxy_problems(TARGETS)
    assert len(problems) == 2
    assert problems[0].startswith("OAUTH_TOKEN_URL:")
    assert problems[1].startswith("API_BASE_URL:")
    assert "http://proxy.corp.example:3128" in problems[0]
    assert "in clear" in problems[0]
    assert "pass" not in " ".join(problems)  # proxy credentials are never echoed


@pytest.mark.parametrize(
    ("variable", "proxy"),
    [
        ("HTTPS_PROXY", "https://proxy.corp.example:3129"),  # TLS to the proxy
        ("HTTPS_PROXY", "http://127.0.0.1:3128"),  # a proxy on this machine
        ("HTTP_PROXY", "http://proxy.corp.example:3128"),  # only for http:// targets
    ],
)
def test_encrypted_local_or_unused_proxies_are_fine(
    monkeypatch: pytest.MonkeyPatch, variable: str, proxy: str
) -> None:
    monkeypatch.setenv(variable, proxy)
    assert proxy_problems(TARGETS) == []


def test_no_proxy_exempts_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "auth.example.com")
    problems = proxy_problems(TARGETS)
    assert [p.split(":")[0] for p in problems] == ["API_BASE_URL"]


def test_a_loopback_target_through_a_remote_proxy_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The emulator at 127.0.0.1 over plain http: the secret would cross the network in clear.
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp.example:3128")
    problems = proxy_problems([("OAUTH_TOKEN_URL", "http://127.0.0.1:8080/token")])
    assert len(problems) == 1
    assert "NO_PROXY" in problems[0]


def test_a_localhost_subdomain_counts_only_when_it_resolves_to_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = {
        "api.localhost": ["127.0.0.1", "::1"],
        "evil.localhost": ["203.0.113.7"],
        "mixed.localhost": ["127.0.0.1", "203.0.113.7"],
        "nowhere.localhost": [],
    }
    assert is_loopback_host("api.localhost", resolve=answers.__getitem__)
    for name in ("evil.localhost", "mixed.localhost", "nowhere.localhost"):
        assert not is_loopback_host(name, resolve=answers.__getitem__), name
    monkeypatch.setattr(urls, "resolve_addresses", answers.__getitem__)
    with pytest.raises(ConfigurationError, match="in clear"):
        validate_token_url("http://evil.localhost:8080/token")
    assert validate_token_url("http://api.localhost:8080/token")
    assert is_loopback_host("localhost")  # the name itself needs no lookup


def test_a_localhost_subdomain_proxy_that_is_not_local_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.localhost:3128")
    assert proxy_problems(TARGETS, resolve=lambda name: ["198.51.100.1"])
    assert proxy_problems(TARGETS, resolve=lambda name: ["127.0.0.1"]) == []
