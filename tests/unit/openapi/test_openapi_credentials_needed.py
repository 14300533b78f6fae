"""Which exposed tools make OAUTH_CLIENT_ID / OAUTH_CLIENT_SECRET necessary, and what `serve`
and `check` then say (no network): only tools that a client-credentials token alone can serve;
an open, apiKey, bearer or basic alternative that is configured needs no OAuth at all."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from ozon_mcp.adapters.auth.stats import token_not_used_stats
from ozon_mcp.adapters.mcp.health import readiness
from ozon_mcp.adapters.openapi import build_tools, load_spec, repair_spec
from ozon_mcp.app.api_profile import ApiProfile, credential_problems, resolve_profile
from ozon_mcp.app.settings import Settings

SCHEMES: dict[str, Any] = {
    "cc": {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {"w": ""}}},
    },
    "key": {"type": "apiKey", "name": "X-Key", "in": "header"},
    "bearer": {"type": "http", "scheme": "bearer"},
    "code": {
        "type": "oauth2",
        "flows": {"authorizationCode": {"authorizationUrl": "/a", "tokenUrl": "/t", "scopes": {}}},
    },
}
# Each requirement list an operation can carry, and whether that operation needs a token
# when OPENAPI_CREDENTIAL_KEY is set and OPENAPI_CREDENTIAL_BEARER is not.
REQUIREMENTS: list[tuple[list[dict[str, list[str]]], bool]] = [
    ([], False),  # open
    ([{}], False),  # open too
    ([{"key": []}], False),  # apiKey, configured
    ([{"bearer": []}], False),  # bearer, not configured: unavailable, but no token helps
    ([{"code": []}], False),  # authorization code: unsupported, no token helps
    ([{"cc": ["w"]}], True),
    ([{"cc": []}, {"key": []}], False),  # the apiKey alternative serves it without a token
    ([{"bearer": []}, {"cc": []}], True),  # only the token alternative can be met
    ([{"cc": [], "key": []}], True),  # both at once
]


@pytest.fixture(autouse=True)
def _no_oauth_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "OAUTH_TOKEN_URL", "OAUTH_SCHEME"):
        monkeypatch.delenv(name, raising=False)


def spec_with(requirements: list[list[dict[str, list[str]]]]) -> dict[str, Any]:
    paths = {
        f"/op{index}": {"get": {"operationId": f"Op{index}", "security": security, "responses": {}}}
        for index, security in enumerate(requirements)
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "components": {"securitySchemes": SCHEMES},
        "paths": paths,
    }


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, openapi_spec="inline.json", **values)  # type: ignore[call-arg]


def profile_for(document: dict[str, Any], current: Settings) -> ApiProfile:
    spec = repair_spec(document)
    return resolve_profile(
        current, spec, build_tools(spec), environ={"OPENAPI_CREDENTIAL_KEY": "k"}
    )


@given(st.lists(st.sampled_from(range(len(REQUIREMENTS))), min_size=1, max_size=6))
def test_only_tools_that_nothing_but_a_token_can_serve_need_client_credentials(
    picks: list[int],
) -> None:
    document = spec_with([REQUIREMENTS[pick][0] for pick in picks])
    profile = profile_for(document, settings())
    expected = tuple(f"Op{index}" for index, pick in enumerate(picks) if REQUIREMENTS[pick][1])
    assert profile.client_credentials_tools == expected
    problems = credential_problems(settings(), profile)
    assert bool(problems) == bool(expected)
    if expected:
        assert "OAUTH_CLIENT_ID is not set" in problems[0]
        assert "OAUTH_CLIENT_SECRET is not set" in problems[1]
        assert f"{len(expected)} exposed tool(s) need" in problems[-1]


def test_with_client_credentials_configured_nothing_is_missing_and_tokens_are_used() -> None:
    document = spec_with([[], [{"cc": ["w"]}]])
    configured = settings(oauth_client_id="id", oauth_client_secret=SecretStr("s"))
    profile = profile_for(document, configured)
    assert profile.client_credentials_tools == ("Op1",)
    assert profile.oauth_needed()
    assert credential_problems(configured, profile) == []


def test_open_and_api_key_tools_use_no_token_even_when_oauth_is_configured() -> None:
    document = spec_with([[], [{"key": []}], [{"cc": []}, {"key": []}]])
    configured = settings(oauth_client_id="id", oauth_client_secret=SecretStr("s"))
    for current in (settings(), configured):
        profile = profile_for(document, current)
        assert profile.client_credentials_tools == ()
        assert credential_problems(current, profile) == []
    # With OAuth configured, the first alternative (the token) is used: then a token is used.
    assert profile_for(document, configured).oauth_needed()
    assert not profile_for(document, settings()).oauth_needed()


def test_a_token_tool_without_any_token_url_names_oauth_token_url() -> None:
    document = spec_with([[{"cc": []}]])
    document["components"]["securitySchemes"]["cc"]["flows"]["clientCredentials"].pop("tokenUrl")
    profile = profile_for(document, settings(oauth_client_id="id"))
    problems = credential_problems(settings(oauth_client_id="id"), profile)
    assert [p.split(" ")[0] for p in problems[:2]] == ["OAUTH_CLIENT_SECRET", "OAUTH_TOKEN_URL"]


def test_the_bundled_ozon_spec_always_needs_the_client_credentials() -> None:
    spec = load_spec(None)
    current = Settings(_env_file=None)  # type: ignore[call-arg]
    profile = resolve_profile(current, spec, build_tools(spec), environ={})
    assert len(profile.client_credentials_tools) == len(build_tools(spec))
    problems = credential_problems(current, profile)
    assert len(problems) == 2  # exactly the two variables, as before (no spec hint)
    assert "OAUTH_CLIENT_ID is not set" in problems[0]


@pytest.mark.parametrize("credentials", [True, False])
def test_settings_leave_the_client_credentials_to_the_spec_when_asked(credentials: bool) -> None:
    problems = Settings(_env_file=None).connection_problems(  # type: ignore[call-arg]
        credentials=credentials
    )
    assert any("OAUTH_CLIENT_ID" in p for p in problems) is credentials


def test_a_server_that_uses_no_token_is_ready_at_once() -> None:
    answer = readiness(token_not_used_stats())
    assert (answer.ready, answer.state, answer.reason) == (True, "not_used", None)
    assert token_not_used_stats().token_requests == 0
