"""The token protocol of both providers, written once as sans-I/O generators.

`TokenFlows` holds what the asyncio `TokenProvider` and the threaded `SyncTokenProvider` share:
the caller protocol (hand out a token, fetch or wait when there is none), the background
refresher, one token request and its settlement, invalidation, and the cache. Each protocol is a
generator that yields what it needs done, the way an httpx `Auth.auth_flow` yields requests; the
two providers are thin drivers that only perform the steps:

    step                      | asyncio driver (provider.py)  | threaded driver (sync_provider.py)
    --------------------------+-------------------------------+-----------------------------------
    Launch(ticket)            | a task runs fetch(ticket)     | a daemon thread runs fetch(ticket)
    AwaitSettled(number)      | asyncio.wait on that task     | Condition.wait_for(settled)
    SleepUntil(deadline)      | the injected sleep            | Condition.wait(timeout)
    Pause(deadline | None)    | sleep, or until a change      | Condition.wait(timeout)
    REQUEST                   | await request_token           | request_token_sync, lock released
    Load/Store/DiscardCache   | await cache.load/store/...    | cache.load_sync/..., lock released

Rules of the drivers: a step's result is sent back into the flow; an exception a step raised is
thrown back into the flow at its `yield`, so the flow decides what a failure means (an endpoint
bug becomes a transient failure, a cancelled fetch is abandoned, a cache error is logged and
ignored). A fetch always runs on its own (task or thread), so a caller that is cancelled or
interrupted while it waits never cancels the request the others wait for. The threaded driver
runs the flows' own code under its lock and every I/O step without it. Every timing and retry
rule stays in the domain `TokenLifecycle`; these flows only sequence it.

The hot path, a valid token in hand, never enters a generator: `token_in_hand()`. Errors are
raised worded with the provider's `setting_names` (the server: environment variables;
`ClientCredentialsAuth`: its keyword arguments).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Final, Generic, TypeVar

from ozon_mcp.adapters.auth.errors import ProviderClosedError
from ozon_mcp.adapters.auth.events import LOGGER_NAME, AuthEvents
from ozon_mcp.adapters.auth.stats import AuthCounters, ProviderStats
from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import PLAIN_NAMES, FailureKind, SettingNames
from ozon_mcp.domain.lifecycle import (
    Acquired,
    AwaitFetch,
    Fail,
    FetchTicket,
    StartFetch,
    TokenLifecycle,
    UseToken,
    WaitReason,
    WaitUntil,
)
from ozon_mcp.domain.ports import CacheKey, FetchFailure, TokenGrant
from ozon_mcp.domain.token import AccessToken, token_fingerprint

RESOURCE_401 = "rejected by the resource server (HTTP 401)"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Launch:
    """Start running `fetch(ticket)` on its own (a task or a thread); do not wait for it."""

    ticket: FetchTicket


@dataclass(frozen=True, slots=True)
class AwaitSettled:
    """Wait until the fetch with this number is settled (or abandoned, or the provider closed)."""

    ticket_number: int


@dataclass(frozen=True, slots=True)
class SleepUntil:
    """A caller waits until the monotonic time `deadline`, then asks again."""

    deadline: float


@dataclass(frozen=True, slots=True)
class Pause:
    """The refresher waits until `deadline` (None: indefinitely) or until something changes."""

    deadline: float | None


@dataclass(frozen=True, slots=True)
class Request:
    """Send one token request; the reply is the endpoint's `TokenResponse`."""


@dataclass(frozen=True, slots=True)
class LoadCache:
    """Read the cached token; the reply is an `AccessToken` or None."""

    operation: str = "load"


@dataclass(frozen=True, slots=True)
class StoreCache:
    """Store this token in the cache."""

    token: AccessToken
    operation: str = "store"


@dataclass(frozen=True, slots=True)
class DiscardCache:
    """Forget the cached token if it still has this fingerprint."""

    fingerprint: str
    operation: str = "discard"


REQUEST: Final = Request()
LOAD_CACHE: Final = LoadCache()

CacheStep = LoadCache | StoreCache | DiscardCache
Step = Launch | AwaitSettled | SleepUntil | Pause | Request | CacheStep
# Replies are typed by the step that asked (TokenResponse, AccessToken | None or None).
Flow = Generator[Step, Any, T]


class FlowRun(Generic[T]):
    """Steps one flow for a driver: the next step, then the step's result or its exception."""

    __slots__ = ("_error", "_flow", "_reply", "result")

    def __init__(self, flow: Flow[T]) -> None:
        self._flow = flow
        self._reply: object = None
        self._error: BaseException | None = None

    def next_step(self) -> Step | None:
        """The step the flow wants performed, or None when it has returned (see `result`)."""
        try:
            error = self._error
            if error is not None:
                self._error = None
                return self._flow.throw(error)
            return self._flow.send(self._reply)
        except StopIteration as stop:
            self.result: T = stop.value
            return None

    def reply(self, value: object) -> None:
        """The result of the step just performed."""
        self._reply = value

    def fail(self, error: BaseException) -> None:
        """The step just performed raised `error`; it is thrown into the flow."""
        self._error = error


class TokenFlows:
    """The provider protocol over one `TokenLifecycle`; see the module docstring."""

    def __init__(
        self,
        lifecycle: TokenLifecycle,
        key: CacheKey,
        clock: Clock,
        events: AuthEvents,
        changed: Callable[[], None],
    ) -> None:
        self.lifecycle = lifecycle
        self.key = key
        self.clock = clock
        self.events = events
        self.counters: AuthCounters = events.counters
        self.closed = False
        self._changed = changed  # wakes the refresher and the waiting callers of the driver
        self._recently_invalidated: deque[str] = deque(maxlen=8)

    # --- what callers ask ------------------------------------------------------------------------

    def token_in_hand(self) -> AccessToken | None:
        """The hot path: the valid token when no refresh is due (counted as a hit), else None."""
        token = self.lifecycle.fresh_token()
        if token is not None:
            self.counters.cache_hits += 1
        return token

    def caller(self) -> Flow[AccessToken]:
        """A caller needs a token and none is in hand ready to use: fetch, wait or fail."""
        lifecycle = self.lifecycle
        if self.cold():
            yield from self._adopt_from_cache()
        waiting_since: float | None = None  # bounds this caller's wait (lifecycle.max_wait)
        while True:
            self.check_open()
            decision = lifecycle.need_token(waiting_since)
            if isinstance(decision, UseToken):
                if decision.refresh is not None:
                    yield from self._launch(decision.refresh)
                if waiting_since is None:
                    self.counters.cache_hits += 1
                return decision.token
            if isinstance(decision, Fail):
                raise decision.error.worded(self.events.names)
            if waiting_since is None:
                waiting_since = self.clock.monotonic()
                self.counters.waits += 1
            if isinstance(decision, StartFetch):
                yield from self._launch(decision.ticket)
                yield AwaitSettled(decision.ticket.number)
            elif isinstance(decision, AwaitFetch):
                yield AwaitSettled(decision.ticket_number)
            else:
                yield SleepUntil(decision.deadline)

    def background(self) -> Flow[None]:
        """The proactive refresher: keeps a token ready before callers ask, until closed.

        A cold refresher looks in the cache before its first fetch, so a process started next
        to others that share a cache adopts their token instead of requesting its own.
        """
        if self.cold():
            yield from self._adopt_from_cache()
        step = self.lifecycle.start()
        while not self.closed:
            if isinstance(step, StartFetch):
                yield from self._launch(step.ticket)
                yield AwaitSettled(step.ticket.number)
            elif isinstance(step, AwaitFetch):
                yield AwaitSettled(step.ticket_number)
            elif isinstance(step, WaitUntil):
                token = self.lifecycle.current_token()
                if token is not None and step.reason is WaitReason.REFRESH_TIME:
                    self.events.refresh_scheduled(token)
                yield Pause(step.deadline)
            else:
                yield Pause(None)
            step = self.lifecycle.next_background_step()

    def fetch(self, ticket: FetchTicket) -> Flow[None]:
        """One token request: send it, settle it in the lifecycle, keep a new token in the cache."""
        try:
            response = yield REQUEST
        except Exception as exc:
            # Endpoints return expected failures; anything raised is a bug, but the lifecycle
            # must still hear about the ticket or every caller would wait forever.
            response = FetchFailure(
                FailureKind.TRANSIENT,
                f"the token endpoint adapter failed unexpectedly ({type(exc).__name__})",
            )
        except BaseException:
            self.abandon(ticket)  # cancelled (shutdown, loop gone): no result will come
            raise
        if self.lifecycle.in_flight != ticket:
            return  # abandoned meanwhile (the provider moved to another event loop)
        if isinstance(response, TokenGrant):
            outcome = self.lifecycle.token_received(ticket, response)
        else:
            outcome = self.lifecycle.fetch_failed(ticket, response)
        self.events.fetch_settled(outcome, self.lifecycle.current_token())
        self._changed()
        if isinstance(outcome, Acquired):
            yield from self._cache(StoreCache(outcome.token))

    def invalidate(self, token: AccessToken | str, reason: str = RESOURCE_401) -> Flow[bool]:
        """Drop `token` (an AccessToken, its fingerprint or its raw value) if it is current.

        Returns whether it was the current token; a stale one is ignored, so many concurrent
        401s caused by one token lead to one new token request.
        """
        fingerprint = self._fingerprint_of(token)
        lifecycle = self.lifecycle
        rejections = lifecycle.rejections
        effective = lifecycle.invalidate(fingerprint)
        if lifecycle.rejections > rejections and lifecycle.rejected_until is not None:
            pause = lifecycle.rejected_until - self.clock.monotonic()
            self.events.rejected_again(fingerprint, lifecycle.rejections, pause)
        else:
            self.events.invalidated(fingerprint, effective=effective, reason=reason)
        if effective:
            self._recently_invalidated.append(fingerprint)
            self._changed()
            yield from self._cache(DiscardCache(fingerprint))
        return effective

    # --- plain transitions -----------------------------------------------------------------------

    def accepted(self, token: AccessToken | str) -> None:
        """The resource server accepted the token that replaced a rejected one."""
        self.lifecycle.accepted(self._fingerprint_of(token))

    def abandon(self, ticket: FetchTicket) -> None:
        """Settle `ticket` without a result (its task or thread is gone)."""
        if self.lifecycle.in_flight == ticket:
            self.lifecycle.abandon_fetch(ticket)
            self.events.fetch_abandoned(ticket)
            self._changed()

    def cold(self) -> bool:
        """No token in hand (valid or not) and no fetch in flight: the cache may have one."""
        lifecycle = self.lifecycle
        return lifecycle.current_token() is None and lifecycle.in_flight is None

    def is_settled(self, ticket_number: int) -> bool:
        """Whether a waiter for fetch `ticket_number` may stop waiting."""
        in_flight = self.lifecycle.in_flight
        return self.closed or in_flight is None or in_flight.number != ticket_number

    def check_open(self) -> None:
        """Raise `ProviderClosedError` once the provider is closed."""
        if self.closed:
            raise ProviderClosedError("the token provider is closed; create a new one")

    def stats(self) -> ProviderStats:
        """Counters and the current token facts (never the token itself)."""
        stats = self.counters.stats(self.lifecycle.snapshot())
        error = self.lifecycle.last_error
        if error is None:
            return stats
        return replace(stats, last_error=error.worded(self.events.names).message)

    # --- internals -------------------------------------------------------------------------------

    def _launch(self, ticket: FetchTicket) -> Flow[None]:
        self.events.fetch_started(ticket)
        yield Launch(ticket)

    def _cache(self, step: CacheStep) -> Flow[AccessToken | None]:
        try:
            found: AccessToken | None = yield step
        except Exception as exc:
            self.events.cache_failed(step.operation, exc)
            return None
        return found

    def _adopt_from_cache(self) -> Flow[None]:
        cached = yield from self._cache(LOAD_CACHE)
        if cached is None or cached.fingerprint in self._recently_invalidated:
            return
        current = self.lifecycle.current_token()
        if current is not None and current.fingerprint == cached.fingerprint:
            return
        if self.lifecycle.adopt(cached):
            self.events.adopted(cached)
            self._changed()

    def _fingerprint_of(self, token: AccessToken | str) -> str:
        if isinstance(token, AccessToken):
            return token.fingerprint
        current = self.lifecycle.current_token()
        if current is not None and token == current.fingerprint:
            return token
        return token_fingerprint(token)


class FlowDriver:
    """What both providers expose about the flows they drive (subclasses set `_flows`)."""

    _flows: TokenFlows

    def _init_flows(
        self,
        lifecycle: TokenLifecycle,
        key: CacheKey,
        clock: Clock,
        changed: Callable[[], None],
        *,
        proactive_refresh: bool,
        logger: logging.Logger | None,
        setting_names: SettingNames | None,
    ) -> None:
        self._key = key
        self._clock = clock
        self._proactive = proactive_refresh
        events = AuthEvents(
            clock,
            AuthCounters(),
            logger or logging.getLogger(LOGGER_NAME),
            names=setting_names or PLAIN_NAMES,
        )
        self._flows = TokenFlows(lifecycle, key, clock, events, changed)

    def __repr__(self) -> str:
        flows = self._flows
        return (
            f"{type(self).__name__}({flows.key.token_url!r}, state={flows.lifecycle.state.value})"
        )

    @property
    def key(self) -> CacheKey:
        """Which token this provider manages."""
        return self._flows.key

    @property
    def lifecycle(self) -> TokenLifecycle:
        """The domain lifecycle it drives (read-only use: `state`, `snapshot()`)."""
        return self._flows.lifecycle

    @property
    def closed(self) -> bool:
        """Whether the provider was closed (`aclose()` / `close()`)."""
        return self._flows.closed


@contextmanager
def then_after_cold_call(then: Callable[[], None]) -> Iterator[None]:
    """Run `then` once a cold caller is done, with a token or with an error, but not after a
    cancellation (the event loop may be shutting down); both drivers wrap their cold call in it."""
    try:
        yield
    except Exception:
        then()
        raise
    then()
