"""`TokenLifecycle`: the sans-I/O state machine that decides what to do about the access token.

It never performs I/O and never sleeps. Adapters ask it one question, "what now?", and act:

    need_token()            -> UseToken(token[, refresh ticket]) | StartFetch | AwaitFetch
                               | WaitUntil(t) | Fail(error)          (a caller wants a token)
    start()                 -> the first step of the background refresher
    next_background_step()  -> StartFetch | AwaitFetch | WaitUntil(t) | Idle
    token_received(ticket, grant)   -> FetchOutcome   (a fetch it started produced a token)
    fetch_failed(ticket, failure)   -> FetchOutcome   (a fetch it started failed)
    invalidate(fingerprint) -> bool   (the resource server answered 401 to that token)

State is derived from a few facts (token in hand, fetch in flight, backoff deadline, cool-down):

    state        | a valid token | a fetch in flight | backoff deadline | cool-down running
    -------------+---------------+-------------------+------------------+------------------
    EMPTY        | no            | no                | no               | no
    ACQUIRING    | no            | yes               | -                | -
    VALID        | yes           | no                | no               | no
    REFRESHING   | yes           | yes               | -                | -
    BACKING_OFF  | either        | no                | yes              | no
    FAILED       | either        | no                | -                | yes

Rules:
- At most one fetch is in flight: only `need_token`, `start` and `next_background_step` hand out
  a `FetchTicket`, and only when none is outstanding.
- A token is never handed out at or after its expiry (monotonic clock; wall time is irrelevant).
- A valid token is served whatever happens to its refresh (graceful degradation).
- Transient failures are retried with the `RetryPolicy`; a spent cycle, a malformed answer or a
  permanent error starts a cool-down during which callers without a token get the error at once.
- `invalidate` only acts on the current token, so 50 concurrent 401s lead to one refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import (
    FailureKind,
    InvalidCredentialsError,
    MalformedTokenResponseError,
    TokenAcquisitionError,
    TokenEndpointUnavailableError,
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
class FetchOutcome:
    """What a fetch result changed, for logging and counters."""

    ticket: FetchTicket
    token: AccessToken | None = None
    lifetime: Lifetime | None = None
    error: TokenAcquisitionError | None = None
    failure: FetchFailure | None = None
    retry_delay: float | None = None
    cooldown: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.token is not None


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


_CREDENTIAL_ERRORS = {"invalid_client", "unauthorized_client"}
_CREDENTIALS_HINT = "check OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET"
_PERMANENT_HINTS = {
    "invalid_grant": "the server refused the client_credentials grant for this client",
    "unsupported_grant_type": "the server does not offer the client_credentials grant",
    "invalid_scope": "check OAUTH_SCOPE: the server refused the requested scope",
    "invalid_request": "check OAUTH_TOKEN_REQUEST_FORMAT (json|form) and OAUTH_CLIENT_AUTH",
}


class TokenLifecycle:
    """Decides when to use, fetch, refresh, wait for or give up on the access token."""

    def __init__(
        self,
        clock: Clock,
        rng: RandomSource,
        *,
        rules: LifetimeRules | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self.rules = rules or LifetimeRules()
        self.retry = retry or RetryPolicy()
        self._token: AccessToken | None = None
        self._in_flight: FetchTicket | None = None
        self._attempts_in_cycle = 0
        self._retry_at: float | None = None
        self._cooldown_until: float | None = None
        self._last_error: TokenAcquisitionError | None = None
        self._tickets_issued = 0
        self._use_current: UseToken | None = None

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

    # --- events --------------------------------------------------------------------------

    def need_token(self) -> Decision:
        """A caller needs a token now: what should it do?"""
        now = self._clock.monotonic()
        token = self._valid_token(now)
        if token is not None:
            if token.needs_refresh(now) and self._may_start(now):
                return UseToken(token, refresh=self._issue(now))
            use = self._use_current
            if use is None or use.token is not token:
                # Decisions are immutable: the same one serves every call until the token changes.
                use = self._use_current = UseToken(token)
            return use
        if self._in_flight is not None:
            return AwaitFetch(self._in_flight.number)
        if self._cooling_down(now) and self._last_error is not None:
            return Fail(self._last_error)
        if self._retry_at is not None and now < self._retry_at:
            return WaitUntil(self._retry_at, WaitReason.BACKOFF)
        return StartFetch(self._issue(now))

    def start(self) -> BackgroundStep:
        """The background refresher begins: fetch at once unless a token or fetch is there."""
        now = self._clock.monotonic()
        if self._valid_token(now) is None and self._may_start(now):
            return StartFetch(self._issue(now))
        return self.next_background_step()

    def next_background_step(self) -> BackgroundStep:
        """What the background refresher should do now to keep a token ready before callers ask."""
        now = self._clock.monotonic()
        if self._in_flight is not None:
            return AwaitFetch(self._in_flight.number)
        token = self._valid_token(now)
        if self._cooling_down(now) and self._cooldown_until is not None:
            if token is None:
                return Idle()
            # Keep trying to replace a token that still works, but not past its expiry.
            return WaitUntil(min(self._cooldown_until, token.expires_at), WaitReason.COOLDOWN)
        if self._retry_at is not None:
            if now >= self._retry_at:
                return StartFetch(self._issue(now))
            return WaitUntil(self._retry_at, WaitReason.BACKOFF)
        if token is None:
            return Idle()
        if token.needs_refresh(now):
            return StartFetch(self._issue(now))
        return WaitUntil(token.refresh_at, WaitReason.REFRESH_TIME)

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
            failure = FetchFailure(FailureKind.MALFORMED, exc.message)
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
        self._attempts_in_cycle = 0
        self._retry_at = None
        self._cooldown_until = None
        self._last_error = None
        return FetchOutcome(ticket, token=token, lifetime=lifetime)

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
        """The resource server rejected the token with `fingerprint`; drop it if it is current."""
        if self._token is None or self._token.fingerprint != fingerprint:
            return False
        self._token = None
        return True

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

    def _may_start(self, now: float) -> bool:
        if self._in_flight is not None or self._cooling_down(now):
            return False
        return self._retry_at is None or now >= self._retry_at

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
        error = self._error_for(failure, ticket.attempt)
        self._last_error = error
        honoured = self.retry.honoured_retry_after(failure.retry_after)
        if failure.kind is FailureKind.TRANSIENT and ticket.attempt < self.retry.max_attempts:
            delay = self.retry.delay(ticket.attempt, self._rng, failure.retry_after)
            self._retry_at = now + delay
            return FetchOutcome(ticket, error=error, failure=failure, retry_delay=delay)
        if failure.kind is FailureKind.PERMANENT:
            cooldown = max(self.retry.permanent_cooldown, honoured)
        else:
            cooldown = max(self.retry.exhausted_cooldown, honoured)
        self._retry_at = None
        self._cooldown_until = now + cooldown
        return FetchOutcome(ticket, error=error, failure=failure, cooldown=cooldown)

    def _error_for(self, failure: FetchFailure, attempt: int) -> TokenAcquisitionError:
        if failure.kind is FailureKind.PERMANENT:
            hint = _PERMANENT_HINTS.get(failure.oauth_error or "", _CREDENTIALS_HINT)
            if failure.oauth_error in _CREDENTIAL_ERRORS:
                hint = _CREDENTIALS_HINT
            return InvalidCredentialsError(
                f"{failure.reason}; not retried: {hint}", status=failure.status, attempts=attempt
            )
        if failure.kind is FailureKind.MALFORMED:
            return MalformedTokenResponseError(
                f"unusable token response: {failure.reason}; check OAUTH_TOKEN_URL points at an "
                "OAuth 2.0 token endpoint",
                status=failure.status,
                attempts=attempt,
            )
        return TokenEndpointUnavailableError(
            f"token endpoint unavailable after {attempt} attempt(s): {failure.reason}; "
            "check OAUTH_TOKEN_URL, proxies and the network, or try again shortly",
            status=failure.status,
            attempts=attempt,
        )
