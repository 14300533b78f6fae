"""Fakes for the auth adapter unit tests: a scripted token endpoint and manually moved time."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import deque
from collections.abc import Iterable

from fake_clock import FakeClock
from pydantic import SecretStr

from ozon_mcp.adapters.auth import InMemoryTokenCache, SyncTokenProvider, TokenProvider
from ozon_mcp.domain import (
    AccessToken,
    CacheKey,
    FailureKind,
    FetchFailure,
    LifetimeRules,
    RetryPolicy,
    ScopeSet,
    TokenGrant,
    TokenLifecycle,
    TokenResponse,
)

KEY = CacheKey("https://auth.example.com/token", "client-id")


def token_value(raw: str, *, lifetime: float = 600, refresh_after: float = 540) -> AccessToken:
    """An AccessToken obtained now on a fresh FakeClock."""
    clock = FakeClock()
    return AccessToken.create(
        raw,
        token_type="Bearer",
        obtained_at=clock.monotonic(),
        lifetime=lifetime,
        refresh_after=refresh_after,
        issued_wall=clock.now(),
    )


def grant(raw: str, expires_in: object = 600) -> TokenGrant:
    """A successful token answer."""
    return TokenGrant(SecretStr(raw), "Bearer", expires_in)


def unavailable(status: int = 503, retry_after: float | None = None) -> FetchFailure:
    """A transient failure as the endpoint adapter reports it."""
    return FetchFailure(FailureKind.TRANSIENT, f"HTTP {status}", status, retry_after)


def refused() -> FetchFailure:
    """The token endpoint refused the client credentials."""
    return FetchFailure(
        FailureKind.PERMANENT, "the token endpoint answered HTTP 401", 401, None, "invalid_client"
    )


class ScriptedEndpoint:
    """Answers token requests from a script, then with fresh tokens `token-<n>`.

    `async_gate` / `sync_gate`, when set, hold every request until the test opens them, so that
    a test decides when a fetch is "in flight".
    """

    def __init__(self, script: Iterable[TokenResponse | Exception] = ()) -> None:
        self.script: deque[TokenResponse | Exception] = deque(script)
        self.calls = 0
        self.completed = 0
        self.async_gate: asyncio.Event | None = None
        self.sync_gate: threading.Event | None = None
        self.entered = threading.Event()

    def _next(self) -> TokenResponse:
        self.completed += 1
        item = self.script.popleft() if self.script else grant(f"token-{self.calls}")
        if isinstance(item, Exception):
            raise item
        return item

    async def request_token(self, scopes: ScopeSet) -> TokenResponse:
        self.calls += 1
        self.entered.set()
        if self.async_gate is not None:
            await self.async_gate.wait()
        return self._next()

    def request_token_sync(self, scopes: ScopeSet) -> TokenResponse:
        self.calls += 1
        self.entered.set()
        if self.sync_gate is not None:
            self.sync_gate.wait(timeout=30)
        return self._next()


async def spin(rounds: int = 20) -> None:
    """Let the other tasks run until they block (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class ManualTime:
    """An async `sleep` that waits until the test lets that much fake time pass."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self.requests.put((seconds, done))
        await done

    async def pass_next_sleep(self) -> float:
        """Let the next requested sleep elapse on the fake clock; return its length."""
        seconds, done = await asyncio.wait_for(self.requests.get(), timeout=5)
        self.clock.advance(seconds)
        if not done.done():
            done.set_result(None)
        return seconds


def instant_sleep(clock: FakeClock, record: list[float] | None = None):  # type: ignore[no-untyped-def]
    """An async `sleep` that moves the fake clock at once (and records the delays)."""

    async def sleep(seconds: float) -> None:
        if record is not None:
            record.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    return sleep


def lifecycle(
    clock: FakeClock, *, retry: RetryPolicy | None = None, margin: float = 60.0
) -> TokenLifecycle:
    """A lifecycle with a seeded random source."""
    return TokenLifecycle(
        clock, random.Random(7), rules=LifetimeRules(refresh_margin=margin), retry=retry
    )


def async_provider(
    endpoint: ScriptedEndpoint,
    clock: FakeClock,
    *,
    retry: RetryPolicy | None = None,
    proactive: bool = False,
    sleep=None,  # type: ignore[no-untyped-def]
    cache: InMemoryTokenCache | None = None,
) -> TokenProvider:
    """A TokenProvider over the scripted endpoint; no background refresher unless asked."""
    return TokenProvider(
        endpoint,
        lifecycle(clock, retry=retry),
        cache if cache is not None else InMemoryTokenCache(),
        KEY,
        clock,
        proactive_refresh=proactive,
        sleep=sleep or instant_sleep(clock),
    )


def sync_provider(
    endpoint: ScriptedEndpoint,
    clock: FakeClock,
    *,
    retry: RetryPolicy | None = None,
    cache: InMemoryTokenCache | None = None,
) -> SyncTokenProvider:
    """A SyncTokenProvider over the scripted endpoint, without the refresher thread."""
    return SyncTokenProvider(
        endpoint,
        lifecycle(clock, retry=retry),
        cache if cache is not None else InMemoryTokenCache(),
        KEY,
        clock,
        proactive_refresh=False,
    )
