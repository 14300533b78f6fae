"""Single flight over real HTTP: many cold callers, one token request; many 401s, one refresh."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import httpx
import httpx2
import pytest
from auth_contract_support import LIMITS_PATH, api_calls, make_auth, token_requests

from ozon_mcp.adapters.emulator import EmulatorHandle

LIBRARIES = [pytest.param(httpx2, id="httpx2"), pytest.param(httpx, id="httpx-0.28")]
CALLERS = 200


@pytest.mark.anyio
@pytest.mark.parametrize("library", LIBRARIES)
async def test_200_concurrent_async_requests_on_a_cold_client_make_one_token_request(
    emulator: EmulatorHandle, library: ModuleType
) -> None:
    emulator.control.set_token_latency(0.3)  # every caller arrives while the request is out
    auth = make_auth(emulator)
    async with library.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        responses = await asyncio.gather(*(client.get(LIMITS_PATH) for _ in range(CALLERS)))
    await auth.aclose()
    assert [r.status_code for r in responses] == [200] * CALLERS
    assert emulator.control.token_requests == 1
    fingerprints = {call.token_fingerprint for call in api_calls(emulator)}
    assert fingerprints == {token_requests(emulator)[0].token_fingerprint}
    stats = auth.stats()
    assert stats is not None
    assert (stats.token_requests, stats.successes) == (1, 1)


@pytest.mark.parametrize("library", LIBRARIES)
def test_200_requests_from_threads_on_a_cold_client_make_one_token_request(
    emulator: EmulatorHandle, library: ModuleType
) -> None:
    emulator.control.set_token_latency(0.3)
    auth = make_auth(emulator)
    with (
        library.Client(base_url=emulator.base_url, auth=auth) as client,
        ThreadPoolExecutor(max_workers=50) as pool,
    ):
        statuses = list(pool.map(lambda _: client.get(LIMITS_PATH).status_code, range(CALLERS)))
    auth.close()
    assert statuses == [200] * CALLERS
    assert emulator.control.token_requests == 1
    stats = auth.stats()
    assert stats is not None
    assert stats.waits >= 2  # threads really did wait for the one request


@pytest.mark.anyio
async def test_revoked_tokens_are_replaced_within_the_same_request(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator)
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
        emulator.control.revoke_all_tokens()
        response = await client.get(LIMITS_PATH)
    await auth.aclose()
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert emulator.control.token_requests == 2
    assert [call.status for call in api_calls(emulator)] == [200, 401, 200]


@pytest.mark.anyio
async def test_50_concurrent_401s_with_one_stale_token_lead_to_one_refresh(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator)
    async with httpx.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
        emulator.control.revoke_all_tokens()
        emulator.control.set_token_latency(0.2)
        responses = await asyncio.gather(*(client.get(LIMITS_PATH) for _ in range(50)))
    await auth.aclose()
    assert [r.status_code for r in responses] == [200] * 50
    assert emulator.control.token_requests == 2
    rejected = [call for call in api_calls(emulator) if call.status == 401]
    assert len(rejected) == 50  # every caller was refused once, and retried once
    stats = auth.stats()
    assert stats is not None
    assert stats.invalidations == 1
    assert stats.ignored_invalidations == 49


def test_50_threads_hitting_401_with_one_stale_token_lead_to_one_refresh(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator)
    with (
        httpx2.Client(base_url=emulator.base_url, auth=auth) as client,
        ThreadPoolExecutor(max_workers=50) as pool,
    ):
        assert client.get(LIMITS_PATH).status_code == 200
        emulator.control.revoke_all_tokens()
        emulator.control.set_token_latency(0.2)
        statuses = list(pool.map(lambda _: client.get(LIMITS_PATH).status_code, range(50)))
    auth.close()
    assert statuses == [200] * 50
    assert emulator.control.token_requests == 2
