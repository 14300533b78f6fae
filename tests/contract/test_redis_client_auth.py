"""`ClientCredentialsAuth(cache=build_redis_sharing(...))` shares tokens AND token requests.

Two Auth instances, each with its own Redis connections (as two processes would have), one
driven by a threaded `httpx.Client`, the other by an `httpx2.AsyncClient`, both with proactive
refresh on (the default), against the emulator and a real redis-server.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import httpx2
import pytest
from auth_contract_support import api_calls, make_auth
from redis_support import CACHE_KEY, RedisServer, credentials, redis_server

from ozon_mcp import ClientCredentialsAuth
from ozon_mcp.adapters.auth import TokenEndpointConfig
from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.sharing import RedisSharing, build_redis_sharing

__all__ = ["redis_server"]  # the fixture, imported for pytest

LIMITS_PATH = "/api/client/limits/list"
CALLS_PER_SIDE = 16


def _process(
    emulator: EmulatorHandle, redis_url: str
) -> tuple[ClientCredentialsAuth, RedisSharing]:
    """What one process builds: its own Redis sharing and its own Auth over it."""
    sharing = build_redis_sharing(redis_url, key=CACHE_KEY, timeout=2.0)
    return make_auth(emulator, cache=sharing), sharing


def test_a_threaded_and_an_async_auth_make_one_token_request_and_recover_from_a_401_once(
    emulator: EmulatorHandle, redis_server: RedisServer
) -> None:
    # A slow token endpoint keeps the first request in flight while the other process is cold.
    emulator.control.set_token_latency(0.3)
    threaded_auth, threaded_sharing = _process(emulator, redis_server.url)
    async_auth, async_sharing = _process(emulator, redis_server.url)

    def threaded_calls(client: httpx.Client) -> list[int]:
        with ThreadPoolExecutor(8) as pool:
            calls = pool.map(lambda _: client.get(LIMITS_PATH).status_code, range(CALLS_PER_SIDE))
            return list(calls)

    async def both_processes(client: httpx.Client, async_client: httpx2.AsyncClient) -> list[int]:
        """Both sides call at the same time; every status their callers saw."""
        threaded = asyncio.to_thread(threaded_calls, client)
        answers = asyncio.gather(*(async_client.get(LIMITS_PATH) for _ in range(CALLS_PER_SIDE)))
        from_threads, from_loop = await asyncio.gather(threaded, answers)
        return from_threads + [answer.status_code for answer in from_loop]

    async def scenario() -> tuple[list[int], list[int]]:
        async with httpx2.AsyncClient(base_url=emulator.base_url, auth=async_auth) as async_client:
            with httpx.Client(base_url=emulator.base_url, auth=threaded_auth) as client:
                cold = await both_processes(client, async_client)
                assert emulator.control.token_requests == 1
                emulator.control.revoke_all_tokens()
                emulator.control.clear_requests()
                after_revoke = await both_processes(client, async_client)
        await async_auth.aclose()
        await async_sharing.aclose()
        return cold, after_revoke

    try:
        cold, after_revoke = asyncio.run(scenario())
    finally:
        threaded_auth.close()
        threaded_sharing.close()

    assert cold == [200] * (2 * CALLS_PER_SIDE)
    assert after_revoke == [200] * (2 * CALLS_PER_SIDE)  # each caller recovered from its 401
    assert emulator.control.token_requests == 1  # since the revocation: one for both processes
    calls = api_calls(emulator)
    rejected = {entry.token_fingerprint for entry in calls if entry.status == 401}
    accepted = {entry.token_fingerprint for entry in calls if entry.status == 200}
    assert len(rejected) == 1  # the old shared token ...
    assert len(accepted) == 1  # ... replaced by one new one, used by both processes
    assert rejected != accepted
    # Both processes met the revoked token (each held it in hand), yet one new token served both.
    assert sum(entry.status == 401 for entry in calls) >= 2
    # Redis holds the new token for the next process to start.
    config = TokenEndpointConfig(**credentials(emulator))
    reader = build_redis_sharing(redis_server.url, key=CACHE_KEY)
    shared = reader.cache.load_sync(config.cache_key)
    reader.close()
    assert shared is not None
    assert {shared.fingerprint} == accepted


@pytest.mark.anyio
async def test_a_redis_token_cache_given_as_cache_also_shares_the_requests(
    emulator: EmulatorHandle, redis_server: RedisServer
) -> None:
    emulator.control.set_token_latency(0.3)
    sharings = [build_redis_sharing(redis_server.url, key=CACHE_KEY) for _ in range(3)]
    auths = [make_auth(emulator, cache=sharing.cache) for sharing in sharings]

    async def call(auth: ClientCredentialsAuth) -> int:
        async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
            return (await client.get(LIMITS_PATH)).status_code

    assert await asyncio.gather(*(call(auth) for auth in auths)) == [200, 200, 200]
    assert emulator.control.token_requests == 1
    assert len({entry.token_fingerprint for entry in api_calls(emulator)}) == 1
    for auth, sharing in zip(auths, sharings, strict=True):
        await auth.aclose()
        await sharing.aclose()
