"""The exposure rule of the HTTP transport and the static-bearer check (in-process ASGI calls,
no sockets)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ozon_mcp.adapters.mcp.http_auth import StaticBearerMiddleware, exposure_problem, is_loopback
from ozon_mcp.app.http_service import exposure_problems
from ozon_mcp.app.settings import Settings

TOKEN = "s3cret-bearer-Zq~9+/="

ALL_IPV4 = "0.0.0.0"  # noqa: S104 (never bound: these tests check the refusal)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        (ALL_IPV4, False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_non_loopback_bind_needs_authentication_or_an_explicit_opt_out() -> None:
    refused = exposure_problem(
        ALL_IPV4, bearer_token=False, oauth=False, allow_unauthenticated=False
    )
    assert refused is not None
    for needed in (
        ALL_IPV4,
        "MCP_HTTP_BEARER_TOKEN",
        "MCP_HTTP_AUTH_ISSUER",
        "--allow-unauthenticated",
    ):
        assert needed in refused
    for allowed in (
        {"bearer_token": True, "oauth": False, "allow_unauthenticated": False},
        {"bearer_token": False, "oauth": True, "allow_unauthenticated": False},
        {"bearer_token": False, "oauth": False, "allow_unauthenticated": True},
    ):
        assert exposure_problem(ALL_IPV4, **allowed) is None
    assert (
        exposure_problem("127.0.0.1", bearer_token=False, oauth=False, allow_unauthenticated=False)
        is None
    )


def test_the_settings_decide_the_exposure() -> None:
    plain = Settings(_env_file=None)  # type: ignore[call-arg]
    with_token = Settings(_env_file=None, mcp_http_bearer_token=SecretStr(TOKEN))  # type: ignore[call-arg]
    blank = Settings(_env_file=None, mcp_http_bearer_token=SecretStr("  "))  # type: ignore[call-arg]
    assert exposure_problems(plain, ALL_IPV4, allow_unauthenticated=False)
    assert exposure_problems(blank, ALL_IPV4, allow_unauthenticated=False)
    assert not exposure_problems(with_token, ALL_IPV4, allow_unauthenticated=False)
    assert not exposure_problems(plain, ALL_IPV4, allow_unauthenticated=True)


def _client() -> TestClient:
    async def ok(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route(path, ok) for path in ("/mcp", "/healthz", "/readyz", "/metrics", "/other")]
    )
    return TestClient(StaticBearerMiddleware(app, TOKEN))


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, None),
        ({"Authorization": "Bearer wrong"}, "invalid_token"),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, "invalid_token"),
        ({"Authorization": "Basic czNjcmV0"}, None),
        ({"Authorization": "Bearer "}, None),
    ],
)
def test_protected_paths_answer_401_with_a_challenge(
    headers: dict[str, str], error: str | None
) -> None:
    with _client() as client:
        for path in ("/mcp", "/metrics", "/other", "/missing"):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, path
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith('Bearer realm="ozon-mcp"')
            assert (f'error="{error}"' in challenge) is (error is not None)
            assert TOKEN not in response.text


def test_the_right_token_passes_and_the_probes_stay_open() -> None:
    good: dict[str, Any] = {"Authorization": f"bearer {TOKEN}"}
    with _client() as client:
        assert client.get("/mcp", headers=good).text == "ok"
        assert client.get("/metrics", headers=good).text == "ok"
        assert client.get("/healthz").text == "ok"
        assert client.get("/readyz").text == "ok"


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_oauth_mode_counts_as_authentication_when_complete() -> None:
    complete = _settings(
        mcp_http_auth_issuer="https://auth.example.test",
        mcp_http_auth_audience="https://mcp.example.test/mcp",
        mcp_http_resource_url="https://mcp.example.test/mcp",
    )
    assert not exposure_problems(complete, ALL_IPV4, allow_unauthenticated=False)
    loopback = _settings(mcp_http_auth_issuer="http://127.0.0.1:9000", mcp_http_auth_audience="mcp")
    assert not exposure_problems(loopback, "127.0.0.1", allow_unauthenticated=False)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"mcp_http_auth_issuer": "https://auth.example.test"}, "MCP_HTTP_AUTH_AUDIENCE"),
        ({"mcp_http_auth_audience": "mcp"}, "MCP_HTTP_AUTH_ISSUER"),
        (
            {
                "mcp_http_auth_issuer": "https://auth.example.test",
                "mcp_http_auth_audience": "mcp",
                "mcp_http_bearer_token": SecretStr(TOKEN),
                "mcp_http_resource_url": "https://mcp.example.test/mcp",
            },
            "both set",
        ),
        (
            {"mcp_http_auth_issuer": "https://auth.example.test", "mcp_http_auth_audience": "m"},
            "MCP_HTTP_RESOURCE_URL",
        ),
        (
            {
                "mcp_http_auth_issuer": "http://auth.example.test",
                "mcp_http_auth_audience": "mcp",
                "mcp_http_resource_url": "https://mcp.example.test/mcp",
            },
            "MCP_HTTP_AUTH_ISSUER",
        ),
    ],
)
def test_incomplete_or_conflicting_oauth_settings_refuse_to_start(
    values: dict[str, object], named: str
) -> None:
    problems = exposure_problems(_settings(**values), ALL_IPV4, allow_unauthenticated=False)
    assert problems
    assert any(named in problem for problem in problems), problems
    assert TOKEN not in " ".join(problems)


def test_the_host_allow_list_takes_the_resource_url_and_extra_hosts() -> None:
    from ozon_mcp.app.http_service import transport_security

    settings = _settings(
        mcp_http_allowed_hosts="mcp.internal, 10.0.0.5:8443,[fd00::7]",
        mcp_http_resource_url="https://mcp.example.test/mcp",
    )
    security = transport_security(settings, ALL_IPV4)
    assert security.enable_dns_rebinding_protection
    for expected in (
        "127.0.0.1:*",
        "mcp.internal",
        "mcp.internal:*",
        "10.0.0.5:8443",
        "[fd00::7]:*",
        "mcp.example.test:*",
    ):
        assert expected in security.allowed_hosts
    assert "10.0.0.5:8443:*" not in security.allowed_hosts
    assert "https://mcp.example.test:*" in security.allowed_origins
    plain = transport_security(_settings(), "127.0.0.1")
    assert plain.allowed_hosts == ["127.0.0.1:*", "localhost:*", "[::1]:*"]
