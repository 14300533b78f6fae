"""Waiting is bounded (issue 10): a long Retry-After fails a call at once, and an API that
refuses every token is not asked for a new token on every call. Real HTTP against the emulator,
one per module, reset before each test. Nothing here waits: real time only shows that no call
did (a call that waited would take the 30 s or 5 s bound, not fractions of a second)."""

from __future__ import annotations

import time

import httpx2
import pytest
from auth_contract_support import LIMITS_PATH, make_auth, token_requests
from mcp_support import emulator_settings, mcp_session, result_text

from ozon_mcp.adapters.emulator import EmulatorHandle, ScriptedResponse
from ozon_mcp.domain import RetryPolicy, TokenEndpointUnavailableError

pytestmark = pytest.mark.anyio
SHARED_EMULATOR = True


async def test_a_retry_after_longer_than_max_wait_fails_the_call_at_once(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.script_token_responses(
        [ScriptedResponse(status=429, headers={"Retry-After": "120"}, json={"error": "slow"})]
    )
    auth = make_auth(emulator, max_wait=30.0)
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        started = time.monotonic()
        with pytest.raises(TokenEndpointUnavailableError) as caught:
            await client.get(LIMITS_PATH)
        took = time.monotonic() - started
    await auth.aclose()
    message = str(caught.value)
    assert "later than one call waits (30 s)" in message
    assert "next attempt at " in message
    assert "HTTP 429" in message
    assert took < 20, f"the call waited {took:.1f} s for a 120 s Retry-After"
    assert len(token_requests(emulator)) == 1  # the background waits for the Retry-After too
    assert emulator.control.api_calls == 0


async def test_an_api_that_refuses_every_token_costs_no_token_request_per_call(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.set_operation_fault("GetLimitsList", status=401, body=b'{"error":"no"}')
    auth = make_auth(emulator, retry=RetryPolicy(rejection_base=120.0))
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        statuses = [(await client.get(LIMITS_PATH)).status_code for _ in range(12)]
    await auth.aclose()
    assert statuses == [401] * 12  # the API's answer reaches the caller
    # One token, one replacement refused too, then no more token requests for the pause.
    assert len(token_requests(emulator)) == 2
    assert emulator.control.api_calls == 13  # the first call was retried once, no other


async def test_the_server_bounds_the_wait_by_its_setting_and_names_its_variables(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.script_token_responses(
        [ScriptedResponse(status=503, headers={"Retry-After": "90"}, json={"error": "busy"})]
    )
    settings = emulator_settings(emulator, oauth_max_wait_seconds=5.0)
    async with mcp_session(settings) as session:
        started = time.monotonic()
        result = await session.call("GetLimitsList")
        took = time.monotonic() - started
    text = result_text(result)
    assert result.is_error
    assert "later than one call waits (5 s)" in text, text
    assert "OAUTH_TOKEN_URL" in text  # the server words the facts with its variables
    assert took < 20
