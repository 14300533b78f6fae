"""One token protocol, two drivers: the asyncio and the threaded provider behave the same.

Each test here runs against both drivers of `TokenFlows` (token_flow.py), including the cache
port, which the threaded provider now uses through its sync side.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx2
import pytest
from auth_support import KEY, ScriptedEndpoint, async_provider, grant, sync_provider, token_value
from fake_clock import FakeClock

from ozon_mcp import ClientCredentialsAuth
from ozon_mcp.adapters.auth import InMemoryTokenCache, SyncTokenProvider, TokenProvider
from ozon_mcp.adapters.auth.token_flow import REQUEST, FlowRun, Launch, Request
from ozon_mcp.domain import (
    AccessToken,
    CacheKey,
    ConfigurationError,
    FailureKind,
    FetchFailure,
    ScopeSet,
    TokenEndpointUnavailableError,
    TokenResponse,
)

pytestmark = pytest.mark.anyio


@dataclass
class Driven:
    """A provider of either kind behind the same awaitable calls."""

    provider: TokenProvider | SyncTokenProvider
    get_token: Callable[[], Awaitable[AccessToken]]
    invalidate: Callable[[AccessToken], Awaitable[bool]]


def _driven(kind: str, endpoint: ScriptedEndpoint, clock: FakeClock, cache: object) -> Driven:
    if kind == "asyncio":
        provider = async_provider(endpoint, clock, cache=cache)  # type: ignore[arg-type]
        return Driven(provider, provider.get_token, provider.invalidate)
    threaded = sync_provider(endpoint, clock, cache=cache)  # type: ignore[arg-type]

    async def get_token() -> AccessToken:
        return threaded.get_token()

    async def invalidate(token: AccessToken) -> bool:
        return threaded.invalidate(token)

    return Driven(threaded, get_token, invalidate)


DRIVERS = pytest.mark.parametrize("kind", ["asyncio", "threads"])


@DRIVERS
async def test_a_token_in_the_cache_is_used_without_a_request(kind: str) -> None:
    cache = InMemoryTokenCache()
    cached = token_value("shared-token")
    cache.store_sync(KEY, cached)
    endpoint = ScriptedEndpoint()
    driven = _driven(kind, endpoint, FakeClock(), cache)
    assert (await driven.get_token()).value == "shared-token"
    assert endpoint.calls == 0
    assert driven.provider.stats().token_requests == 0


@DRIVERS
async def test_a_new_token_is_stored_and_an_invalidated_one_discarded(kind: str) -> None:
    cache = InMemoryTokenCache()
    endpoint = ScriptedEndpoint()
    driven = _driven(kind, endpoint, FakeClock(), cache)
    first = await driven.get_token()
    assert cache.load_sync(KEY) is first
    assert await driven.invalidate(first) is True
    assert cache.load_sync(KEY) is None
    assert await driven.invalidate(first) is False  # stale: ignored
    second = await driven.get_token()
    assert second.value == "token-2"
    assert cache.load_sync(KEY) is second


@DRIVERS
async def test_an_invalidated_token_is_not_taken_back_from_the_cache(kind: str) -> None:
    cache = InMemoryTokenCache()
    endpoint = ScriptedEndpoint()
    driven = _driven(kind, endpoint, FakeClock(), cache)
    first = await driven.get_token()
    await driven.invalidate(first)
    cache.store_sync(KEY, first)  # another replica wrote the rejected token back
    assert (await driven.get_token()).value == "token-2"


class BrokenCache:
    """A cache whose every operation fails, on both sides."""

    def __init__(self) -> None:
        self.calls = 0

    def _fail(self) -> None:
        self.calls += 1
        raise ConnectionError("cache down")

    def load_sync(self, key: CacheKey) -> AccessToken | None:
        self._fail()
        return None

    def store_sync(self, key: CacheKey, token: AccessToken) -> None:
        self._fail()

    def discard_sync(self, key: CacheKey, fingerprint: str) -> None:
        self._fail()

    async def load(self, key: CacheKey) -> AccessToken | None:
        self._fail()
        return None

    async def store(self, key: CacheKey, token: AccessToken) -> None:
        self._fail()

    async def discard(self, key: CacheKey, fingerprint: str) -> None:
        self._fail()


@DRIVERS
async def test_a_failing_cache_is_logged_and_the_token_still_served(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache = BrokenCache()
    endpoint = ScriptedEndpoint()
    driven = _driven(kind, endpoint, FakeClock(), cache)
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.auth"):
        token = await driven.get_token()
        assert await driven.invalidate(token) is True
    assert token.value == "token-1"
    assert cache.calls == 3  # load, store, discard: each failed, none stopped the flow
    events = [getattr(record, "auth_event", None) for record in caplog.records]
    assert events.count("cache_error") == 3


def _credentials_auth(cache: object) -> ClientCredentialsAuth:
    return ClientCredentialsAuth(
        token_url="https://auth.example.com/token",
        client_id="id",
        client_secret="secret-value",
        cache=cache,  # type: ignore[arg-type]
        clock=FakeClock(),
        proactive_refresh=False,
    )


def _cache_key_of(auth: ClientCredentialsAuth) -> CacheKey:
    return CacheKey("https://auth.example.com/token", "id")


async def test_client_credentials_auth_hands_its_cache_to_sync_and_async_clients() -> None:
    cache = InMemoryTokenCache()
    auth = _credentials_auth(cache)
    cache.store_sync(_cache_key_of(auth), token_value("from-the-cache"))
    request = httpx2.Request("GET", "https://api.example.com/x")
    sent = next(auth.sync_auth_flow(request))  # a sync client: no token request was needed
    assert sent.headers["Authorization"] == "Bearer from-the-cache"
    async_request = httpx2.Request("GET", "https://api.example.com/y")
    sent = await auth.async_auth_flow(async_request).__anext__()
    assert sent.headers["Authorization"] == "Bearer from-the-cache"
    stats = auth.stats()
    assert stats is not None
    assert stats.token_requests == 0
    await auth.aclose()


class AsyncOnlyCache:
    """A cache with only the async side of the port."""

    async def load(self, key: CacheKey) -> AccessToken | None:
        return None

    async def store(self, key: CacheKey, token: AccessToken) -> None:
        return None

    async def discard(self, key: CacheKey, fingerprint: str) -> None:
        return None


def test_a_cache_without_a_sync_side_is_refused_for_sync_clients_by_name() -> None:
    auth = _credentials_auth(AsyncOnlyCache())
    with pytest.raises(ConfigurationError, match="cache=AsyncOnlyCache has no sync side"):
        _ = auth.sync_provider


def test_a_cache_without_an_async_side_is_refused_for_async_clients_by_name() -> None:
    class SyncOnlyCache:
        def load_sync(self, key: CacheKey) -> AccessToken | None:
            return None

    auth = _credentials_auth(SyncOnlyCache())
    with pytest.raises(ConfigurationError, match="cache=SyncOnlyCache has no async side"):
        _ = auth.provider


def test_a_flow_run_throws_a_step_error_back_into_the_flow() -> None:
    seen: list[str] = []

    def flow():  # type: ignore[no-untyped-def]
        try:
            yield REQUEST
        except ValueError as exc:
            seen.append(str(exc))
        yield Launch  # any second step
        return "done"

    run = FlowRun(flow())
    assert isinstance(run.next_step(), Request)
    run.fail(ValueError("endpoint bug"))
    assert run.next_step() is Launch
    run.reply(None)
    assert run.next_step() is None
    assert run.result == "done"
    assert seen == ["endpoint bug"]


class LongRetryAfter:
    """A token endpoint that asks to be left alone for two minutes, then answers."""

    def __init__(self) -> None:
        self.calls = 0

    def _answer(self) -> TokenResponse:
        self.calls += 1
        if self.calls == 1:
            return FetchFailure(FailureKind.TRANSIENT, "HTTP 429", 429, retry_after=120.0)
        return grant(f"token-{self.calls}")

    async def request_token(self, scopes: ScopeSet) -> TokenResponse:
        return self._answer()

    def request_token_sync(self, scopes: ScopeSet) -> TokenResponse:
        return self._answer()


@DRIVERS
async def test_a_long_retry_after_fails_the_call_at_once_naming_the_next_attempt(
    kind: str,
) -> None:
    clock = FakeClock()
    endpoint = LongRetryAfter()
    driven = _driven(kind, endpoint, clock, InMemoryTokenCache())  # type: ignore[arg-type]
    with pytest.raises(TokenEndpointUnavailableError) as caught:
        await driven.get_token()
    message = str(caught.value)
    assert "HTTP 429" in message
    assert "next attempt at 00:02:00 UTC, later than one call waits (30 s)" in message
    assert caught.value.wait_limit == 30.0
    assert endpoint.calls == 1  # failed at once: no waiting, no second request
    clock.advance(120.0)  # the background (or the next caller) tries when allowed
    assert (await driven.get_token()).value == "token-2"


async def test_a_retry_after_within_the_bound_is_waited_for() -> None:
    # asyncio only: the threaded driver would wait the 120 s on its condition in real time.
    clock = FakeClock()
    endpoint = LongRetryAfter()
    provider = async_provider(endpoint, clock)  # type: ignore[arg-type]
    provider.lifecycle.max_wait = 200.0
    assert (await provider.get_token()).value == "token-2"
    assert clock.monotonic() == pytest.approx(1120.0)
    assert endpoint.calls == 2
