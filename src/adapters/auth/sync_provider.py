"""`SyncTokenProvider`: the same lifecycle for threaded programs, single flight across threads.

Every lifecycle call happens under one `threading.Condition`; the token request itself runs
outside it, in the first thread that needs it (or a short-lived thread for a refresh that no
caller waits for), and the others wait on the condition. A daemon thread does the proactive
refresh. As in the async provider, all timing rules come from the domain.
"""

from __future__ import annotations

import logging
import threading
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
from ozon_mcp.domain.ports import (
    CacheKey,
    FetchFailure,
    SyncTokenEndpoint,
    TokenGrant,
    TokenResponse,
)
from ozon_mcp.domain.token import AccessToken, token_fingerprint

RESOURCE_401 = "rejected by the resource server (HTTP 401)"
_JOIN_TIMEOUT = 2.0


@runtime_checkable
class _Closable(Protocol):
    def close(self) -> None: ...


class SyncTokenProvider:
    """Hands out valid access tokens to threads; see the module docstring."""

    def __init__(
        self,
        endpoint: SyncTokenEndpoint,
        lifecycle: TokenLifecycle,
        key: CacheKey,
        clock: Clock,
        *,
        proactive_refresh: bool = True,
        logger: logging.Logger | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._lifecycle = lifecycle
        self._key = key
        self._clock = clock
        self._proactive = proactive_refresh
        self._condition = threading.Condition(threading.Lock())
        self._counters = AuthCounters()
        self._events = AuthEvents(clock, self._counters, logger or logging.getLogger(LOGGER_NAME))
        self._closed = False
        self._refresher: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"SyncTokenProvider({self._key.token_url!r}, state={self._lifecycle.state.value})"

    # --- public API ------------------------------------------------------------------------------

    @property
    def key(self) -> CacheKey:
        """Which token this provider manages."""
        return self._key

    def get_token(self) -> AccessToken:
        """A valid access token; blocks only when none is in hand (one request for all threads).

        Raises the lifecycle's `TokenAcquisitionError` when no token can be had, or
        `ProviderClosedError` after `close()`.
        """
        with self._condition:
            if self._proactive:
                self._ensure_refresher()
            waited = False
            while True:
                self._check_open()
                decision = self._lifecycle.need_token()
                if isinstance(decision, UseToken):
                    if decision.refresh is not None:
                        self._fetch_in_thread(decision.refresh)
                    if not waited:
                        self._counters.cache_hits += 1
                    return decision.token
                if isinstance(decision, Fail):
                    raise fresh_error(decision.error)
                if not waited:
                    waited = True
                    self._counters.waits += 1
                if isinstance(decision, StartFetch):
                    self._fetch_unlocked(decision.ticket)
                elif isinstance(decision, AwaitFetch):
                    self._condition.wait_for(self._fetch_settled(decision.ticket_number))
                else:
                    self._condition.wait(max(0.0, decision.deadline - self._clock.monotonic()))

    def start(self) -> None:
        """Start the background refresher thread: a token is requested now, renewed in time."""
        with self._condition:
            self._ensure_refresher()

    def invalidate(self, token: AccessToken | str, *, reason: str = RESOURCE_401) -> bool:
        """Drop `token` (an AccessToken, its fingerprint or its raw value) if it is current."""
        with self._condition:
            fingerprint = self._fingerprint_of(token)
            effective = self._lifecycle.invalidate(fingerprint)
            self._events.invalidated(fingerprint, effective=effective, reason=reason)
            if effective:
                self._condition.notify_all()
            return effective

    def stats(self) -> ProviderStats:
        """Counters and the current token facts (never the token itself)."""
        with self._condition:
            return self._counters.stats(self._lifecycle.snapshot())

    def close(self) -> None:
        """Stop the refresher thread and close the endpoint's HTTP client; idempotent."""
        with self._condition:
            self._closed = True
            refresher, self._refresher = self._refresher, None
            self._condition.notify_all()
        if refresher is not None and refresher is not threading.current_thread():
            refresher.join(_JOIN_TIMEOUT)
        if isinstance(self._endpoint, _Closable):
            self._endpoint.close()

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed

    # --- fetching (called with the condition held) -----------------------------------------------

    def _fetch_unlocked(self, ticket: FetchTicket) -> None:
        """Send the request of `ticket` without holding the lock, then settle it under it."""
        self._events.fetch_started(ticket)
        self._condition.release()
        try:
            response = self._request()
        except BaseException:
            self._condition.acquire()
            self._abandon(ticket)
            raise
        self._condition.acquire()
        self._settle(ticket, response)

    def _fetch_in_thread(self, ticket: FetchTicket) -> None:
        """Run a refresh nobody waits for in a short-lived daemon thread."""
        self._events.fetch_started(ticket)
        thread = threading.Thread(
            target=self._fetch_detached, args=(ticket,), name="ozon-mcp token refresh", daemon=True
        )
        thread.start()

    def _fetch_detached(self, ticket: FetchTicket) -> None:
        try:
            response = self._request()
        except BaseException:
            with self._condition:
                self._abandon(ticket)
            raise
        with self._condition:
            self._settle(ticket, response)

    def _request(self) -> TokenResponse:
        try:
            return self._endpoint.request_token_sync(self._key.scopes)
        except Exception as exc:
            # Endpoints return expected failures; a raised one is a bug, but the lifecycle
            # must still hear about the ticket or every waiting thread would hang.
            return FetchFailure(
                FailureKind.TRANSIENT,
                f"the token endpoint adapter failed unexpectedly ({type(exc).__name__})",
            )

    def _settle(self, ticket: FetchTicket, response: TokenResponse) -> None:
        if self._lifecycle.in_flight == ticket:
            if isinstance(response, TokenGrant):
                outcome = self._lifecycle.token_received(ticket, response)
            else:
                outcome = self._lifecycle.fetch_failed(ticket, response)
            self._events.fetch_settled(outcome, self._lifecycle.current_token())
        self._condition.notify_all()

    def _abandon(self, ticket: FetchTicket) -> None:
        if self._lifecycle.in_flight == ticket:
            self._lifecycle.abandon_fetch(ticket)
            self._events.fetch_abandoned(ticket)
        self._condition.notify_all()

    def _fetch_settled(self, ticket_number: int) -> _Predicate:
        def settled() -> bool:
            in_flight = self._lifecycle.in_flight
            return self._closed or in_flight is None or in_flight.number != ticket_number

        return settled

    # --- the background refresher ----------------------------------------------------------------

    def _ensure_refresher(self) -> None:
        self._check_open()
        if self._refresher is None or not self._refresher.is_alive():
            self._refresher = threading.Thread(
                target=self._refresh_loop, name="ozon-mcp token refresher", daemon=True
            )
            self._refresher.start()

    def _refresh_loop(self) -> None:
        with self._condition:
            first = True
            while not self._closed:
                step = self._lifecycle.start() if first else self._lifecycle.next_background_step()
                first = False
                if isinstance(step, StartFetch):
                    self._fetch_unlocked(step.ticket)
                elif isinstance(step, AwaitFetch):
                    self._condition.wait_for(self._fetch_settled(step.ticket_number))
                elif isinstance(step, WaitUntil):
                    token = self._lifecycle.current_token()
                    if token is not None and step.deadline == token.refresh_at:
                        self._events.refresh_scheduled(token)
                    self._condition.wait(max(0.0, step.deadline - self._clock.monotonic()))
                elif isinstance(step, Idle):
                    self._condition.wait()

    # --- helpers ---------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ProviderClosedError("the token provider is closed; create a new one")

    def _fingerprint_of(self, token: AccessToken | str) -> str:
        if isinstance(token, AccessToken):
            return token.fingerprint
        current = self._lifecycle.current_token()
        if current is not None and token == current.fingerprint:
            return token
        return token_fingerprint(token)


class _Predicate(Protocol):
    def __call__(self) -> bool: ...
