"""Wall time: what reads it (SystemClock.now, HTTP-dates, JWT exp); its jumps decide nothing.

freezegun fakes `time.monotonic` from the frozen wall time, so it cannot show a wall jump with a
steady monotonic clock on `SystemClock` alone; `FrozenWallClock` below takes its wall time from
`SystemClock.now()` (under freezegun) and its monotonic time from a counter the test moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fake_clock import FakeClock
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from lifecycle_support import StubRandom, grant, permanent, transient

from ozon_mcp.domain import (
    PLAIN_NAMES,
    AccessToken,
    Acquired,
    AwaitFetch,
    CoolingDown,
    Decision,
    Fail,
    Idle,
    LifetimeRules,
    LifetimeSource,
    RetryScheduled,
    StartFetch,
    SystemClock,
    TokenLifecycle,
    UseToken,
    WaitUntil,
    parse_retry_after,
    resolve_lifetime,
)

FROZEN = "2026-03-01 12:00:00"
FROZEN_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class FrozenWallClock:
    """Monotonic time from a counter, wall time from the (frozen) system clock."""

    monotonic_seconds: float = 5000.0
    system: SystemClock = field(default_factory=SystemClock)

    def monotonic(self) -> float:
        return self.monotonic_seconds

    def now(self) -> datetime:
        return self.system.now()


# --- SystemClock ---------------------------------------------------------------------------------


def test_system_clock_now_is_the_aware_utc_wall_time() -> None:
    with freeze_time(FROZEN):
        now = SystemClock().now()

    assert now == FROZEN_AT
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_system_clock_monotonic_follows_time_monotonic() -> None:
    clock = SystemClock()
    with freeze_time(FROZEN) as frozen:
        before = clock.monotonic()
        frozen.tick(7)
        after = clock.monotonic()

    assert after - before == pytest.approx(7.0)


def test_system_clock_monotonic_never_goes_back() -> None:
    clock = SystemClock()
    readings = [clock.monotonic() for _ in range(100)]

    assert readings == sorted(readings)


def test_the_fake_clock_moves_both_clocks_forward_only() -> None:
    clock = FakeClock()
    start_wall = clock.now()

    clock.advance(2.5)

    assert clock.monotonic() == 1002.5
    assert clock.now() - start_wall == timedelta(seconds=2.5)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-0.001)
    assert clock.monotonic() == 1002.5


def test_the_fake_clock_wall_can_jump_alone_in_both_directions() -> None:
    clock = FakeClock()
    start_wall = clock.now()

    clock.jump_wall(-86_400)
    assert clock.now() == start_wall - timedelta(days=1)
    assert clock.monotonic() == 1000.0
    clock.jump_wall(3 * 86_400)
    assert clock.now() == start_wall + timedelta(days=2)
    assert clock.monotonic() == 1000.0


# --- what reads wall time -------------------------------------------------------------------------


def test_an_http_date_retry_after_is_relative_to_the_system_wall_clock() -> None:
    header = "Sun, 01 Mar 2026 12:00:45 GMT"
    with freeze_time(FROZEN) as frozen:
        assert parse_retry_after(header, SystemClock().now()) == 45.0
        frozen.tick(15)
        assert parse_retry_after(header, SystemClock().now()) == 30.0
        frozen.move_to("2026-03-01 13:00:00")
        assert parse_retry_after(header, SystemClock().now()) == 0.0


def test_a_delta_retry_after_does_not_depend_on_the_wall_clock() -> None:
    with freeze_time(FROZEN) as frozen:
        first = parse_retry_after("30", SystemClock().now())
        frozen.move_to("1999-12-31 23:59:59")
        assert parse_retry_after("30", SystemClock().now()) == first == 30.0


def test_the_jwt_exp_is_converted_with_the_system_wall_clock() -> None:
    exp = FROZEN_AT.timestamp() + 900
    with freeze_time(FROZEN) as frozen:
        lifetime = resolve_lifetime(
            None, jwt_exp=exp, wall_now=SystemClock().now(), rules=LifetimeRules()
        )
        assert lifetime.seconds == 900.0
        assert lifetime.source is LifetimeSource.JWT_EXP
        frozen.tick(300)
        later = resolve_lifetime(
            None, jwt_exp=exp, wall_now=SystemClock().now(), rules=LifetimeRules()
        )
        assert later.seconds == 600.0


def test_a_lifecycle_on_the_system_clock_converts_the_jwt_exp_at_receipt() -> None:
    clock = FrozenWallClock()
    lifecycle = TokenLifecycle(clock, StubRandom(0.5))
    with freeze_time(FROZEN):
        decision = lifecycle.need_token()
        assert isinstance(decision, StartFetch)
        answer = grant(expires_in=None, jwt_exp=FROZEN_AT.timestamp() + 600)
        token = lifecycle.token_received(decision.ticket, answer).token

    assert token is not None
    assert token.lifetime == 600.0
    assert token.expires_at == clock.monotonic_seconds + 600
    assert token.issued_wall == FROZEN_AT  # for display only


# --- wall-clock jumps decide nothing --------------------------------------------------------------


def test_a_held_token_survives_any_wall_clock_jump() -> None:
    clock = FakeClock()
    lifecycle = TokenLifecycle(clock, StubRandom(0.5))
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    answer = grant(expires_in=None, jwt_exp=clock.now().timestamp() + 600)
    token = lifecycle.token_received(decision.ticket, answer).token
    assert token is not None

    for jump in (10 * 86_400, -365 * 86_400, 3600, -1):
        clock.jump_wall(jump)
        assert lifecycle.need_token() == UseToken(token)
    clock.advance(600)
    assert lifecycle.current_token() is None  # a wall jump never resurrects it either
    clock.jump_wall(-86_400)
    assert lifecycle.current_token() is None


def test_a_frozen_wall_clock_moved_back_and_forth_changes_no_decision() -> None:
    with freeze_time(FROZEN) as frozen:
        jumping = FrozenWallClock()
        steady = FakeClock(monotonic_seconds=jumping.monotonic_seconds)
        moved = TokenLifecycle(jumping, StubRandom(0.5))
        still = TokenLifecycle(steady, StubRandom(0.5))
        targets = ["2026-03-02 00:00:00", "2020-01-01 00:00:00", "2030-06-01 00:00:00"]

        for step, target in enumerate(targets * 3):
            frozen.move_to(target)
            for lifecycle in (moved, still):
                settle_once(lifecycle, step)
            assert describe(moved.need_token()) == describe(still.need_token())
            assert describe(moved.next_background_step()) == describe(still.next_background_step())
            jumping.monotonic_seconds += 700
            steady.advance(700)


def settle_once(lifecycle: TokenLifecycle, step: int) -> None:
    """Answer any outstanding fetch: even steps succeed, odd steps fail."""
    ticket = lifecycle.in_flight
    if ticket is None:
        return
    if step % 2 == 0:
        lifecycle.token_received(ticket, grant(f"token-{step}", expires_in=1000))
    else:
        lifecycle.fetch_failed(ticket, transient(retry_after=3.0))


# The events of the property test below; each is applied to two lifecycles in lockstep.
EVENTS = st.sampled_from(
    ["caller", "background", "start", "succeed", "fail", "refuse", "invalidate", "wait"]
)


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            EVENTS,
            st.floats(0.0, 2000.0),
            st.floats(-400 * 86_400.0, 400 * 86_400.0),
        ),
        max_size=40,
    )
)
def test_wall_clock_jumps_change_no_decision(events: list[tuple[str, float, float]]) -> None:
    steady_clock, jumping_clock = FakeClock(), FakeClock()
    steady = TokenLifecycle(steady_clock, StubRandom(0.3))
    jumping = TokenLifecycle(jumping_clock, StubRandom(0.3))

    for number, (event, elapsed, wall_jump) in enumerate(events):
        jumping_clock.jump_wall(wall_jump)
        results = [apply(event, lifecycle, number) for lifecycle in (steady, jumping)]
        assert results[0] == results[1], event
        assert steady.state is jumping.state
        for clock in (steady_clock, jumping_clock):
            clock.advance(elapsed)


def apply(event: str, lifecycle: TokenLifecycle, number: int) -> object:
    """Apply one event and describe its result without wall-time fields."""
    ticket = lifecycle.in_flight
    if event == "caller":
        return describe(lifecycle.need_token())
    if event == "background":
        return describe(lifecycle.next_background_step())
    if event == "start":
        return describe(lifecycle.start())
    if event in {"succeed", "fail", "refuse"} and ticket is not None:
        if event == "succeed":
            outcome = lifecycle.token_received(ticket, grant(f"t{number}", expires_in=900))
        elif event == "fail":
            outcome = lifecycle.fetch_failed(ticket, transient(retry_after=2.0))
        else:
            outcome = lifecycle.fetch_failed(ticket, permanent())
        return (
            describe_token(outcome.token) if isinstance(outcome, Acquired) else None,
            outcome.delay if isinstance(outcome, RetryScheduled) else None,
            outcome.cooldown if isinstance(outcome, CoolingDown) else None,
            None if isinstance(outcome, Acquired) else outcome.error.message,
        )
    if event == "invalidate":
        token = lifecycle.current_token()
        return lifecycle.invalidate(token.fingerprint) if token else None
    return lifecycle.snapshot()


def describe(decision: Decision | Idle) -> object:
    """A decision with its token reduced to the fields that govern its use."""
    if isinstance(decision, UseToken):
        return ("use", describe_token(decision.token), decision.refresh)
    if isinstance(decision, Fail):
        # The wall time of the next attempt is for display; the decision is the rest.
        return ("fail", decision.error.summary(PLAIN_NAMES), decision.error.remembered_for)
    assert isinstance(decision, StartFetch | AwaitFetch | WaitUntil | Idle)
    return decision


def describe_token(token: AccessToken | None) -> object:
    if token is None:
        return None
    return (token.fingerprint, token.obtained_at, token.expires_at, token.refresh_at)
