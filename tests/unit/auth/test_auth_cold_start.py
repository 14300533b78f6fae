"""A cold provider with proactive refresh reads the cache before its refresher may fetch.

A second process that shares a cache (Redis) must adopt the token the first one stored, not
request its own because its refresher raced the cache read. Both drivers are checked; the
cache's read is held open by the test, so "the refresher was already running" is observed, not
guessed from timing.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from auth_support import (
    KEY,
    ManualTime,
    ScriptedEndpoint,
    async_provider,
    lifecycle,
    spin,
    token_value,
)
from fake_clock import FakeClock

from ozon_mcp.adapters.auth import InMemoryTokenCache, SyncTokenProvider

REFRESHER = "ozon-mcp token refresher"


class HeldAsyncCache(InMemoryTokenCache):
    """A shared cache whose reads wait for the test; notes whether a refresher task existed."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.loads = 0
        self.refresher_running_at_load: list[bool] = []

    async def load(self, key: object) -> object:  # type: ignore[override]
        self.loads += 1
        self.refresher_running_at_load.append(
            any(task.get_name() == REFRESHER for task in asyncio.all_tasks())
        )
        await self.gate.wait()
        return self.load_sync(key)  # type: ignore[arg-type]


def refresher_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == REFRESHER}


class HeldSyncCache(InMemoryTokenCache):
    """The threaded twin: `load_sync` waits for the test and notes the refresher thread."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.refresher_running_at_load: list[bool] = []
        self.earlier_refreshers = refresher_threads()  # other tests' threads do not count

    def load_sync(self, key: object) -> object:  # type: ignore[override]
        started = refresher_threads() - self.earlier_refreshers
        self.refresher_running_at_load.append(bool(started))
        self.entered.set()
        self.gate.wait(timeout=30)
        return super().load_sync(key)  # type: ignore[arg-type]


def sync_proactive(endpoint: ScriptedEndpoint, clock: FakeClock, cache: InMemoryTokenCache):  # type: ignore[no-untyped-def]
    return SyncTokenProvider(
        endpoint, lifecycle(clock), cache, KEY, clock, proactive_refresh=True
    )  # fmt: skip


@pytest.mark.anyio
async def test_async_cold_get_token_adopts_the_cached_token_before_the_refresher_starts() -> None:
    clock = FakeClock()
    cache = HeldAsyncCache()
    shared = token_value("shared-by-another-process")
    cache.store_sync(KEY, shared)
    endpoint = ScriptedEndpoint()
    provider = async_provider(
        endpoint, clock, cache=cache, proactive=True, sleep=ManualTime(clock).sleep
    )  # the refresher's sleeps never end: no refresh is due in these tests

    caller = asyncio.create_task(provider.get_token())
    await spin()  # the cache read is pending: a refresher running now would fetch
    assert endpoint.calls == 0
    cache.gate.set()
    assert (await caller).value == "shared-by-another-process"
    await spin()
    assert endpoint.calls == 0
    assert cache.refresher_running_at_load == [False]
    assert any(task.get_name() == REFRESHER for task in asyncio.all_tasks())  # started after
    assert provider.stats().token_requests == 0
    await provider.aclose()


@pytest.mark.anyio
async def test_async_start_adopts_a_cached_token_instead_of_requesting_one() -> None:
    clock = FakeClock()
    cache = HeldAsyncCache()
    cache.store_sync(KEY, token_value("shared-by-another-process"))
    cache.gate.set()
    endpoint = ScriptedEndpoint()
    provider = async_provider(
        endpoint, clock, cache=cache, proactive=True, sleep=ManualTime(clock).sleep
    )  # the refresher's sleeps never end: no refresh is due in these tests
    await provider.start()
    await spin()
    assert endpoint.calls == 0
    assert (await provider.get_token()).value == "shared-by-another-process"
    assert cache.loads == 1  # the refresher's read; the caller found the token in hand
    await provider.aclose()


@pytest.mark.anyio
async def test_async_cold_start_with_an_empty_cache_makes_one_request() -> None:
    clock = FakeClock()
    cache = HeldAsyncCache()
    cache.gate.set()
    endpoint = ScriptedEndpoint()
    provider = async_provider(
        endpoint, clock, cache=cache, proactive=True, sleep=ManualTime(clock).sleep
    )  # the refresher's sleeps never end: no refresh is due in these tests
    tokens = await asyncio.gather(*(provider.get_token() for _ in range(20)))
    await spin()
    assert {token.value for token in tokens} == {"token-1"}
    assert endpoint.calls == 1
    assert any(task.get_name() == REFRESHER for task in asyncio.all_tasks())
    await provider.aclose()


def test_threaded_cold_get_token_adopts_the_cached_token_before_the_refresher_starts() -> None:
    clock = FakeClock()
    cache = HeldSyncCache()
    cache.store_sync(KEY, token_value("shared-by-another-process"))
    endpoint = ScriptedEndpoint()
    provider = sync_proactive(endpoint, clock, cache)
    results: list[str] = []
    caller = threading.Thread(target=lambda: results.append(provider.get_token().value))
    caller.start()
    assert cache.entered.wait(timeout=10)
    cache.gate.set()
    caller.join(timeout=10)
    assert results == ["shared-by-another-process"]
    assert cache.refresher_running_at_load == [False]
    assert refresher_threads() - cache.earlier_refreshers  # started after the read
    assert endpoint.calls == 0
    provider.close()
    assert endpoint.calls == 0  # the refresher adopted nothing new to fetch: its token is fresh


def test_threaded_start_adopts_a_cached_token_instead_of_requesting_one() -> None:
    clock = FakeClock()
    cache = HeldSyncCache()
    cache.store_sync(KEY, token_value("shared-by-another-process"))
    cache.gate.set()
    endpoint = ScriptedEndpoint()
    provider = sync_proactive(endpoint, clock, cache)
    provider.start()
    assert provider.get_token().value == "shared-by-another-process"
    provider.close()
    assert endpoint.calls == 0


def test_threaded_cold_start_with_an_empty_cache_makes_one_request() -> None:
    clock = FakeClock()
    cache = HeldSyncCache()
    cache.gate.set()
    endpoint = ScriptedEndpoint()
    provider = sync_proactive(endpoint, clock, cache)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(provider.get_token().value))
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["token-1"] * 10
    assert endpoint.calls == 1
    provider.close()
    assert endpoint.calls == 1


@pytest.mark.anyio
async def test_a_cancelled_cold_caller_leaves_the_refresher_to_the_next_call() -> None:
    """A cancellation may be the loop shutting down: no task is started behind its back."""
    clock = FakeClock()
    cache = HeldAsyncCache()
    cache.store_sync(KEY, token_value("shared-by-another-process"))
    endpoint = ScriptedEndpoint()
    provider = async_provider(
        endpoint, clock, cache=cache, proactive=True, sleep=ManualTime(clock).sleep
    )
    caller = asyncio.create_task(provider.get_token())
    await spin()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert not any(task.get_name() == REFRESHER for task in asyncio.all_tasks())
    cache.gate.set()
    assert (await provider.get_token()).value == "shared-by-another-process"
    await spin()
    assert any(task.get_name() == REFRESHER for task in asyncio.all_tasks())
    assert endpoint.calls == 0
    await provider.aclose()
