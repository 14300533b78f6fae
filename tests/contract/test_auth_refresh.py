"""Proactive refresh, short lifetimes and graceful degradation, on the emulator in fake time.

The provider and the emulator share a `FakeTime`: a test that waits for a refresh or an expiry
advances it, so the timings are exact and nothing sleeps through a token's lifetime.
"""

from __future__ import annotations

import asyncio

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
from fake_time import FakeTime

from ozon_mcp import ClientCredentialsAuth
from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, ScriptedResponse
from ozon_mcp.domain import TokenEndpointUnavailableError

SHARED_EMULATOR = True  # one emulator per config for the module, reset before each test
SHORT_LIVED = [EmulatorConfig(expires_in=5)]
EXACT = 1e-6  # fake seconds add up exactly; the emulator logs epoch seconds (float64, ~1e-7)


@pytest.mark.anyio
@pytest.mark.parametrize("emulator_config", SHORT_LIVED)
async def test_the_token_is_refreshed_at_3_s_without_traffic_and_then_used(
    emulator: EmulatorHandle,
) -> None:
    fake = FakeTime(emulator)
    auth = make_auth(emulator, refresh_margin=2, **fake.injected())
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
        # No traffic: only the background refresher can ask for the second token, and it
        # sleeps exactly until 5 s lifetime - 2 s margin.
        assert await fake.advance_to_next_wake() == 3.0
        await asyncio.to_thread(wait_until, lambda: _refreshes(auth) == 1, 6)
        assert emulator.control.token_requests == 2
        for _ in range(8):  # on past the first token's expiry (at 5 s)
            assert (await client.get(LIMITS_PATH)).status_code == 200
            fake.advance(0.25)
    await auth.aclose()
    first, second = token_requests(emulator)[:2]
    assert second.time - first.time == pytest.approx(3.0, abs=EXACT)  # 5 s - 2 s margin
    calls = api_calls(emulator)
    assert all(call.status == 200 for call in calls)  # no call ever carried an expired token
    assert {call.token_fingerprint for call in calls[1:]} == {second.token_fingerprint}


@pytest.mark.parametrize("emulator_config", SHORT_LIVED)
def test_the_threaded_refresher_also_refreshes_at_3_s(emulator: EmulatorHandle) -> None:
    fake = FakeTime(emulator)
    auth = make_auth(emulator, refresh_margin=2, **fake.injected())
    with httpx.Client(base_url=emulator.base_url, auth=auth) as client:
        assert client.get(LIMITS_PATH).status_code == 200
        assert fake.advance_to_next_wake_sync() == 3.0  # the refresher thread's wait
        wait_until(lambda: _refreshes(auth) == 1, 6)  # done by the refresher thread
        assert emulator.control.token_requests == 2
        response = client.get(LIMITS_PATH)
    auth.close()
    assert response.status_code == 200
    first, second = token_requests(emulator)[:2]
    assert second.time - first.time == pytest.approx(3.0, abs=EXACT)  # 5 s - 2 s margin
    assert api_calls(emulator)[-1].token_fingerprint == second.token_fingerprint


@pytest.mark.anyio
@pytest.mark.parametrize("emulator_config", [EmulatorConfig(expires_in=1)])
async def test_a_one_second_lifetime_never_turns_into_a_refresh_loop(
    emulator: EmulatorHandle,
) -> None:
    fake = FakeTime(emulator)
    auth = make_auth(emulator, **fake.injected())
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        statuses = []
        while fake.elapsed < 5.0:  # 5 s of calls, one every 50 ms
            statuses.append((await client.get(LIMITS_PATH)).status_code)
            fake.advance(0.05)
            await fake.until_asleep()
    await auth.aclose()
    assert set(statuses) == {200}
    # Refreshes come after half the lifetime at the earliest: at most 2 per second, so the
    # first token and at most 10 refreshes in 5 s; as the refresher is prompt, at least 9.
    assert 10 <= emulator.control.token_requests <= 11
    # Half of the lifetime apart, as the emulator saw them.
    assert min(gaps(token_requests(emulator))) >= 0.5 - EXACT


@pytest.mark.anyio
@pytest.mark.parametrize("emulator_config", [EmulatorConfig(expires_in=3)])
async def test_requests_keep_the_old_token_while_refreshes_fail_until_it_expires(
    emulator: EmulatorHandle,
) -> None:
    fake = FakeTime(emulator)
    auth = make_auth(emulator, retry=FAST_RETRY, **fake.injected())
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
        obtained = fake.monotonic()
        emulator.control.script_token_responses([ScriptedResponse(status=503)] * 200)
        while fake.monotonic() - obtained < 2.95:  # up to the last moment of the lifetime
            assert (await client.get(LIMITS_PATH)).status_code == 200
            fake.advance(0.05)
            await fake.until_asleep()
        fake.advance(3.0 - (fake.monotonic() - obtained))  # exactly at expiry
        with pytest.raises(TokenEndpointUnavailableError, match="HTTP 503"):
            await fake.drive(client.get(LIMITS_PATH))  # time passes while it retries
    await auth.aclose()
    first_token = token_requests(emulator)[0].token_fingerprint
    served = api_calls(emulator)
    assert {call.token_fingerprint for call in served} == {first_token}
    assert all(call.status == 200 for call in served)
    assert emulator.control.token_requests >= 3  # refresh attempts did go on meanwhile


def _refreshes(auth: ClientCredentialsAuth) -> int:
    stats = auth.stats()
    return stats.refreshes if stats is not None else 0
