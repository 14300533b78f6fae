"""`TokenProvider`: drives the shared token flows (token_flow.py) on asyncio.

It performs the steps the flows yield and nothing else: each fetch runs in its own task (single
flight; a cancelled caller never cancels it), callers sleep until the deadlines the lifecycle
names, and a background task runs the refresher flow, which renews the token before callers
need it. Every timing and retry rule lives in the domain, every protocol rule in the flows.

One provider serves one event loop at a time; when it is used from a new loop (pytest, several
`asyncio.run` calls), its loop-bound parts are recreated and a fetch orphaned by the old loop is
abandoned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from ozon_mcp.adapters.auth import token_flow as flow
from ozon_mcp.adapters.auth.events import LOGGER_NAME
from ozon_mcp.adapters.auth.stats import ProviderStats
from ozon_mcp.adapters.auth.token_flow import (
    RESOURCE_401,
    Flow,
    FlowDriver,
    FlowRun,
    then_after_cold_call,
)
from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import SettingNames
from ozon_mcp.domain.lifecycle import FetchTicket, TokenLifecycle
from ozon_mcp.domain.ports import CacheKey, TokenCache, TokenEndpoint
from ozon_mcp.domain.token import AccessToken

__all__ = ["RESOURCE_401", "Sleep", "TokenProvider"]

Sleep = Callable[[float], Awaitable[object]]
T = TypeVar("T")


@runtime_checkable
class _AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


@dataclass
class _Fetch:
    ticket: FetchTicket
    task: asyncio.Task[None]


class TokenProvider(FlowDriver):
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
        setting_names: SettingNames | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._cache = cache
        self._sleep = sleep
        self._init_flows(
            lifecycle,
            key,
            clock,
            self._signal_change,
            proactive_refresh=proactive_refresh,
            logger=logger,
            setting_names=setting_names,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._fetch: _Fetch | None = None
        self._refresher: asyncio.Task[None] | None = None

    # --- public API ------------------------------------------------------------------------------

    async def get_token(self) -> AccessToken:
        """A valid access token; waits only when none is in hand (single flight).

        Raises the lifecycle's `TokenAcquisitionError` when no token can be had (its message
        says what to fix), or `ProviderClosedError` after `aclose()`.
        """
        token = self.token_in_hand()
        if token is not None:
            return token
        with then_after_cold_call(self._refresher_after_cold_call):
            return await self._run(self._flows.caller())

    def token_in_hand(self) -> AccessToken | None:
        """The hot path of `get_token`, without awaiting: the valid token when one is in hand
        and no refresh is due; None when `get_token` would have to fetch or wait."""
        flows = self._flows
        # Every request passes here: the checks of `_bind_to_running_loop` and
        # `_ensure_refresher` are inlined, and those run only when something is to be done.
        if flows.closed or asyncio.get_running_loop() is not self._loop:
            self._bind_to_running_loop()
        token = flows.token_in_hand()
        if token is not None and self._proactive:
            refresher = self._refresher
            if refresher is None or refresher.done():
                self._ensure_refresher()  # restarts a refresher that stopped
        return token

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
        return await self._run(self._flows.invalidate(token, reason))

    async def accepted(self, token: AccessToken | str) -> None:
        """The resource server accepted `token` after a 401 retry: rejections are over."""
        self._flows.accepted(token)

    def stats(self) -> ProviderStats:
        """Counters and the current token facts (never the token itself)."""
        return self._flows.stats()

    async def aclose(self) -> None:
        """Stop background work and close the endpoint's HTTP client; idempotent."""
        self._flows.closed = True
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

    # --- the driver ------------------------------------------------------------------------------

    async def _run(self, flow: Flow[T]) -> T:
        run = FlowRun(flow)
        while (step := run.next_step()) is not None:
            try:
                run.reply(await self._perform(step))
            except BaseException as exc:  # the flow decides; it re-raises what it cannot handle
                run.fail(exc)
        return run.result

    async def _perform(self, step: flow.Step) -> object:
        if isinstance(step, flow.AwaitSettled):
            # asyncio.wait never cancels what it waits for: a cancelled caller leaves the
            # shared fetch running for the others.
            await asyncio.wait({self._task_of(step.ticket_number)})
        elif isinstance(step, flow.Launch):
            self._launch(step.ticket)
        elif isinstance(step, flow.Request):
            return await self._endpoint.request_token(self._key.scopes)
        elif isinstance(step, flow.SleepUntil):
            await self._sleep(max(0.0, step.deadline - self._clock.monotonic()))
        elif isinstance(step, flow.Pause):
            await self._pause(step.deadline)
        elif isinstance(step, flow.LoadCache):
            return await self._cache.load(self._key)
        elif isinstance(step, flow.StoreCache):
            await self._cache.store(self._key, step.token)
        elif isinstance(step, flow.DiscardCache):
            await self._cache.discard(self._key, step.fingerprint)
        return None

    def _launch(self, ticket: FetchTicket) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run(self._flows.fetch(ticket)), name=f"ozon-mcp token request #{ticket.number}"
        )
        self._fetch = _Fetch(ticket, task)
        self._signal_change()

    def _task_of(self, ticket_number: int) -> asyncio.Task[None]:
        fetch = self._fetch
        if fetch is None or fetch.ticket.number != ticket_number:
            raise RuntimeError(f"token request #{ticket_number} has no task on this event loop")
        return fetch.task

    async def _pause(self, deadline: float | None) -> None:
        """Wait until `deadline` or until something changes, whichever comes first.

        Clearing the event here is safe: the flow computed this step from the current state
        without awaiting, so no change can have happened since.
        """
        changed = self._change_event()
        changed.clear()
        if deadline is None:
            await changed.wait()
            return
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

    # --- the background refresher ----------------------------------------------------------------

    def _ensure_refresher(self) -> None:
        self._flows.check_open()
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(
                self._run(self._flows.background()), name="ozon-mcp token refresher"
            )
            self._refresher.add_done_callback(self._refresher_ended)

    def _refresher_after_cold_call(self) -> None:
        """Start the refresher once a cold caller is done with the cache.

        Not before: a cold caller looks in the cache first (another process may share a token),
        and a refresher started earlier would request one meanwhile. Not after a cancellation
        either (the loop may be shutting down); the next call starts it.
        """
        if self._proactive and not self._flows.closed:
            self._ensure_refresher()

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
        self._flows.check_open()
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
            self._flows.abandon(fetch.ticket)
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
