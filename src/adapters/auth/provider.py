"""`TokenProvider`: drives the domain `TokenLifecycle` on asyncio.

It performs the I/O the lifecycle asks for and nothing else: one shared fetch task at a time
(single flight; a cancelled caller never cancels it), sleeps until the deadlines the lifecycle
names, and a background refresher that renews the token before callers need it. Every timing
and retry rule lives in the domain.

One provider serves one event loop at a time; when it is used from a new loop (pytest, several
`asyncio.run` calls), its loop-bound parts are recreated and a fetch orphaned by the old loop is
abandoned.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ozon_mcp.adapters.auth.errors import ProviderClosedError, fresh_error
from ozon_mcp.adapters.auth.events import LOGGER_NAME, AuthEvents
from ozon_mcp.adapters.auth.stats import AuthCounters, ProviderStats
from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import FailureKind
from ozon_mcp.domain.lifecycle import (
    AwaitFetch,
    Fail,
    FetchTicket,
    Idle,
    StartFetch,
    TokenLifecycle,
    UseToken,
    WaitUntil,
)
from ozon_mcp.domain.ports import CacheKey, FetchFailure, TokenCache, TokenEndpoint, TokenGrant
from ozon_mcp.domain.token import AccessToken, token_fingerprint

Sleep = Callable[[float], Awaitable[object]]
RESOURCE_401 = "rejected by the resource server (HTTP 401)"


@runtime_checkable
class _AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


@dataclass
class _Fetch:
    ticket: FetchTicket
    task: asyncio.Task[None]


class TokenProvider:
    """Hands out valid access tokens to asyncio callers; see the module docstring."""

    def __init__(
        self,
        endpoint: TokenEndpoint,
        lifecycle: TokenLifecycle,
        cache: TokenCache,
        key: CacheKey,
        clock: Clock,
        *,
        proactive_refresh: bool = True,
        sleep: Sleep = asyncio.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._lifecycle = lifecycle
        self._cache = cache
        self._key = key
        self._clock = clock
        self._proactive = proactive_refresh
        self._sleep = sleep
        self._counters = AuthCounters()
        self._events = AuthEvents(clock, self._counters, logger or logging.getLogger(LOGGER_NAME))
        self._recently_invalidated: deque[str] = deque(maxlen=8)
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._fetch: _Fetch | None = None
        self._refresher: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"TokenProvider({self._key.token_url!r}, state={self._lifecycle.state.value})"

    # --- public API ------------------------------------------------------------------------------

    @property
    def key(self) -> CacheKey:
        """Which token this provider manages."""
        return self._key

    @property
    def lifecycle(self) -> TokenLifecycle:
        """The domain lifecycle it drives (read-only use: `state`, `snapshot()`)."""
        return self._lifecycle

    async def get_token(self) -> AccessToken:
        """A valid access token; waits only when none is in hand (single flight).

        Raises the lifecycle's `TokenAcquisitionError` when no token can be had (its message
        says what to fix), or `ProviderClosedError` after `aclose()`.
        """
        self._bind_to_running_loop()
        if self._proactive:
            self._ensure_refresher()
        lifecycle = self._lifecycle
        if lifecycle.current_token() is None and lifecycle.in_flight is None:
            await self._adopt_from_cache()
        waited = False
        while True:
            self._check_open()
            decision = lifecycle.need_token()
            if isinstance(decision, UseToken):
                if decision.refresh is not None:
                    self._launch(decision.refresh)
                if not waited:
                    self._counters.cache_hits += 1
                return decision.token
            if isinstance(decision, Fail):
                raise fresh_error(decision.error)
            if not waited:
                waited = True
                self._counters.waits += 1
            if isinstance(decision, StartFetch):
                await self._wait_for(self._launch(decision.ticket))
            elif isinstance(decision, AwaitFetch):
                await self._wait_for(self._task_of(decision.ticket_number))
            else:
                await self._sleep(max(0.0, decision.deadline - self._clock.monotonic()))

    async def start(self) -> None:
        """Start the background refresher: a token is requested now and renewed before expiry."""
        self._bind_to_running_loop()
        self._ensure_refresher()

    async def invalidate(self, token: AccessToken | str, *, reason: str = RESOURCE_401) -> bool:
        """Drop `token` (an AccessToken, its fingerprint or its raw value) if it is current.

        Returns whether it was the current token; a stale one is ignored, so many concurrent
        401s caused by one token lead to one new token request.
        """
        self._bind_to_running_loop()
        fingerprint = self._fingerprint_of(token)
        effective = self._lifecycle.invalidate(fingerprint)
        self._events.invalidated(fingerprint, effective=effective, reason=reason)
        if effective:
            self._recently_invalidated.append(fingerprint)
            self._signal_change()
            try:
                await self._cache.discard(self._key, fingerprint)
            except Exception as exc:
                self._events.cache_failed("discard", exc)
        return effective

    def stats(self) -> ProviderStats:
        """Counters and the current token facts (never the token itself)."""
        return self._counters.stats(self._lifecycle.snapshot())

    async def aclose(self) -> None:
        """Stop background work and close the endpoint's HTTP client; idempotent."""
        self._closed = True
        loop = asyncio.get_running_loop()
        tasks = [
            task
            for task in (self._refresher, self._fetch.task if self._fetch else None)
            if task is not None and not task.done() and task.get_loop() is loop
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._refresher = None
        if isinstance(self._endpoint, _AsyncClosable):
            await self._endpoint.aclose()

    @property
    def closed(self) -> bool:
        """Whether `aclose()` was called."""
        return self._closed

    # --- the shared fetch ------------------------------------------------------------------------

    def _launch(self, ticket: FetchTicket) -> asyncio.Task[None]:
        self._events.fetch_started(ticket)
        task = asyncio.get_running_loop().create_task(
            self._run_fetch(ticket), name=f"ozon-mcp token request #{ticket.number}"
        )
        self._fetch = _Fetch(ticket, task)
        self._signal_change()
        return task

    async def _run_fetch(self, ticket: FetchTicket) -> None:
        try:
            response = await self._endpoint.request_token(self._key.scopes)
        except asyncio.CancelledError:
            self._abandon(ticket)
            raise
        except Exception as exc:
            # Endpoints return expected failures; anything raised is a bug, but the lifecycle
            # must still hear about the ticket or every caller would wait forever.
            response = FetchFailure(
                FailureKind.TRANSIENT,
                f"the token endpoint adapter failed unexpectedly ({type(exc).__name__})",
            )
        if self._lifecycle.in_flight != ticket:
            return  # abandoned meanwhile (the provider moved to another event loop)
        if isinstance(response, TokenGrant):
            outcome = self._lifecycle.token_received(ticket, response)
        else:
            outcome = self._lifecycle.fetch_failed(ticket, response)
        self._events.fetch_settled(outcome, self._lifecycle.current_token())
        self._signal_change()
        if outcome.token is not None:
            try:
                await self._cache.store(self._key, outcome.token)
            except Exception as exc:
                self._events.cache_failed("store", exc)

    def _abandon(self, ticket: FetchTicket) -> None:
        if self._lifecycle.in_flight == ticket:
            self._lifecycle.abandon_fetch(ticket)
            self._events.fetch_abandoned(ticket)
            self._signal_change()

    def _task_of(self, ticket_number: int) -> asyncio.Task[None]:
        fetch = self._fetch
        if fetch is None or fetch.ticket.number != ticket_number:
            raise RuntimeError(f"token request #{ticket_number} has no task on this event loop")
        return fetch.task

    @staticmethod
    async def _wait_for(task: asyncio.Task[None]) -> None:
        # asyncio.wait never cancels what it waits for: a cancelled caller leaves the shared
        # fetch running for the others.
        await asyncio.wait({task})

    # --- the background refresher ----------------------------------------------------------------

    def _ensure_refresher(self) -> None:
        self._check_open()
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(
                self._refresh_loop(), name="ozon-mcp token refresher"
            )
            self._refresher.add_done_callback(self._refresher_ended)

    async def _refresh_loop(self) -> None:
        first = True
        while not self._closed:
            changed = self._change_event()
            changed.clear()
            step = self._lifecycle.start() if first else self._lifecycle.next_background_step()
            first = False
            if isinstance(step, StartFetch):
                await self._wait_for(self._launch(step.ticket))
            elif isinstance(step, AwaitFetch):
                await self._wait_for(self._task_of(step.ticket_number))
            elif isinstance(step, WaitUntil):
                token = self._lifecycle.current_token()
                if token is not None and step.deadline == token.refresh_at:
                    self._events.refresh_scheduled(token)
                await self._pause(step.deadline, changed)
            elif isinstance(step, Idle):
                await changed.wait()

    async def _pause(self, deadline: float, changed: asyncio.Event) -> None:
        """Wait until `deadline` or until something changes, whichever comes first."""
        delay = deadline - self._clock.monotonic()
        if delay <= 0:
            await asyncio.sleep(0)
            return
        waker = asyncio.ensure_future(changed.wait())
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for helper in (waker, sleeper):
                helper.cancel()
            await asyncio.gather(waker, sleeper, return_exceptions=True)

    def _refresher_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logging.getLogger(LOGGER_NAME).error(
                "the background token refresher stopped (%s); callers still fetch on demand",
                type(exc).__name__,
                extra={"auth_event": "refresher_failed"},
            )

    # --- event loop binding ----------------------------------------------------------------------

    def _bind_to_running_loop(self) -> None:
        self._check_open()
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        old = self._loop
        if old is not None and old.is_running() and not old.is_closed():
            raise RuntimeError(
                "this token provider is in use on another running event loop (another thread?); "
                "create one ClientCredentialsAuth or TokenProvider per event loop"
            )
        for task in (self._refresher, self._fetch.task if self._fetch else None):
            if task is not None and not task.done() and not task.get_loop().is_closed():
                task.cancel()  # runs if that loop ever runs again, instead of competing
        fetch = self._fetch
        if fetch is not None and not fetch.task.done():
            # The old loop can no longer finish this request: let the new loop start afresh.
            self._abandon(fetch.ticket)
        self._fetch = None
        self._refresher = None
        self._loop = loop
        self._changed = asyncio.Event()

    def _change_event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _signal_change(self) -> None:
        if self._changed is not None:
            self._changed.set()

    def _check_open(self) -> None:
        if self._closed:
            raise ProviderClosedError("the token provider is closed; create a new one")

    # --- cache and invalidation helpers ----------------------------------------------------------

    async def _adopt_from_cache(self) -> None:
        try:
            cached = await self._cache.load(self._key)
        except Exception as exc:
            self._events.cache_failed("load", exc)
            return
        if cached is None or cached.fingerprint in self._recently_invalidated:
            return
        current = self._lifecycle.current_token()
        if current is not None and current.fingerprint == cached.fingerprint:
            return
        if self._lifecycle.adopt(cached):
            self._events.adopted(cached)
            self._signal_change()

    def _fingerprint_of(self, token: AccessToken | str) -> str:
        if isinstance(token, AccessToken):
            return token.fingerprint
        current = self._lifecycle.current_token()
        if current is not None and token == current.fingerprint:
            return token
        return token_fingerprint(token)
