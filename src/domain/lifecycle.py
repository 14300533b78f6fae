"""`TokenLifecycle`: the sans-I/O state machine that decides what to do about the access token.

It never performs I/O and never sleeps. Adapters ask it one question, "what now?", and act:

    need_token([waiting_since]) -> UseToken(token[, refresh ticket]) | StartFetch | AwaitFetch
                                   | WaitUntil(t, reason) | Fail(error)    (a caller wants a token)
    start()                 -> the first step of the background refresher
    next_background_step()  -> StartFetch | AwaitFetch | WaitUntil(t, reason) | Idle
    token_received(ticket, grant)   -> FetchOutcome   (a fetch it started produced a token)
    fetch_failed(ticket, failure)   -> FetchOutcome   (a fetch it started failed)
    invalidate(fingerprint) -> bool   (the resource server answered 401 to that token)
    accepted(fingerprint)             (the resource server took the token that replaced one)

Everything that affects these decisions lives in this module (h11's `_state.py` rule). The
state is derived from a few facts (token in hand, fetch in flight, backoff deadline, cool-down):

    state        | a valid token | a fetch in flight | backoff deadline | cool-down running
    -------------+---------------+-------------------+------------------+------------------
    EMPTY        | no            | no                | no               | no
    ACQUIRING    | no            | yes               | -                | -
    VALID        | yes           | no                | no               | no
    REFRESHING   | yes           | yes               | -                | -
    BACKING_OFF  | either        | no                | yes              | no
    FAILED       | either        | no                | -                | yes

and the three questions are answered by one table, `TRANSITIONS`, keyed by the `Phase` (which of
those facts rules now) and the `Holding` (no token, a fresh one, one due for refresh).

Rules:
- At most one fetch is in flight: only `need_token`, `start` and `next_background_step` hand out
  a `FetchTicket`, and only when none is outstanding.
- A token is never handed out at or after its expiry (monotonic clock; wall time is irrelevant).
- A valid token is served whatever happens to its refresh (graceful degradation).
- Transient failures are retried with the `RetryPolicy`; a spent cycle, a malformed answer or a
  permanent error starts a cool-down during which callers without a token get the error at once,
  saying when the next attempt happens.
- A caller never waits for a backoff (a Retry-After) longer than `max_wait` seconds from when it
  began waiting: it fails at once instead, naming the next attempt; the background keeps trying.
- `invalidate` only acts on the current token, so 50 concurrent 401s lead to one refresh; when the
  token fetched to replace a rejected one is rejected too, the API refuses new tokens: the token
  is kept and no replacement is fetched for a growing delay (`RetryPolicy.rejection_delay`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from types import MappingProxyType

from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import (
    FailureKind,
    InvalidCredentialsError,
    MalformedTokenResponseError,
    TokenAcquisitionError,
    TokenEndpointUnavailableError,
    UntrustedEndpointError,
)
from ozon_mcp.domain.lifetime import Lifetime, LifetimeRules, resolve_lifetime
from ozon_mcp.domain.ports import FetchFailure, TokenGrant
from ozon_mcp.domain.retry import RandomSource, RetryPolicy
from ozon_mcp.domain.token import AccessToken


class LifecycleState(Enum):
    """The states of the token lifecycle (derived, see the module table)."""

    EMPTY = "empty"
    ACQUIRING = "acquiring"
    VALID = "valid"
    REFRESHING = "refreshing"
    BACKING_OFF = "backing_off"
    FAILED = "failed"


class LifecycleProtocolError(RuntimeError):
    """An adapter reported an event that the lifecycle did not ask for (a programming error)."""


@dataclass(frozen=True)
class FetchTicket:
    """Permission to send exactly one token request; hand it back with the result."""

    number: int
    attempt: int
    sent_at: float
    is_refresh: bool


@dataclass(frozen=True)
class UseToken:
    """Send the request with this token; if `refresh` is set, also start that fetch (no wait)."""

    token: AccessToken
    refresh: FetchTicket | None = None


@dataclass(frozen=True)
class StartFetch:
    """Send one token request now, then report its result with the ticket."""

    ticket: FetchTicket


@dataclass(frozen=True)
class AwaitFetch:
    """A fetch is in flight: wait for its result, then ask again."""

    ticket_number: int


class WaitReason(Enum):
    """Why a `WaitUntil` waits: drivers act on the reason, never on the deadline's value."""

    BACKOFF = "backing off after a failed token request"
    COOLDOWN = "cooling down after a failed cycle"
    REFRESH_TIME = "waiting for the proactive refresh time"


@dataclass(frozen=True)
class WaitUntil:
    """Nothing to do before the monotonic time `deadline`; ask again then."""

    deadline: float
    reason: WaitReason


@dataclass(frozen=True)
class Fail:
    """Give up for this caller with this error (cool-down after a failed cycle)."""

    error: TokenAcquisitionError


@dataclass(frozen=True)
class Idle:
    """The background has nothing to do until something changes (a caller or invalidation)."""


Decision = UseToken | StartFetch | AwaitFetch | WaitUntil | Fail
BackgroundStep = StartFetch | AwaitFetch | WaitUntil | Idle


@dataclass(frozen=True)
class Acquired:
    """The fetch produced a valid token, now the current one."""

    ticket: FetchTicket
    token: AccessToken
    lifetime: Lifetime


@dataclass(frozen=True)
class RetryScheduled:
    """The fetch failed transiently; the next attempt of the cycle comes after `delay` seconds."""

    ticket: FetchTicket
    failure: FetchFailure
    error: TokenAcquisitionError
    delay: float


@dataclass(frozen=True)
class CoolingDown:
    """The fetch failed for good (cycle spent, permanent or malformed): a cool-down starts."""

    ticket: FetchTicket
    failure: FetchFailure
    error: TokenAcquisitionError
    cooldown: float


FetchOutcome = Acquired | RetryScheduled | CoolingDown


@dataclass(frozen=True)
class LifecycleSnapshot:
    """A read-only view for status displays; never contains the token itself."""

    state: LifecycleState
    fingerprint: str | None
    seconds_to_expiry: float | None
    seconds_to_refresh: float | None
    attempt: int
    retry_in: float | None
    cooldown_remaining: float | None
    last_error: str | None


class Phase(Enum):
    """Which fact rules the next decision (first match wins, in this order)."""

    FETCHING = "a fetch is in flight"
    COOLING_DOWN = "a cool-down is running"
    BACKING_OFF = "a retry is scheduled for later"
    RETRY_DUE = "a scheduled retry is due"
    QUIET = "nothing pending"


class Holding(Enum):
    """What the lifecycle holds: no valid token, a fresh one, or one due for refresh."""

    NONE = "no valid token"
    FRESH = "a valid token, refresh not yet due"
    DUE = "a valid token, refresh due"


class Act(Enum):
    """What a decision tells its asker to do (turned into a `Decision` by `_decide`)."""

    USE = "use the token"
    USE_REFRESH = "use the token and start its refresh"
    FETCH = "start a fetch"
    AWAIT = "wait for the fetch in flight"
    WAIT_RETRY = "wait for the backoff deadline (a caller: at most max_wait)"
    WAIT_COOLDOWN = "wait for the end of the cool-down (not past the token's expiry)"
    WAIT_REFRESH = "wait for the refresh time"
    FAIL = "fail with the remembered error"
    IDLE = "nothing to do until something changes"


@dataclass(frozen=True)
class Row:
    """The answers to the three questions in one situation."""

    caller: Act  # need_token()
    start: Act  # start(): the refresher's first step
    background: Act  # next_background_step()


_A = Act  # short, so that each row of the table fits on one line

# fmt: off
TRANSITIONS: Mapping[tuple[Phase, Holding], Row] = MappingProxyType({
    # (phase,             holding):            caller          start             background
    (Phase.FETCHING,      Holding.NONE):   Row(_A.AWAIT,       _A.AWAIT,         _A.AWAIT),
    (Phase.FETCHING,      Holding.FRESH):  Row(_A.USE,         _A.AWAIT,         _A.AWAIT),
    (Phase.FETCHING,      Holding.DUE):    Row(_A.USE,         _A.AWAIT,         _A.AWAIT),
    (Phase.COOLING_DOWN,  Holding.NONE):   Row(_A.FAIL,        _A.IDLE,          _A.IDLE),
    (Phase.COOLING_DOWN,  Holding.FRESH):  Row(_A.USE,         _A.WAIT_COOLDOWN, _A.WAIT_COOLDOWN),
    (Phase.COOLING_DOWN,  Holding.DUE):    Row(_A.USE,         _A.WAIT_COOLDOWN, _A.WAIT_COOLDOWN),
    (Phase.BACKING_OFF,   Holding.NONE):   Row(_A.WAIT_RETRY,  _A.WAIT_RETRY,    _A.WAIT_RETRY),
    (Phase.BACKING_OFF,   Holding.FRESH):  Row(_A.USE,         _A.WAIT_RETRY,    _A.WAIT_RETRY),
    (Phase.BACKING_OFF,   Holding.DUE):    Row(_A.USE,         _A.WAIT_RETRY,    _A.WAIT_RETRY),
    (Phase.RETRY_DUE,     Holding.NONE):   Row(_A.FETCH,       _A.FETCH,         _A.FETCH),
    (Phase.RETRY_DUE,     Holding.FRESH):  Row(_A.USE,         _A.FETCH,         _A.FETCH),
    (Phase.RETRY_DUE,     Holding.DUE):    Row(_A.USE_REFRESH, _A.FETCH,         _A.FETCH),
    (Phase.QUIET,         Holding.NONE):   Row(_A.FETCH,       _A.FETCH,         _A.IDLE),
    (Phase.QUIET,         Holding.FRESH):  Row(_A.USE,         _A.WAIT_REFRESH,  _A.WAIT_REFRESH),
    (Phase.QUIET,         Holding.DUE):    Row(_A.USE_REFRESH, _A.FETCH,         _A.FETCH),
})
# fmt: on


class TokenLifecycle:
    """Decides when to use, fetch, refresh, wait for or give up on the access token."""

    def __init__(
        self,
        clock: Clock,
        rng: RandomSource,
        *,
        rules: LifetimeRules | None = None,
        retry: RetryPolicy | None = None,
        max_wait: float = 30.0,
    ) -> None:
        if not max_wait >= 0:  # also refuses NaN
            raise ValueError("max_wait must be >= 0 seconds")
        self._clock = clock
        self._rng = rng
        self.rules = rules or LifetimeRules()
        self.retry = retry or RetryPolicy()
        self.max_wait = max_wait
        self._token: AccessToken | None = None
        self._in_flight: FetchTicket | None = None
        self._attempts_in_cycle = 0
        self._retry_at: float | None = None
        self._cooldown_until: float | None = None
        self._cooldown_started: float | None = None
        self._last_error: TokenAcquisitionError | None = None
        self._error_served = False
        self._tickets_issued = 0
        self._use_current: UseToken | None = None
        # 401s: whether the next token replaces a rejected one, the token that did, and the
        # backoff once replacements are rejected too.
        self._replacing = False
        self._replacement: str | None = None
        self._rejections = 0
        self._rejected_until: float | None = None

    # --- queries -------------------------------------------------------------------------

    @property
    def state(self) -> LifecycleState:
        """The current state, derived from the facts at the current monotonic time."""
        now = self._clock.monotonic()
        token = self._valid_token(now)
        if self._in_flight is not None:
            return LifecycleState.REFRESHING if token else LifecycleState.ACQUIRING
        if self._cooling_down(now):
            return LifecycleState.FAILED
        if self._retry_at is not None:
            return LifecycleState.BACKING_OFF
        return LifecycleState.VALID if token else LifecycleState.EMPTY

    @property
    def in_flight(self) -> FetchTicket | None:
        """The outstanding fetch, if any."""
        return self._in_flight

    @property
    def last_error(self) -> TokenAcquisitionError | None:
        """The error of the most recent failed fetch (cleared by a success)."""
        return self._last_error

    @property
    def rejections(self) -> int:
        """How many tokens in a row were rejected right after replacing a rejected one."""
        return self._rejections

    @property
    def rejected_until(self) -> float | None:
        """Until when (monotonic) a rejected token is not replaced, after repeated rejections."""
        return self._rejected_until

    def current_token(self) -> AccessToken | None:
        """The token in hand if it is still valid now."""
        return self._valid_token(self._clock.monotonic())

    def fresh_token(self) -> AccessToken | None:
        """The hot path: the token in hand while no refresh is due yet, else None.

        Exactly when `need_token()` would answer `UseToken(token)` without a refresh ticket
        because the refresh time has not come; every other case (no token, refresh due) is
        left to `need_token()`. It changes nothing, so drivers may call it without a lock.
        """
        token = self._token
        if token is not None:
            now = self._clock.monotonic()
            if now < token.refresh_at and now < token.expires_at:
                return token
        return None

    def snapshot(self) -> LifecycleSnapshot:
        """A log- and display-safe summary of the lifecycle."""
        now = self._clock.monotonic()
        token = self._valid_token(now)
        return LifecycleSnapshot(
            state=self.state,
            fingerprint=token.fingerprint if token else None,
            seconds_to_expiry=token.expires_at - now if token else None,
            seconds_to_refresh=max(0.0, token.refresh_at - now) if token else None,
            attempt=self._attempts_in_cycle,
            retry_in=max(0.0, self._retry_at - now) if self._retry_at is not None else None,
            cooldown_remaining=self._cooldown_remaining(now),
            last_error=self._last_error.message if self._last_error else None,
        )

    def situation(self) -> tuple[Phase, Holding]:
        """The key of `TRANSITIONS` that rules now."""
        return self._situation(self._clock.monotonic())

    # --- events --------------------------------------------------------------------------

    def need_token(self, waiting_since: float | None = None) -> Decision:
        """A caller needs a token now: what should it do?

        `waiting_since` is when this caller began waiting (monotonic; None: it has not waited
        yet); it bounds a backoff wait to `max_wait` seconds in all.
        """
        now = self._clock.monotonic()
        row = TRANSITIONS[self._situation(now)]
        return self._decide(row.caller, now, waiting_since)

    def start(self) -> BackgroundStep:
        """The background refresher begins: fetch at once unless a token or fetch is there."""
        now = self._clock.monotonic()
        return self._background(TRANSITIONS[self._situation(now)].start, now)

    def next_background_step(self) -> BackgroundStep:
        """What the background refresher should do now to keep a token ready before callers ask."""
        now = self._clock.monotonic()
        return self._background(TRANSITIONS[self._situation(now)].background, now)

    def token_received(self, ticket: FetchTicket, grant: TokenGrant) -> FetchOutcome:
        """The fetch of `ticket` produced a token response; validate it and take the token."""
        self._settle(ticket)
        try:
            raw_token, token_type = self._validated_token_fields(grant)
            lifetime = resolve_lifetime(
                grant.expires_in,
                jwt_exp=grant.jwt_exp,
                wall_now=self._clock.now(),
                rules=self.rules,
            )
        except MalformedTokenResponseError as exc:
            failure = FetchFailure(FailureKind.MALFORMED, exc.reason)
            return self._record_failure(ticket, failure)
        token = AccessToken.create(
            raw_token,
            token_type=token_type,
            obtained_at=ticket.sent_at,
            lifetime=lifetime.seconds,
            refresh_after=self.rules.refresh_after(lifetime.seconds),
            issued_wall=self._clock.now(),
        )
        self._token = token
        if self._replacing:  # the first token after a rejection replaces the rejected one
            self._replacement = token.fingerprint
            self._replacing = False
        self._attempts_in_cycle = 0
        self._retry_at = None
        self._cooldown_until = None
        self._last_error = None
        return Acquired(ticket, token, lifetime)

    def fetch_failed(self, ticket: FetchTicket, failure: FetchFailure) -> FetchOutcome:
        """The fetch of `ticket` failed as the adapter classified it."""
        self._settle(ticket)
        return self._record_failure(ticket, failure)

    def abandon_fetch(self, ticket: FetchTicket) -> None:
        """The fetch of `ticket` was cancelled without a result (shutdown, event loop gone).

        It is settled without counting as an attempt or a failure, so the next caller may start
        a fresh fetch at once instead of waiting forever for an answer that will never come.
        """
        self._settle(ticket)
        self._attempts_in_cycle = max(0, self._attempts_in_cycle - 1)

    def invalidate(self, fingerprint: str) -> bool:
        """The resource server rejected the token with `fingerprint`; drop it if it is current.

        Returns whether it was dropped. It is kept (False) when it is not the current token, or
        when it is the replacement of a rejected token (the API refuses new tokens: a backoff of
        `RetryPolicy.rejection_delay` starts) or such a backoff is running. A token already past
        its expiry is not dropped either and counts as no refusal: the 401 is its expiry (the
        request waited somewhere until the token ran out), and it is never handed out again.
        """
        if self._token is None or self._token.fingerprint != fingerprint:
            return False
        now = self._clock.monotonic()
        if self._token.is_expired(now):
            # Our expiry counts from the moment the token request was sent, so the API's is no
            # earlier: a refusal of new tokens cannot be told from this 401.
            return False
        if self._rejected_until is not None and now < self._rejected_until:
            return False
        if fingerprint == self._replacement:
            self._replacement = None
            self._rejections += 1
            self._rejected_until = now + self.retry.rejection_delay(self._rejections)
            return False
        self._token = None
        self._replacing = True
        return True

    def accepted(self, fingerprint: str) -> None:
        """The resource server accepted the token with `fingerprint` (after a 401 and a retry).

        The rejections are over: the streak and its backoff are reset.
        """
        del fingerprint  # any accepted token shows that the API takes tokens again
        self._replacement = None
        self._rejections = 0
        self._rejected_until = None

    def adopt(self, token: AccessToken) -> bool:
        """Take a token found in a shared cache if it outlives the one in hand."""
        now = self._clock.monotonic()
        if token.is_expired(now):
            return False
        current = self._valid_token(now)
        if current is not None and current.expires_at >= token.expires_at:
            return False
        self._token = token
        return True

    # --- the table, applied ----------------------------------------------------------------

    def _situation(self, now: float) -> tuple[Phase, Holding]:
        token = self._valid_token(now)
        if token is None:
            holding = Holding.NONE
        else:
            holding = Holding.DUE if token.needs_refresh(now) else Holding.FRESH
        if self._in_flight is not None:
            return Phase.FETCHING, holding
        if self._cooling_down(now):
            return Phase.COOLING_DOWN, holding
        if self._retry_at is not None:
            return (Phase.RETRY_DUE if now >= self._retry_at else Phase.BACKING_OFF), holding
        return Phase.QUIET, holding

    def _decide(self, act: Act, now: float, waiting_since: float | None) -> Decision:
        if act is Act.USE:
            token = self._token
            assert token is not None  # the table only says USE when a valid token is held
            use = self._use_current
            if use is None or use.token is not token:
                # Decisions are immutable: the same one serves every call until the token changes.
                use = self._use_current = UseToken(token)
            return use
        if act is Act.USE_REFRESH:
            token = self._token
            assert token is not None
            return UseToken(token, refresh=self._issue(now))
        if act is Act.WAIT_RETRY:
            assert self._retry_at is not None
            since = now if waiting_since is None else waiting_since
            if self._retry_at - since > self.max_wait and self._last_error is not None:
                return Fail(self._scheduled_error(self._retry_at, now, wait_limit=self.max_wait))
            return WaitUntil(self._retry_at, WaitReason.BACKOFF)
        if act is Act.FAIL:
            assert self._last_error is not None
            assert self._cooldown_until is not None
            served_again, self._error_served = self._error_served, True
            return Fail(self._scheduled_error(self._cooldown_until, now, again=served_again))
        step = self._background(act, now)
        if isinstance(step, Idle):
            raise LifecycleProtocolError(f"{act} is not an answer to a caller")
        return step

    def _background(self, act: Act, now: float) -> StartFetch | AwaitFetch | WaitUntil | Idle:
        if act is Act.FETCH:
            return StartFetch(self._issue(now))
        if act is Act.AWAIT:
            assert self._in_flight is not None
            return AwaitFetch(self._in_flight.number)
        if act is Act.WAIT_RETRY:
            assert self._retry_at is not None
            return WaitUntil(self._retry_at, WaitReason.BACKOFF)
        if act is Act.WAIT_COOLDOWN:
            # Keep trying to replace a token that still works, but not past its expiry.
            assert self._cooldown_until is not None
            assert self._token is not None
            deadline = min(self._cooldown_until, self._token.expires_at)
            return WaitUntil(deadline, WaitReason.COOLDOWN)
        if act is Act.WAIT_REFRESH:
            assert self._token is not None
            return WaitUntil(self._token.refresh_at, WaitReason.REFRESH_TIME)
        if act is Act.IDLE:
            return Idle()
        raise LifecycleProtocolError(f"{act} is not an answer to the refresher")

    def _scheduled_error(
        self, at: float, now: float, *, again: bool = False, wait_limit: float | None = None
    ) -> TokenAcquisitionError:
        error = self._last_error
        assert error is not None
        wall = self._clock.now() + timedelta(seconds=max(0.0, at - now))
        remembered = None
        if self._cooldown_until is not None and self._cooldown_started is not None:
            remembered = self._cooldown_until - self._cooldown_started
        return error.scheduled(
            wall, remembered_for=remembered, served_again=again, wait_limit=wait_limit
        )

    # --- internals -----------------------------------------------------------------------

    def _valid_token(self, now: float) -> AccessToken | None:
        if self._token is not None and self._token.is_expired(now):
            self._token = None
        return self._token

    def _cooling_down(self, now: float) -> bool:
        return self._cooldown_until is not None and now < self._cooldown_until

    def _cooldown_remaining(self, now: float) -> float | None:
        if self._cooldown_until is None or now >= self._cooldown_until:
            return None
        return self._cooldown_until - now

    def _issue(self, now: float) -> FetchTicket:
        if self._in_flight is not None:
            raise LifecycleProtocolError("a fetch is already in flight")
        if self._cooldown_until is not None and not self._cooling_down(now):
            # The cool-down is over: a new cycle of attempts begins.
            self._cooldown_until = None
            self._attempts_in_cycle = 0
        self._tickets_issued += 1
        self._attempts_in_cycle += 1
        self._retry_at = None
        ticket = FetchTicket(
            number=self._tickets_issued,
            attempt=self._attempts_in_cycle,
            sent_at=now,
            is_refresh=self._valid_token(now) is not None,
        )
        self._in_flight = ticket
        return ticket

    def _settle(self, ticket: FetchTicket) -> None:
        if self._in_flight is None or self._in_flight.number != ticket.number:
            raise LifecycleProtocolError(f"fetch #{ticket.number} is not the one in flight")
        self._in_flight = None

    @staticmethod
    def _validated_token_fields(grant: TokenGrant) -> tuple[str, str]:
        raw_token = grant.access_token.get_secret_value()
        if not raw_token.strip():
            raise MalformedTokenResponseError("the token endpoint sent an empty access_token")
        token_type = (grant.token_type or "Bearer").strip()
        if token_type.lower() != "bearer":
            raise MalformedTokenResponseError(
                f"the token endpoint sent token_type={token_type[:20]!r}; only Bearer is supported"
            )
        return raw_token, "Bearer"

    def _record_failure(self, ticket: FetchTicket, failure: FetchFailure) -> FetchOutcome:
        now = self._clock.monotonic()
        error = _error_for(failure, ticket.attempt)
        self._last_error = error
        self._error_served = False
        honoured = self.retry.honoured_retry_after(failure.retry_after)
        if failure.kind is FailureKind.TRANSIENT and ticket.attempt < self.retry.max_attempts:
            delay = self.retry.delay(ticket.attempt, self._rng, failure.retry_after)
            self._retry_at = now + delay
            return RetryScheduled(ticket, failure, error, delay)
        if failure.kind is FailureKind.PERMANENT:
            cooldown = max(self.retry.permanent_cooldown, honoured)
        else:
            cooldown = max(self.retry.exhausted_cooldown, honoured)
        self._retry_at = None
        self._cooldown_until = now + cooldown
        self._cooldown_started = now
        return CoolingDown(ticket, failure, error, cooldown)


def _error_for(failure: FetchFailure, attempt: int) -> TokenAcquisitionError:
    """The error callers get for `failure`: its facts; the edges word them."""
    facts = {"status": failure.status, "attempts": attempt, "oauth_error": failure.oauth_error}
    if failure.certificate_unverified:
        return UntrustedEndpointError(failure.reason, **facts)  # type: ignore[arg-type]
    if failure.kind is FailureKind.PERMANENT:
        return InvalidCredentialsError(failure.reason, **facts)  # type: ignore[arg-type]
    if failure.kind is FailureKind.MALFORMED:
        return MalformedTokenResponseError(failure.reason, **facts)  # type: ignore[arg-type]
    return TokenEndpointUnavailableError(failure.reason, **facts)  # type: ignore[arg-type]
