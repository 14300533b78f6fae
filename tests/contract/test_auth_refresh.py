"""Proactive refresh, short lifetimes and graceful degradation, in real time on the emulator."""

from __future__ import annotations

import asyncio
import time

import httpx
import httpx2
import pytest
from auth_contract_support import (
    FAST_RETRY,
    LIMITS_PATH,
    api_calls,
    gaps,
    make_auth,
    token_requests,
    wait_until,
)

from ozon_mcp.adapters import ClientCredentialsAuth
from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, ScriptedResponse
from ozon_mcp.domain import TokenEndpointUnavailableError

SHORT_LIVED = [EmulatorConfig(expires_in=5)]


@pytest.mark.anyio
@pytest.mark.parametrize("emulator_config", SHORT_LIVED)
async def test_the_token_is_refreshed_at_about_3_s_without_traffic_and_then_used(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator, refresh_margin=2)
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
        # No traffic: only the background refresher can ask for the second token.
        await asyncio.to_thread(wait_until, lambda: _refreshes(auth) == 1, 6)
        assert emulator.control.token_requests == 2
        for _ in range(8):
            assert (await client.get(LIMITS_PATH)).status_code == 200
            await asyncio.sleep(0.25)
    await auth.aclose()
    first, second = token_requests(emulator)[:2]
    assert 2.8 <= second.time - first.time <= 3.6  # 5 s lifetime - 2 s margin
    calls = api_calls(emulator)
    assert all(call.status == 200 for call in calls)  # no call ever carried an expired token
    assert {call.token_fingerprint for call in calls[1:]} == {second.token_fingerprint}


@pytest.mark.parametrize("emulator_config", SHORT_LIVED)
def test_the_threaded_refresher_also_refreshes_at_about_3_s(emulator: EmulatorHandle) -> None:
    auth = make_auth(emulator, refresh_margin=2)
    with httpx.Client(base_url=emulator.base_url, auth=auth) as client:
        assert client.get(LIMITS_PATH).status_code == 200
        wait_until(lambda: _refreshes(auth) == 1, 6)  # done by the refresher thread
        assert emulator.control.token_requests == 2
        response = client.get(LIMITS_PATH)
    auth.close()
    assert response.status_code == 200
    first, second = token_requests(emulator)[:2]
    assert 2.8 <= second.time - first.time <= 3.6
    assert api_calls(emulator)[-1].token_fingerprint == second.token_fingerprint


@pytest.mark.anyio
@pytest.mark.parametrize("emulator_config", [EmulatorConfig(expires_in=1)])
async def test_a_one_second_lifetime_never_turns_into_a_refresh_loop(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator)
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        started = time.monotonic()
        statuses = []
        while time.monotonic() - started < 5.0:
            statuses.append((await client.get(LIMITS_PATH)).status_code)
            await asyncio.sleep(0.05)
    await auth.aclose()
    assert set(statuses) == {200}
    # Refreshes come after half the lifetime at the earliest: at most ~2 per second.
    assert 5 <= emulator.control.token_requests <= 12
    # Half of the lifetime apart, less the jitter of the request's way to the emulator.
    assert min(gaps(token_requests(emulator))) >= 0.3


@pytest.mark.anyio
@pytest.mark.parametrize("emulator_config", [EmulatorConfig(expires_in=3)])
async def test_requests_keep_the_old_token_while_refreshes_fail_until_it_expires(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator, retry=FAST_RETRY)
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
        obtained = time.monotonic()
        emulator.control.script_token_responses([ScriptedResponse(status=503)] * 200)
        while time.monotonic() - obtained < 2.7:
            assert (await client.get(LIMITS_PATH)).status_code == 200
            await asyncio.sleep(0.1)
        wait_until(lambda: time.monotonic() - obtained > 3.1)
        with pytest.raises(TokenEndpointUnavailableError, match="HTTP 503"):
            await client.get(LIMITS_PATH)
    await auth.aclose()
    first_token = token_requests(emulator)[0].token_fingerprint
    served = api_calls(emulator)
    assert {call.token_fingerprint for call in served} == {first_token}
    assert all(call.status == 200 for call in served)
    assert emulator.control.token_requests >= 3  # refresh attempts did go on meanwhile


def _refreshes(auth: ClientCredentialsAuth) -> int:
    stats = auth.stats()
    return stats.refreshes if stats is not None else 0
