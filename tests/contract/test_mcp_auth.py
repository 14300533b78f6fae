"""The token as seen through MCP: `auth_status`, failures that say what to fix, and a server
that answers tools/list at once whatever the token endpoint does."""

from __future__ import annotations

import time

import anyio
import anyio.lowlevel
import pytest
from mcp_support import closed_port_url, emulator_settings, mcp_session, result_text
from pydantic import SecretStr

from ozon_mcp.adapters.emulator import TOKEN_PATH, EmulatorHandle

pytestmark = pytest.mark.anyio
# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True

MODES = ["auto", "legacy"]
AT_ONCE = 1.0  # seconds: far below the token endpoint's delay, far above an in-memory list


@pytest.mark.parametrize("mode", MODES)
async def test_auth_status_reports_the_token_without_showing_it(
    emulator: EmulatorHandle, mode: str
) -> None:
    async with mcp_session(emulator_settings(emulator), mode=mode) as session:
        for _ in range(3):
            assert not (await session.call("GetLimitsList")).is_error
        result = await session.call("auth_status")
        assert not result.is_error
        status = result.structured_content
        assert status is not None
        text = result_text(result)
    [token] = emulator.control.issued_tokens()
    fingerprints = {r.token_fingerprint for r in emulator.control.requests if r.kind == "api"}
    assert status["state"] == "valid"
    assert status["token_requests"] == emulator.control.token_requests == 1
    assert status["cache_hits"] >= 2  # three calls, one token request
    assert status["failures"] == 0
    assert status["last_error"] is None
    assert 1700 < status["seconds_to_expiry"] <= 1800  # the emulator grants 1800 s
    assert fingerprints == {status["fingerprint"]}
    for key in ("state", "token_requests", "cache_hits", "seconds_to_expiry", "last_error"):
        assert key in text
    assert token not in text
    assert token not in str(status)
    assert emulator.config.secret_value not in text


@pytest.mark.parametrize("mode", MODES)
async def test_rejected_credentials_name_the_variables_to_fix(
    emulator: EmulatorHandle, mode: str
) -> None:
    wrong = "wrong-secret-0123456789"
    settings = emulator_settings(emulator, oauth_client_secret=SecretStr(wrong))
    async with mcp_session(settings, mode=mode) as session:
        result = await session.call("GetLimitsList")
        status = (await session.call("auth_status")).structured_content or {}
        shown = session.everything_shown()
    text = result_text(result)
    assert result.is_error
    assert "OAUTH_CLIENT_ID" in text, text
    assert "OAUTH_CLIENT_SECRET" in text, text
    assert "401" in text or "invalid_client" in text
    assert status["state"] == "failed"
    assert "OAUTH_CLIENT_SECRET" in str(status["last_error"])
    assert wrong not in shown
    assert emulator.config.secret_value not in shown
    assert emulator.control.api_calls == 0  # no API call without a token


async def test_tools_list_answers_while_the_token_endpoint_is_slow(
    emulator: EmulatorHandle,
) -> None:
    delay = 2.0
    emulator.control.set_token_latency(delay)
    async with mcp_session(emulator_settings(emulator)) as session:
        started = time.monotonic()
        tools = (await session.client.list_tools()).tools
        listed_after = time.monotonic() - started
        state_while_listing = session.container.token_provider().stats().state
        call = await session.call("GetLimitsList")  # waits for the token, then succeeds
        called_after = time.monotonic() - started
    assert len(tools) == 42  # 40 operations + auth_status + get_campaign_statistics
    assert listed_after < AT_ONCE, f"tools/list took {listed_after:.2f} s"
    assert state_while_listing != "valid"
    assert not call.is_error, result_text(call)
    assert called_after >= delay - 0.5  # the call did wait for the token
    # The token was requested right after tools/list, before any tool call asked for it.
    assert emulator.control.token_requests == 1


async def test_tools_list_answers_while_the_token_endpoint_is_down(
    emulator: EmulatorHandle,
) -> None:
    down = closed_port_url() + TOKEN_PATH
    settings = emulator_settings(emulator, oauth_token_url=down, oauth_max_retries=0)
    async with mcp_session(settings) as session:
        started = time.monotonic()
        tools = (await session.client.list_tools()).tools
        listed_after = time.monotonic() - started
        await anyio.lowlevel.checkpoint()
        result = await session.call("ListCampaigns")
    assert len(tools) == 42
    assert listed_after < AT_ONCE, f"tools/list took {listed_after:.2f} s"
    text = result_text(result)
    assert result.is_error, text
    assert "token endpoint" in text, text
    assert emulator.control.api_calls == 0
