"""Stateful property test: arbitrary event sequences never break the lifecycle's promises.

Hypothesis drives a `TokenLifecycle` on a `FakeClock` with time steps (tiny, ordinary and long,
and jumps onto every deadline), callers, the background refresher, token answers with every kind
of `expires_in`, failures of every kind with Retry-After values, abandoned fetches, invalidations
and adoptions. A small model (what the lifecycle was told, and when) predicts every decision; the
invariants after each step are the promises of the issue:

- a token is never handed out at or after its expiry;
- at most one fetch is in flight (no ticket is issued while one is outstanding);
- refresh_at < expires_at and the refresh comes after at least half of the lifetime;
- retry delays lie in [0, max(cap, retry_after_cap)] and never below the honoured Retry-After;
- no fetch is handed out during a cool-down or before a backoff deadline;
- a valid token survives failed refreshes and is served until its expiry;
- `state`, `snapshot()` and every decision agree with each other and with the model.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fake_clock import FakeClock
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from lifecycle_support import JUST_BELOW_ONE, StubRandom, grant

from ozon_mcp.domain import (
    AccessToken,
    Acquired,
    AwaitFetch,
    BackgroundStep,
    CoolingDown,
    Decision,
    Fail,
    FailureKind,
    FetchFailure,
    FetchTicket,
    Idle,
    InvalidCredentialsError,
    LifecycleProtocolError,
    LifecycleState,
    LifetimeRules,
    LifetimeSource,
    MalformedTokenResponseError,
    RandomSource,
    RetryPolicy,
    RetryScheduled,
    Setting,
    StartFetch,
    TokenAcquisitionError,
    TokenEndpointUnavailableError,
    TokenLifecycle,
    UseToken,
    WaitReason,
    WaitUntil,
)

ENV = {setting: f"OAUTH_{setting.name}" for setting in Setting}
RULES = LifetimeRules()  # the documented defaults: margin 60, default 1800, cap one day
ONE_DAY = 86_400.0
DEFAULT_LIFETIME = 1800.0

POLICIES = [
    RetryPolicy(),  # the documented defaults
    RetryPolicy(max_retries=0),  # every failure ends the cycle
    RetryPolicy(
        base=2.0,
        factor=3.0,
        cap=5.0,
        max_retries=2,
        retry_after_cap=10.0,
        exhausted_cooldown=0.0,
        permanent_cooldown=1.0,
    ),
]


@dataclass(frozen=True)
class ExpiresInCase:
    """A raw `expires_in` (and a JWT exp as an offset from wall now) and the lifetime it gives."""

    raw: object
    jwt_offset: float | None = None
    lifetime: float | None = None  # None: the answer is malformed
    source: LifetimeSource = LifetimeSource.EXPIRES_IN


EDGE_CASES = [
    ExpiresInCase(1800, lifetime=1800.0),
    ExpiresInCase("1800", lifetime=1800.0),
    ExpiresInCase("1800.0", lifetime=1800.0),
    ExpiresInCase(" 3600 ", lifetime=3600.0),
    ExpiresInCase(1800.5, lifetime=1800.5),
    ExpiresInCase(1, lifetime=1.0),
    ExpiresInCase(2, lifetime=2.0),
    ExpiresInCase(120, lifetime=120.0),  # exactly 2 x margin: half-life refresh
    ExpiresInCase(121, lifetime=121.0),
    ExpiresInCase(ONE_DAY, lifetime=ONE_DAY),
    ExpiresInCase(ONE_DAY + 1, lifetime=ONE_DAY),
    ExpiresInCase(10**12, lifetime=ONE_DAY),
    ExpiresInCase("1e9", lifetime=ONE_DAY),
    ExpiresInCase(0),
    ExpiresInCase(-1),
    ExpiresInCase(0.5),
    ExpiresInCase("0"),
    ExpiresInCase("-1800"),
    ExpiresInCase(math.nan),
    ExpiresInCase(math.inf),
    ExpiresInCase(-math.inf),
    ExpiresInCase("nan"),
    ExpiresInCase("inf"),
    ExpiresInCase("1e400"),
    ExpiresInCase(10**400, lifetime=ONE_DAY),  # JSON ints are unbounded: still "more than a day"
    ExpiresInCase(-(10**400)),
    ExpiresInCase(True),
    ExpiresInCase(False),
    ExpiresInCase("abc"),
    ExpiresInCase(""),
    ExpiresInCase([1800]),
    ExpiresInCase({"seconds": 1800}),
    ExpiresInCase(None, source=LifetimeSource.DEFAULT, lifetime=DEFAULT_LIFETIME),
    ExpiresInCase(None, jwt_offset=3600.0, lifetime=3600.0, source=LifetimeSource.JWT_EXP),
    ExpiresInCase(None, jwt_offset=2.0, lifetime=2.0, source=LifetimeSource.JWT_EXP),
    ExpiresInCase(None, jwt_offset=2 * ONE_DAY, lifetime=ONE_DAY, source=LifetimeSource.JWT_EXP),
    ExpiresInCase(None, jwt_offset=0.5, lifetime=DEFAULT_LIFETIME, source=LifetimeSource.DEFAULT),
    ExpiresInCase(
        None, jwt_offset=-100.0, lifetime=DEFAULT_LIFETIME, source=LifetimeSource.DEFAULT
    ),
    ExpiresInCase(
        None, jwt_offset=math.nan, lifetime=DEFAULT_LIFETIME, source=LifetimeSource.DEFAULT
    ),
    ExpiresInCase(
        None, jwt_offset=math.inf, lifetime=DEFAULT_LIFETIME, source=LifetimeSource.DEFAULT
    ),
]


def _accepted(value: float) -> float:
    return min(value, ONE_DAY)


EXPIRES_IN_CASES = st.one_of(
    st.sampled_from(EDGE_CASES),
    st.integers(1, 200_000).map(lambda v: ExpiresInCase(v, lifetime=_accepted(v))),
    st.floats(1.0, 200_000.0).map(lambda v: ExpiresInCase(v, lifetime=_accepted(v))),
    st.integers(1, 200_000).map(lambda v: ExpiresInCase(str(v), lifetime=_accepted(v))),
    st.integers(1, 200_000).map(lambda v: ExpiresInCase(f"{v}.0", lifetime=_accepted(v))),
)

# (token_type as sent, whether it is acceptable)
TOKEN_TYPES = st.sampled_from(
    [
        ("Bearer", True),
        ("bearer", True),
        (" BEARER ", True),
        (None, True),
        ("", True),  # an empty token_type is treated like a missing one
        ("MAC", False),
        ("DPoP", False),
        ("  ", False),
    ]
)

RETRY_AFTERS = st.sampled_from(
    [None, 0.0, 0.2, 1.0, 3.0, 29.0, 31.0, 119.5, 120.0, 121.0, 10_000.0, -5.0, math.nan, math.inf]
)

OAUTH_ERRORS = st.sampled_from(
    [
        None,
        "invalid_client",
        "unauthorized_client",
        "invalid_grant",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_request",
        "server_error",
    ]
)

TIME_STEPS = st.one_of(
    st.sampled_from([0.0, 1e-6, 0.001, 0.25, 0.5, 1.0, 5.0, 30.0, 59.0, 60.0, 120.0, 1800.0]),
    st.floats(0.0, 4000.0),
)


def honoured(retry_after: float | None, policy: RetryPolicy) -> float:
    """The Retry-After the issue says must be obeyed: positive values, capped."""
    if retry_after is None or math.isnan(retry_after) or retry_after <= 0:
        return 0.0
    return min(retry_after, policy.retry_after_cap)


def backoff_ceiling(attempt: int, policy: RetryPolicy) -> float:
    """base * factor**(n-1), capped: the largest jittered wait before retry n."""
    return min(policy.cap, policy.base * policy.factor ** (attempt - 1))


class TokenLifecycleMachine(RuleBasedStateMachine):
    """Drives one lifecycle and keeps a model of what it must do."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.policy = RetryPolicy()
        self.lifecycle = TokenLifecycle(self.clock, random.Random(0))
        self.ticket: FetchTicket | None = None
        self.settled: list[FetchTicket] = []
        self.tickets_issued = 0
        self.token: AccessToken | None = None  # the token the lifecycle was last given
        self.old_fingerprints: list[str] = []
        self.raw_tokens: list[str] = []
        self.retry_at: float | None = None
        self.cooldown_until: float | None = None
        self.attempts = 0
        self.last_error: TokenAcquisitionError | None = None
        self.error_served = False
        self.replacing = False  # the next token replaces a rejected one
        self.replacement: str | None = None
        self.rejections = 0
        self.rejected_until: float | None = None

    @initialize(
        policy=st.sampled_from(POLICIES),
        rng_kind=st.sampled_from(["seeded", "seeded", "zero", "top"]),
        seed=st.integers(0, 2**32 - 1),
    )
    def set_up(self, policy: RetryPolicy, rng_kind: str, seed: int) -> None:
        rng: RandomSource
        if rng_kind == "seeded":
            rng = random.Random(seed)
        else:
            rng = StubRandom(0.0 if rng_kind == "zero" else JUST_BELOW_ONE)
        self.policy = policy
        self.lifecycle = TokenLifecycle(self.clock, rng, rules=RULES, retry=policy)

    # --- the model -------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.monotonic()

    def valid_token(self) -> AccessToken | None:
        if self.token is not None and self.token.expires_at > self.now:
            return self.token
        return None

    def cooling(self) -> bool:
        return self.cooldown_until is not None and self.now < self.cooldown_until

    def may_start(self) -> bool:
        if self.ticket is not None or self.cooling():
            return False
        return self.retry_at is None or self.now >= self.retry_at

    def expected_state(self) -> LifecycleState:
        """The module's state table, evaluated on the model's facts."""
        token = self.valid_token()
        if self.ticket is not None:
            return LifecycleState.REFRESHING if token else LifecycleState.ACQUIRING
        if self.cooling():
            return LifecycleState.FAILED
        if self.retry_at is not None:
            return LifecycleState.BACKING_OFF
        return LifecycleState.VALID if token else LifecycleState.EMPTY

    def expected_background(self, *, starting: bool) -> tuple[str, float | None]:
        token = self.valid_token()
        if starting and token is None and self.may_start():
            return "start", None
        if self.ticket is not None:
            return "await", None
        if self.cooling():
            assert self.cooldown_until is not None
            if token is None:
                return "idle", None
            return "wait", min(self.cooldown_until, token.expires_at)
        if self.retry_at is not None:
            return ("start", None) if self.now >= self.retry_at else ("wait", self.retry_at)
        if token is None:
            return "idle", None
        if token.needs_refresh(self.now):
            return "start", None
        return "wait", token.refresh_at

    def accept_ticket(self, ticket: FetchTicket) -> None:
        """A ticket was handed out: check it was allowed and record it as outstanding."""
        now = self.now
        assert self.ticket is None, "a second fetch was started while one is in flight"
        assert not self.cooling(), "a fetch was started during a cool-down"
        assert self.retry_at is None or now >= self.retry_at, "a fetch was started before its time"
        assert ticket.sent_at == now
        assert ticket.number == self.tickets_issued + 1
        token = self.valid_token()
        assert ticket.is_refresh == (token is not None)
        if token is not None:
            # No refresh loop: a refresh starts only when due, or as a scheduled retry.
            assert token.needs_refresh(now) or self.retry_at is not None
        if self.cooldown_until is not None:  # the cool-down is over: a new cycle begins
            self.cooldown_until = None
            self.attempts = 0
        self.attempts += 1
        assert ticket.attempt == self.attempts
        assert 1 <= ticket.attempt <= self.policy.max_attempts
        self.tickets_issued += 1
        self.retry_at = None
        self.ticket = ticket

    def settle(self) -> FetchTicket:
        ticket = self.ticket
        assert ticket is not None
        self.ticket = None
        self.settled.append(ticket)
        return ticket

    # --- time --------------------------------------------------------------------------------

    @rule(seconds=TIME_STEPS)
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(
        landmark=st.sampled_from(["refresh", "expiry", "retry", "cooldown"]),
        offset=st.sampled_from([-1e-6, 0.0, 1e-6]),
    )
    def time_reaches_a_deadline(self, landmark: str, offset: float) -> None:
        token = self.token
        targets = {
            "refresh": token.refresh_at if token else None,
            "expiry": token.expires_at if token else None,
            "retry": self.retry_at,
            "cooldown": self.cooldown_until,
        }
        target = targets[landmark]
        if target is None or target + offset <= self.now:
            return
        self.clock.advance(target + offset - self.now)
        self.clock.monotonic_seconds = target + offset  # land exactly, whatever the rounding

    @rule(seconds=st.sampled_from([-365 * ONE_DAY, -3600.0, -1.0, 1.0, 3600.0, 30 * ONE_DAY]))
    def wall_clock_jumps(self, seconds: float) -> None:
        self.clock.jump_wall(seconds)

    # --- callers -----------------------------------------------------------------------------

    def caller_asks(self, waited: float = 0.0) -> Decision:
        now = self.now
        state = self.lifecycle.state
        token = self.valid_token()
        since = None if waited == 0.0 else now - waited
        decision = self.lifecycle.need_token(since)
        too_long = self.retry_at is not None and self.retry_at - (now - waited) > 30.0
        if isinstance(decision, UseToken):
            assert token is not None, "a token was served although none is valid"
            assert decision.token is token
            assert decision.token.expires_at > now, "an expired token was served"
            assert decision.token.value not in repr(decision)
            should_refresh = token.needs_refresh(now) and self.may_start()
            assert (decision.refresh is not None) == should_refresh
            assert state in {
                LifecycleState.VALID,
                LifecycleState.REFRESHING,
                LifecycleState.BACKING_OFF,
                LifecycleState.FAILED,
            }
            if decision.refresh is not None:
                self.accept_ticket(decision.refresh)
        elif isinstance(decision, StartFetch):
            assert token is None
            assert state in {LifecycleState.EMPTY, LifecycleState.BACKING_OFF}
            self.accept_ticket(decision.ticket)
        elif isinstance(decision, AwaitFetch):
            assert token is None
            assert self.ticket is not None
            assert state is LifecycleState.ACQUIRING
            assert decision.ticket_number == self.ticket.number
        elif isinstance(decision, WaitUntil):
            assert token is None
            assert self.ticket is None
            assert not self.cooling()
            assert state is LifecycleState.BACKING_OFF
            assert decision.deadline == self.retry_at
            assert decision.deadline > now
            assert decision.reason is WaitReason.BACKOFF
            assert not too_long, "a caller was told to wait longer than max_wait"
        else:
            assert isinstance(decision, Fail)
            assert token is None
            assert self.ticket is None
            error, last = decision.error, self.last_error
            assert last is not None
            assert type(error) is type(last)
            assert error.reason == last.reason
            assert error.next_attempt_at is not None
            if self.cooling():
                assert state is LifecycleState.FAILED
                assert self.cooldown_until is not None
                expected = self.clock.now() + timedelta(seconds=self.cooldown_until - now)
                assert error.next_attempt_at == expected
                assert error.served_again == self.error_served
                self.error_served = True
                if error.served_again:
                    assert "; remembered for " in error.message
            else:  # the backoff is longer than a caller may wait: fail now, say when
                assert state is LifecycleState.BACKING_OFF
                assert too_long
                assert error.wait_limit == 30.0
                assert "later than one call waits (30 s)" in error.message
        return decision

    @rule()
    def a_caller_needs_a_token(self) -> None:
        self.caller_asks()

    @rule(waited=st.sampled_from([0.5, 10.0, 29.9, 30.0, 45.0]))
    def a_caller_that_waited_asks_again(self, waited: float) -> None:
        self.caller_asks(waited)

    @rule(callers=st.integers(2, 50))
    def many_callers_at_once(self, callers: int) -> None:
        tickets_before = self.tickets_issued
        for _ in range(callers):
            self.caller_asks()
        assert self.tickets_issued - tickets_before <= 1

    # --- the background refresher ------------------------------------------------------------

    def check_background(
        self, step: BackgroundStep, *, starting: bool, state: LifecycleState
    ) -> None:
        expected, deadline = self.expected_background(starting=starting)
        if isinstance(step, StartFetch):
            assert expected == "start", (expected, step)
            assert state in {
                LifecycleState.EMPTY,
                LifecycleState.VALID,
                LifecycleState.BACKING_OFF,
            }
            assert starting or state is not LifecycleState.EMPTY
            self.accept_ticket(step.ticket)
        elif isinstance(step, AwaitFetch):
            assert expected == "await"
            assert self.ticket is not None
            assert step.ticket_number == self.ticket.number
            assert state in {LifecycleState.ACQUIRING, LifecycleState.REFRESHING}
        elif isinstance(step, WaitUntil):
            assert expected == "wait", (expected, step)
            assert step.deadline == deadline
            assert step.deadline > self.now, "the background was told to wait for the past"
            assert state in {
                LifecycleState.VALID,
                LifecycleState.BACKING_OFF,
                LifecycleState.FAILED,
            }
        else:
            assert isinstance(step, Idle)
            assert expected == "idle"
            assert self.valid_token() is None
            assert state in {LifecycleState.EMPTY, LifecycleState.FAILED}

    @rule()
    def background_starts(self) -> None:
        state = self.lifecycle.state
        self.check_background(self.lifecycle.start(), starting=True, state=state)

    @rule()
    def background_asks_what_next(self) -> None:
        state = self.lifecycle.state
        self.check_background(self.lifecycle.next_background_step(), starting=False, state=state)

    # --- fetch results -----------------------------------------------------------------------

    @precondition(lambda self: self.ticket is not None)
    @rule(
        case=EXPIRES_IN_CASES,
        token_type=TOKEN_TYPES,
        blank_token=st.integers(0, 9).map(lambda n: n == 0),
    )
    def token_arrives(
        self, case: ExpiresInCase, token_type: tuple[str | None, bool], blank_token: bool
    ) -> None:
        raw_token = " \t" if blank_token else f"secret-token-{len(self.settled)}"
        self.raw_tokens.append(raw_token)
        wall_now = self.clock.now().timestamp()
        jwt_exp = None if case.jwt_offset is None else wall_now + case.jwt_offset
        kept = self.valid_token()
        ticket = self.settle()
        sent_type, type_ok = token_type

        outcome = self.lifecycle.token_received(
            ticket, grant(raw_token, expires_in=case.raw, token_type=sent_type, jwt_exp=jwt_exp)
        )

        assert outcome.ticket == ticket
        if raw_token.strip() and type_ok and case.lifetime is not None:
            assert isinstance(outcome, Acquired), outcome
            token = outcome.token
            assert outcome.lifetime.source is case.source
            assert (outcome.lifetime.warning is None) == (case.source is LifetimeSource.EXPIRES_IN)
            assert token.lifetime == pytest.approx(case.lifetime, abs=1e-6)
            assert token.obtained_at == ticket.sent_at, "lifetime must count from the request"
            assert token.expires_at == ticket.sent_at + token.lifetime
            if token.lifetime <= 2 * RULES.refresh_margin:
                assert token.refresh_at == ticket.sent_at + token.lifetime / 2
            else:
                assert token.refresh_at == pytest.approx(
                    ticket.sent_at + token.lifetime - RULES.refresh_margin
                )
            assert token.token_type == "Bearer"
            assert token.value == raw_token
            self.old_fingerprints += [self.token.fingerprint] if self.token else []
            self.token = token
            self.attempts = 0
            self.retry_at = None
            self.cooldown_until = None
            self.last_error = None
            if self.replacing:
                self.replacement, self.replacing = token.fingerprint, False
            return
        assert isinstance(outcome, CoolingDown)
        error = outcome.error
        assert isinstance(error, MalformedTokenResponseError)
        assert "token_url" in error.message
        assert "OAUTH_" not in error.message
        assert raw_token.strip() == "" or raw_token not in error.message
        assert outcome.cooldown == self.policy.exhausted_cooldown
        self.cooldown_until = self.now + self.policy.exhausted_cooldown
        self.retry_at = None
        self.last_error = error
        self.error_served = False
        assert self.lifecycle.current_token() is kept, "a malformed answer lost the valid token"

    @precondition(lambda self: self.ticket is not None)
    @rule(
        kind=st.sampled_from(FailureKind),
        retry_after=RETRY_AFTERS,
        oauth_error=OAUTH_ERRORS,
        status=st.sampled_from([None, 400, 401, 403, 429, 500, 503]),
    )
    def fetch_fails(
        self,
        kind: FailureKind,
        retry_after: float | None,
        oauth_error: str | None,
        status: int | None,
    ) -> None:
        kept = self.valid_token()
        ticket = self.settle()
        failure = FetchFailure(
            kind,
            "simulated failure",
            status=status,
            retry_after=retry_after,
            oauth_error=oauth_error,
        )

        outcome = self.lifecycle.fetch_failed(ticket, failure)

        assert not isinstance(outcome, Acquired)
        error = outcome.error
        assert outcome.failure is failure
        assert error.attempts == ticket.attempt
        assert error.status == status
        expected_type = {
            FailureKind.TRANSIENT: TokenEndpointUnavailableError,
            FailureKind.PERMANENT: InvalidCredentialsError,
            FailureKind.MALFORMED: MalformedTokenResponseError,
        }[kind]
        assert type(error) is expected_type
        if kind is FailureKind.PERMANENT and oauth_error in {None, "invalid_client"}:
            assert "check client_id and client_secret" in error.message
            assert error.worded(ENV).message.count("OAUTH_CLIENT_") == 2
        least = honoured(retry_after, self.policy)
        if kind is FailureKind.TRANSIENT and ticket.attempt < self.policy.max_attempts:
            assert isinstance(outcome, RetryScheduled)
            delay = outcome.delay
            assert least <= delay <= max(backoff_ceiling(ticket.attempt, self.policy), least)
            assert 0.0 <= delay <= max(self.policy.cap, self.policy.retry_after_cap)
            self.retry_at = self.now + delay
        else:
            assert isinstance(outcome, CoolingDown)
            base = (
                self.policy.permanent_cooldown
                if kind is FailureKind.PERMANENT
                else self.policy.exhausted_cooldown
            )
            assert outcome.cooldown == max(base, least)
            self.cooldown_until = self.now + max(base, least)
            self.retry_at = None
        self.last_error = error
        self.error_served = False
        assert self.lifecycle.current_token() is kept, "a failed refresh lost the valid token"

    @precondition(lambda self: self.ticket is not None)
    @rule()
    def a_fetch_is_abandoned(self) -> None:
        ticket = self.settle()
        kept = self.valid_token()

        self.lifecycle.abandon_fetch(ticket)

        # Settled without counting as an attempt: the next fetch may start at once.
        self.attempts = max(0, self.attempts - 1)
        assert self.lifecycle.current_token() is kept

    @precondition(lambda self: self.settled)
    @rule(data=st.data(), how=st.sampled_from(["success", "failure", "abandon"]))
    def a_stale_ticket_is_reported(self, data: st.DataObject, how: str) -> None:
        stale = data.draw(st.sampled_from(self.settled))
        report: Callable[[], object] = {
            "success": lambda: self.lifecycle.token_received(stale, grant("secret-stale-token")),
            "failure": lambda: self.lifecycle.fetch_failed(
                stale, FetchFailure(FailureKind.TRANSIENT, "late")
            ),
            "abandon": lambda: self.lifecycle.abandon_fetch(stale),
        }[how]
        with pytest.raises(LifecycleProtocolError):
            report()
        assert self.lifecycle.in_flight == self.ticket

    # --- the resource server and shared caches ------------------------------------------------

    @precondition(lambda self: self.token is not None)
    @rule()
    def resource_server_rejects_the_current_token(self) -> None:
        assert self.token is not None
        fingerprint = self.token.fingerprint
        still_valid = self.valid_token() is not None
        backing_off = self.rejected_until is not None and self.now < self.rejected_until
        dropped = self.lifecycle.invalidate(fingerprint)
        if not still_valid:
            assert not dropped
        elif backing_off:
            assert not dropped, "a token was dropped during the rejection backoff"
            return
        elif fingerprint == self.replacement:
            # The replacement of a rejected token was rejected too: keep it, pause replacing.
            assert not dropped
            self.replacement = None
            self.rejections += 1
            self.rejected_until = self.now + self.policy.rejection_delay(self.rejections)
            assert self.lifecycle.rejections == self.rejections
            assert self.lifecycle.rejected_until == self.rejected_until
            assert self.lifecycle.current_token() is self.token
            return
        else:
            assert dropped
            self.replacing = True
        self.old_fingerprints.append(fingerprint)
        self.token = None

    @precondition(lambda self: self.token is not None)
    @rule()
    def resource_server_accepts_the_current_token(self) -> None:
        assert self.token is not None
        self.lifecycle.accepted(self.token.fingerprint)
        self.replacement, self.rejections, self.rejected_until = None, 0, None
        assert self.lifecycle.rejections == self.rejections

    @rule(data=st.data())
    def resource_server_rejects_a_stale_token(self, data: st.DataObject) -> None:
        stale = data.draw(st.sampled_from([*self.old_fingerprints, "tok-0000000000"]))
        current = self.token.fingerprint if self.token else None
        if stale == current:
            return
        assert not self.lifecycle.invalidate(stale)

    @rule(
        lifetime=st.sampled_from([1.0, 60.0, 1800.0, 7200.0]),
        age=st.sampled_from([0.0, 0.5, 30.0, 1000.0, 7199.0, 10_000.0]),
    )
    def a_token_is_found_in_a_shared_cache(self, lifetime: float, age: float) -> None:
        raw_token = f"secret-cached-token-{len(self.raw_tokens)}"
        self.raw_tokens.append(raw_token)
        candidate = AccessToken.create(
            raw_token,
            token_type="Bearer",
            obtained_at=self.now - age,
            lifetime=lifetime,
            refresh_after=RULES.refresh_after(lifetime),
            issued_wall=self.clock.now(),
        )
        current = self.valid_token()
        should_adopt = candidate.expires_at > self.now and (
            current is None or current.expires_at < candidate.expires_at
        )
        assert self.lifecycle.adopt(candidate) == should_adopt
        if should_adopt:
            if self.token is not None:
                self.old_fingerprints.append(self.token.fingerprint)
            self.token = candidate

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def promises_hold(self) -> None:
        now = self.now
        assert self.lifecycle.in_flight == self.ticket
        current = self.lifecycle.current_token()
        assert current is self.valid_token(), "the token in hand differs from the model"
        if current is not None:
            assert current.expires_at > now
            assert current.refresh_at < current.expires_at
            assert current.refresh_at >= current.obtained_at + current.lifetime / 2
        state = self.lifecycle.state
        assert state is self.expected_state()
        assert self.lifecycle.last_error is self.last_error

    @invariant()
    def snapshot_is_safe_and_consistent(self) -> None:
        now = self.now
        snapshot = self.lifecycle.snapshot()
        text = repr(snapshot)
        for raw_token in self.raw_tokens:
            assert raw_token.strip() == "" or raw_token not in text
        token = self.valid_token()
        assert snapshot.state is self.expected_state()
        assert snapshot.fingerprint == (token.fingerprint if token else None)
        if token is not None:
            assert snapshot.seconds_to_expiry == token.expires_at - now
            assert snapshot.seconds_to_refresh == max(0.0, token.refresh_at - now)
        assert snapshot.attempt == self.attempts
        assert (snapshot.retry_in is None) == (self.retry_at is None)
        if self.cooling():
            assert self.cooldown_until is not None
            assert snapshot.cooldown_remaining == self.cooldown_until - now
        else:
            assert snapshot.cooldown_remaining is None
        assert snapshot.last_error == (self.last_error.message if self.last_error else None)


TokenLifecycleMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_token_lifecycle_keeps_its_promises = TokenLifecycleMachine.TestCase
