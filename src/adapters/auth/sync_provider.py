"""`SyncTokenProvider`: drives the shared token flows (token_flow.py) with threads.

The flows' own code runs under one `threading.Condition`; every I/O step (the token request, the
cache) runs with it released. Each fetch runs in a short-lived daemon thread that the callers
wait for on the condition (single flight across threads), and a daemon thread runs the refresher
flow. The cache is the `SyncTokenCache` side of the port, so a shared cache serves threaded
programs as it serves asyncio ones. Every timing rule comes from the domain, every protocol rule
from the flows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar, runtime_checkable

from ozon_mcp.adapters.auth import token_flow as flow
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
from ozon_mcp.domain.ports import CacheKey, SyncTokenCache, SyncTokenEndpoint
from ozon_mcp.domain.token import AccessToken

__all__ = ["RESOURCE_401", "ConditionWait", "SyncTokenProvider"]

# How a thread waits on the provider's condition for at most `timeout` seconds (None: until
# notified); injected together with a clock so that tests control time for threads too.
ConditionWait = Callable[[threading.Condition, float | None], object]

_JOIN_TIMEOUT = 2.0
T = TypeVar("T")


@runtime_checkable
class _Closable(Protocol):
    def close(self) -> None: ...


class SyncTokenProvider(FlowDriver):
    """Hands out valid access tokens to threads; see the module docstring."""

    def __init__(
        self,
        endpoint: SyncTokenEndpoint,
        lifecycle: TokenLifecycle,
        cache: SyncTokenCache,
        key: CacheKey,
        clock: Clock,
        *,
        proactive_refresh: bool = True,
        wait: ConditionWait | None = None,
        logger: logging.Logger | None = None,
        setting_names: SettingNames | None = None,
    ) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._wait: ConditionWait = wait if wait is not None else threading.Condition.wait
        self._endpoint = endpoint
        self._cache = cache
        self._init_flows(
            lifecycle,
            key,
            clock,
            self._condition.notify_all,
            proactive_refresh=proactive_refresh,
            logger=logger,
            setting_names=setting_names,
        )
        self._refresher: threading.Thread | None = None

    # --- public API ------------------------------------------------------------------------------

    def get_token(self) -> AccessToken:
        """A valid access token; blocks only when none is in hand (one request for all threads).

        Raises the lifecycle's `TokenAcquisitionError` when no token can be had, or
        `ProviderClosedError` after `close()`.
        """
        with self._condition:
            token = self._flows.token_in_hand()
            if token is not None and self._proactive:
                self._ensure_refresher()  # restarts a refresher that stopped
        if token is not None:
            return token
        with then_after_cold_call(self._refresher_after_cold_call):
            return self._run(self._flows.caller())

    def start(self) -> None:
        """Start the background refresher thread: a token is requested now, renewed in time."""
        with self._condition:
            self._ensure_refresher()

    def invalidate(self, token: AccessToken | str, *, reason: str = RESOURCE_401) -> bool:
        """Drop `token` (an AccessToken, its fingerprint or its raw value) if it is current."""
        return self._run(self._flows.invalidate(token, reason))

    def accepted(self, token: AccessToken | str) -> None:
        """The resource server accepted `token` after a 401 retry: rejections are over."""
        with self._condition:
            self._flows.accepted(token)

    def stats(self) -> ProviderStats:
        """Counters and the current token facts (never the token itself)."""
        with self._condition:
            return self._flows.stats()

    def close(self) -> None:
        """Stop the refresher thread and close the endpoint's HTTP client; idempotent."""
        with self._condition:
            self._flows.closed = True
            refresher, self._refresher = self._refresher, None
            self._condition.notify_all()
        if refresher is not None and refresher is not threading.current_thread():
            refresher.join(_JOIN_TIMEOUT)
        if isinstance(self._endpoint, _Closable):
            self._endpoint.close()

    # --- the driver ------------------------------------------------------------------------------

    def _run(self, flow: Flow[T]) -> T:
        run = FlowRun(flow)
        with self._condition:
            while (step := run.next_step()) is not None:
                try:
                    run.reply(self._perform(step))
                except BaseException as exc:  # the flow decides; it re-raises what it cannot handle
                    run.fail(exc)
        return run.result

    def _perform(self, step: flow.Step) -> object:
        """Perform one step; called with the condition held, I/O runs with it released."""
        if isinstance(step, flow.AwaitSettled):
            number = step.ticket_number
            self._condition.wait_for(lambda: self._flows.is_settled(number))
        elif isinstance(step, flow.Launch):
            self._launch(step.ticket)
        elif isinstance(step, flow.SleepUntil | flow.Pause):
            timeout = None if step.deadline is None else step.deadline - self._clock.monotonic()
            if timeout is None or timeout > 0:
                self._wait(self._condition, timeout)
        else:
            with self._unlocked():
                return self._perform_io(step)
        return None

    def _perform_io(self, step: flow.Request | flow.CacheStep) -> object:
        if isinstance(step, flow.Request):
            return self._endpoint.request_token_sync(self._key.scopes)
        if isinstance(step, flow.LoadCache):
            return self._cache.load_sync(self._key)
        if isinstance(step, flow.StoreCache):
            self._cache.store_sync(self._key, step.token)
        else:
            self._cache.discard_sync(self._key, step.fingerprint)
        return None

    @contextmanager
    def _unlocked(self) -> Iterator[None]:
        self._condition.release()
        try:
            yield
        finally:
            self._condition.acquire()

    def _launch(self, ticket: FetchTicket) -> None:
        thread = threading.Thread(
            target=self._run,
            args=(self._flows.fetch(ticket),),
            name=f"ozon-mcp token request #{ticket.number}",
            daemon=True,
        )
        thread.start()
        self._condition.notify_all()

    # --- the background refresher ----------------------------------------------------------------

    def _refresher_after_cold_call(self) -> None:
        """Start the refresher once a cold caller is done with the cache (not before: a
        refresher started earlier would request a token the cache may hold)."""
        if self._proactive:
            with self._condition:
                if not self._flows.closed:
                    self._ensure_refresher()

    def _ensure_refresher(self) -> None:
        self._flows.check_open()
        if self._refresher is None or not self._refresher.is_alive():
            self._refresher = threading.Thread(
                target=self._run,
                args=(self._flows.background(),),
                name="ozon-mcp token refresher",
                daemon=True,
            )
            self._refresher.start()
