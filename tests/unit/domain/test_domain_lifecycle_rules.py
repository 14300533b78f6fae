"""Example-based tests of the lifecycle rules of issue 2, one rule (or one facet) per test."""

from __future__ import annotations

import pytest
from lifecycle_support import JUST_BELOW_ONE, acquire, grant, new_lifecycle, permanent, transient

from ozon_mcp.domain import (
    PLAIN_NAMES,
    AccessToken,
    Acquired,
    AwaitFetch,
    CoolingDown,
    Fail,
    FailureKind,
    FetchFailure,
    FetchTicket,
    Idle,
    InvalidCredentialsError,
    LifecycleProtocolError,
    LifecycleState,
    LifetimeRules,
    MalformedTokenResponseError,
    RetryPolicy,
    RetryScheduled,
    StartFetch,
    TokenEndpointUnavailableError,
    UseToken,
    WaitReason,
    WaitUntil,
)

# --- refresh schedule --------------------------------------------------------------------------


def test_default_margin_refreshes_sixty_seconds_before_expiry() -> None:
    lifecycle, clock = new_lifecycle()
    token = acquire(lifecycle, expires_in=1800)

    assert token.refresh_at == token.obtained_at + 1740
    clock.advance(1739.9)
    assert lifecycle.need_token() == UseToken(token)
    clock.advance(0.1)
    decision = lifecycle.need_token()
    assert isinstance(decision, UseToken)
    assert decision.token is token
    assert decision.refresh is not None
    assert decision.refresh.is_refresh


@pytest.mark.parametrize(
    ("expires_in", "refresh_after"),
    [(120, 60.0), (100, 50.0), (2, 1.0), (1, 0.5), (121, 61.0), (3600, 3540.0)],
)
def test_half_life_up_to_twice_the_margin_then_the_margin_before_expiry(
    expires_in: int, refresh_after: float
) -> None:
    lifecycle, _ = new_lifecycle()
    token = acquire(lifecycle, expires_in=expires_in)

    assert token.refresh_at - token.obtained_at == refresh_after
    assert token.refresh_at < token.expires_at


def test_a_custom_margin_moves_the_half_life_threshold() -> None:
    lifecycle, _ = new_lifecycle(rules=LifetimeRules(refresh_margin=300))

    first = acquire(lifecycle, "t1", expires_in=600)
    assert first.refresh_at == 1000 + 300  # 600 <= 2 x 300: half-life
    assert lifecycle.invalidate(first.fingerprint)
    assert acquire(lifecycle, "t2", expires_in=601).refresh_at == 1000 + 301  # 601 - 300


def test_expires_in_of_one_second_cannot_cause_a_refresh_loop() -> None:
    lifecycle, clock = new_lifecycle()
    acquire(lifecycle, "t0", expires_in=1)
    fetches = 0
    for step in range(1000):  # ten seconds of callers every 10 ms, instant token endpoint
        clock.advance(0.01)
        decision = lifecycle.need_token()
        ticket = decision.refresh if isinstance(decision, UseToken) else None
        if isinstance(decision, StartFetch):
            ticket = decision.ticket
        if ticket is not None:
            fetches += 1
            lifecycle.token_received(ticket, grant(f"t{step}", expires_in=1))

    # A refresh at most every half-life (0.5 s): about 20 in ten seconds, never one per call.
    assert 15 <= fetches <= 21


def test_a_burst_of_callers_starts_one_refresh() -> None:
    lifecycle, clock = new_lifecycle()
    token = acquire(lifecycle)
    clock.advance(1750)

    decisions = [lifecycle.need_token() for _ in range(100)]

    assert all(isinstance(d, UseToken) and d.token is token for d in decisions)
    assert sum(1 for d in decisions if isinstance(d, UseToken) and d.refresh) == 1
    assert lifecycle.state is LifecycleState.REFRESHING


def test_the_background_waits_for_the_refresh_time_then_refreshes() -> None:
    lifecycle, clock = new_lifecycle()
    first = lifecycle.start()
    assert isinstance(first, StartFetch)
    token = lifecycle.token_received(first.ticket, grant()).token
    assert token is not None

    step = lifecycle.next_background_step()
    assert step == WaitUntil(token.refresh_at, WaitReason.REFRESH_TIME)
    clock.advance(step.deadline - clock.monotonic())
    refresh = lifecycle.next_background_step()
    assert isinstance(refresh, StartFetch)
    assert refresh.ticket.is_refresh
    assert lifecycle.next_background_step() == AwaitFetch(refresh.ticket.number)


def test_start_does_not_fetch_when_a_valid_token_is_in_hand() -> None:
    lifecycle, _ = new_lifecycle()
    token = acquire(lifecycle)

    assert lifecycle.start() == WaitUntil(token.refresh_at, WaitReason.REFRESH_TIME)


def test_the_background_is_idle_without_a_token_until_a_caller_asks() -> None:
    lifecycle, _ = new_lifecycle()

    assert lifecycle.next_background_step() == Idle()
    assert lifecycle.state is LifecycleState.EMPTY


# --- lifetime counted from the request ----------------------------------------------------------


def test_lifetime_counts_from_when_the_request_was_sent() -> None:
    lifecycle, clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    sent_at = clock.monotonic()
    clock.advance(25)  # a slow token endpoint

    token = lifecycle.token_received(decision.ticket, grant(expires_in=60)).token

    assert token is not None
    assert token.obtained_at == sent_at
    assert token.expires_at == sent_at + 60
    assert token.refresh_at == sent_at + 30
    clock.advance(34.9)
    assert lifecycle.current_token() is token
    clock.advance(0.1)  # 60 s after sending, only 35 s after the answer
    assert lifecycle.current_token() is None
    assert isinstance(lifecycle.need_token(), StartFetch)


def test_an_answer_slower_than_the_token_lifetime_is_never_served() -> None:
    lifecycle, clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    clock.advance(5)

    outcome = lifecycle.token_received(decision.ticket, grant(expires_in=2))

    assert outcome.token is not None
    assert outcome.token.is_expired(clock.monotonic())
    assert lifecycle.current_token() is None
    assert isinstance(lifecycle.need_token(), StartFetch)


# --- retry policy inside the lifecycle ---------------------------------------------------------


def test_transient_failures_are_retried_three_times_with_growing_full_jitter() -> None:
    lifecycle, clock = new_lifecycle(rng_value=JUST_BELOW_ONE)
    delays = []
    for expected_attempt in range(1, 4):
        decision = lifecycle.need_token()
        assert isinstance(decision, StartFetch)
        assert decision.ticket.attempt == expected_attempt
        outcome = lifecycle.fetch_failed(decision.ticket, transient())
        assert isinstance(outcome, RetryScheduled)
        assert not isinstance(outcome, CoolingDown)
        delays.append(outcome.delay)
        assert lifecycle.state is LifecycleState.BACKING_OFF
        clock.advance(outcome.delay)

    assert delays == pytest.approx([0.5, 1.0, 2.0])
    assert all(delay < ceiling for delay, ceiling in zip(delays, [0.5, 1.0, 2.0], strict=True))
    fourth = lifecycle.need_token()
    assert isinstance(fourth, StartFetch)
    assert fourth.ticket.attempt == 4
    last = lifecycle.fetch_failed(fourth.ticket, transient())
    assert not isinstance(last, RetryScheduled)
    assert last.cooldown == 5.0
    assert isinstance(last.error, TokenEndpointUnavailableError)
    assert last.error.attempts == 4
    assert "4 attempt(s)" in last.error.message
    assert "check token_url" in last.error.message


def test_a_zero_jitter_draw_retries_at_once() -> None:
    lifecycle, clock = new_lifecycle(rng_value=0.0)
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.fetch_failed(decision.ticket, transient())

    assert outcome.delay == 0.0
    retry = lifecycle.need_token()
    assert isinstance(retry, StartFetch)
    assert retry.ticket.attempt == 2
    assert retry.ticket.sent_at == clock.monotonic()


def test_callers_without_a_token_wait_for_the_backoff_deadline() -> None:
    lifecycle, clock = new_lifecycle(rng_value=JUST_BELOW_ONE)
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    delay = lifecycle.fetch_failed(decision.ticket, transient()).delay
    assert delay is not None

    waiting = lifecycle.need_token()

    assert isinstance(waiting, WaitUntil)
    assert waiting.deadline == clock.monotonic() + delay
    assert lifecycle.next_background_step() == waiting
    clock.advance(delay)
    assert isinstance(lifecycle.next_background_step(), StartFetch)


@pytest.mark.parametrize(
    ("retry_after", "expected_delay"),
    [(10.0, 10.0), (0.1, 0.25), (0.0, 0.25), (None, 0.25), (500.0, 120.0), (-3.0, 0.25)],
)
def test_a_larger_retry_after_wins_and_is_capped(
    retry_after: float | None, expected_delay: float
) -> None:
    lifecycle, _ = new_lifecycle(rng_value=0.5)  # jittered delay of retry 1: 0.5 * 0.5 = 0.25
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.fetch_failed(decision.ticket, transient(retry_after=retry_after))

    assert outcome.delay == expected_delay


def test_a_long_retry_after_also_lengthens_the_exhausted_cooldown() -> None:
    lifecycle, _ = new_lifecycle(retry=RetryPolicy(max_retries=0))
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.fetch_failed(decision.ticket, transient(retry_after=60))

    assert outcome.cooldown == 60.0


def test_after_an_exhausted_cycle_callers_get_the_last_error_at_once_then_a_new_cycle() -> None:
    lifecycle, clock = new_lifecycle(rng_value=0.0)
    for _ in range(4):
        decision = lifecycle.need_token()
        assert isinstance(decision, StartFetch)
        outcome = lifecycle.fetch_failed(decision.ticket, transient(reason="connect timeout"))

    assert lifecycle.state is LifecycleState.FAILED
    answers = [lifecycle.need_token() for _ in range(20)]
    assert all(isinstance(a, Fail) for a in answers)
    errors = [a.error for a in answers if isinstance(a, Fail)]
    assert all(type(e) is type(outcome.error) and e.reason == outcome.error.reason for e in errors)
    # The first hears when the next attempt is; the others also that it is served from memory.
    assert errors[0].message.endswith("; next attempt at 00:00:05 UTC")
    assert errors[1].message.endswith("; remembered for 5 s, next attempt at 00:00:05 UTC")
    assert lifecycle.next_background_step() == Idle()
    clock.advance(4.999)
    assert isinstance(lifecycle.need_token(), Fail)
    clock.advance(0.001)
    renewed = lifecycle.need_token()
    assert isinstance(renewed, StartFetch)
    assert renewed.ticket.attempt == 1


# --- permanent and malformed answers ------------------------------------------------------------


def test_invalid_client_is_not_retried_and_names_the_settings_to_fix() -> None:
    lifecycle, clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.fetch_failed(decision.ticket, permanent("invalid_client", status=401))

    error = outcome.error
    assert isinstance(error, InvalidCredentialsError)
    assert error.kind is FailureKind.PERMANENT
    assert error.status == 401
    assert "client_id" in error.message
    assert "client_secret" in error.message
    assert not isinstance(outcome, RetryScheduled)
    assert outcome.cooldown == 30.0
    assert lifecycle.state is LifecycleState.FAILED
    clock.advance(29.9)
    served = lifecycle.need_token()
    assert isinstance(served, Fail)
    assert served.error.summary(PLAIN_NAMES) == error.summary(PLAIN_NAMES)
    clock.advance(0.1)
    assert isinstance(lifecycle.need_token(), StartFetch)


@pytest.mark.parametrize(
    ("oauth_error", "hint"),
    [
        ("invalid_client", "client_secret"),
        ("unauthorized_client", "client_id"),
        ("invalid_grant", "refused the client_credentials grant"),
        ("unsupported_grant_type", "does not offer the client_credentials grant"),
        ("invalid_scope", "scope"),
        ("invalid_request", "request_format"),
        (None, "client_secret"),  # a bare 401/403 from the token endpoint
    ],
)
def test_each_permanent_error_explains_what_to_fix(oauth_error: str | None, hint: str) -> None:
    lifecycle, _ = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.fetch_failed(decision.ticket, permanent(oauth_error, status=400))

    assert outcome.error is not None
    assert hint in outcome.error.message
    assert "not retried" in outcome.error.message


def test_a_permanent_error_honours_a_longer_retry_after() -> None:
    lifecycle, _ = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.fetch_failed(decision.ticket, permanent(retry_after=90))

    assert outcome.cooldown == 90.0


def test_a_malformed_answer_gives_a_clear_error_then_recovers() -> None:
    lifecycle, clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.token_received(decision.ticket, grant(expires_in="soon"))

    error = outcome.error
    assert isinstance(error, MalformedTokenResponseError)
    assert "expires_in='soon'" in error.message
    assert "token_url" in error.message
    assert outcome.cooldown == 5.0
    assert not isinstance(outcome, Acquired)
    served = lifecycle.need_token()
    assert isinstance(served, Fail)
    assert served.error.reason == error.reason
    clock.advance(5)
    again = lifecycle.need_token()
    assert isinstance(again, StartFetch)
    assert again.ticket.attempt == 1
    token = lifecycle.token_received(again.ticket, grant(expires_in="1800.0")).token
    assert token is not None
    assert lifecycle.need_token() == UseToken(token)
    assert lifecycle.last_error is None


@pytest.mark.parametrize(
    ("raw_token", "token_type", "message"),
    [
        ("", "Bearer", "empty access_token"),
        ("   ", "Bearer", "empty access_token"),
        ("abc", "MAC", "only Bearer is supported"),
        ("abc", "DPoP", "only Bearer is supported"),
    ],
)
def test_unusable_token_fields_are_malformed(raw_token: str, token_type: str, message: str) -> None:
    lifecycle, _ = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.token_received(decision.ticket, grant(raw_token, token_type=token_type))

    assert isinstance(outcome.error, MalformedTokenResponseError)
    assert message in outcome.error.message


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER", " Bearer ", None])
def test_bearer_in_any_case_or_missing_is_accepted(token_type: str | None) -> None:
    lifecycle, _ = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    token = lifecycle.token_received(decision.ticket, grant(token_type=token_type)).token

    assert token is not None
    assert token.token_type == "Bearer"


def test_a_malformed_failure_reported_by_the_adapter_cools_down_briefly() -> None:
    lifecycle, _ = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    failure = FetchFailure(FailureKind.MALFORMED, "the body is not JSON", status=200)
    outcome = lifecycle.fetch_failed(decision.ticket, failure)

    assert isinstance(outcome.error, MalformedTokenResponseError)
    assert "the body is not JSON" in outcome.error.message
    assert outcome.cooldown == 5.0
    assert not isinstance(outcome, RetryScheduled)


# --- graceful degradation ----------------------------------------------------------------------


def test_a_failing_refresh_keeps_serving_the_valid_token_until_its_real_expiry() -> None:
    lifecycle, clock = new_lifecycle(rng_value=JUST_BELOW_ONE)
    token = acquire(lifecycle, expires_in=1800)
    clock.advance(1740)  # refresh due; 60 s of life left
    attempts = 0
    while clock.monotonic() < token.expires_at:
        decision = lifecycle.need_token()
        assert isinstance(decision, UseToken)
        assert decision.token is token
        step = lifecycle.next_background_step()
        ticket = decision.refresh or (step.ticket if isinstance(step, StartFetch) else None)
        if ticket is not None:
            assert ticket.is_refresh
            attempts += 1
            lifecycle.fetch_failed(ticket, transient())
            step = lifecycle.next_background_step()
        assert isinstance(step, WaitUntil)
        assert step.deadline <= token.expires_at
        clock.advance(step.deadline - clock.monotonic())

    # 60 s of life: cycles of 4 attempts (~3.5 s of backoff) separated by 5 s cool-downs.
    assert attempts >= 24
    assert lifecycle.current_token() is None
    assert not isinstance(lifecycle.need_token(), UseToken)


def test_a_permanent_error_during_refresh_still_serves_the_valid_token() -> None:
    lifecycle, clock = new_lifecycle()
    token = acquire(lifecycle)
    clock.advance(1785)  # 15 s of life left, less than the 30 s cool-down
    decision = lifecycle.need_token()
    assert isinstance(decision, UseToken)
    assert decision.refresh is not None

    lifecycle.fetch_failed(decision.refresh, permanent())

    assert lifecycle.state is LifecycleState.FAILED
    assert lifecycle.need_token() == UseToken(token)  # no new fetch during the cool-down
    step = lifecycle.next_background_step()
    assert step == WaitUntil(token.expires_at, WaitReason.COOLDOWN)
    clock.advance(15)
    assert isinstance(lifecycle.need_token(), Fail)


# --- invalidation -------------------------------------------------------------------------------


def test_fifty_rejections_of_one_stale_token_lead_to_one_refresh() -> None:
    lifecycle, _ = new_lifecycle()
    stale = acquire(lifecycle, "old-token")
    in_use = [lifecycle.need_token() for _ in range(50)]
    assert all(isinstance(d, UseToken) and d.token is stale for d in in_use)

    dropped = [lifecycle.invalidate(stale.fingerprint) for _ in range(50)]
    retries = [lifecycle.need_token() for _ in range(50)]

    assert dropped.count(True) == 1
    fetches = [d for d in retries if isinstance(d, StartFetch)]
    assert len(fetches) == 1
    assert retries[1:] == [AwaitFetch(fetches[0].ticket.number)] * 49
    fresh = lifecycle.token_received(fetches[0].ticket, grant("new-token")).token
    assert fresh is not None
    assert not lifecycle.invalidate(stale.fingerprint)  # a late 401 of the old token
    assert lifecycle.need_token() == UseToken(fresh)


def test_invalidating_an_unknown_fingerprint_changes_nothing() -> None:
    lifecycle, _ = new_lifecycle()
    token = acquire(lifecycle)

    assert not lifecycle.invalidate("tok-0123456789")
    assert lifecycle.need_token() == UseToken(token)
    assert not new_lifecycle()[0].invalidate(token.fingerprint)  # nothing in hand at all


def test_invalidation_during_a_refresh_waits_for_that_refresh() -> None:
    lifecycle, clock = new_lifecycle()
    token = acquire(lifecycle)
    clock.advance(1750)
    decision = lifecycle.need_token()
    assert isinstance(decision, UseToken)
    assert decision.refresh is not None

    assert lifecycle.invalidate(token.fingerprint)

    assert lifecycle.state is LifecycleState.ACQUIRING
    assert lifecycle.need_token() == AwaitFetch(decision.refresh.number)


# --- adopting a token from a shared cache ---------------------------------------------------------


def _cached(
    lifecycle_now: float, *, lifetime: float, age: float = 0.0, raw: str = "c"
) -> AccessToken:
    from datetime import UTC, datetime

    return AccessToken.create(
        raw,
        token_type="Bearer",
        obtained_at=lifecycle_now - age,
        lifetime=lifetime,
        refresh_after=LifetimeRules().refresh_after(lifetime),
        issued_wall=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_adopt_takes_a_valid_token_when_none_is_in_hand() -> None:
    lifecycle, clock = new_lifecycle()
    cached = _cached(clock.monotonic(), lifetime=1800, age=100)

    assert lifecycle.adopt(cached)
    assert lifecycle.need_token() == UseToken(cached)
    assert lifecycle.state is LifecycleState.VALID


def test_adopt_refuses_an_expired_token() -> None:
    lifecycle, clock = new_lifecycle()

    assert not lifecycle.adopt(_cached(clock.monotonic(), lifetime=1800, age=1800))
    assert lifecycle.current_token() is None


def test_adopt_only_takes_a_token_that_outlives_the_one_in_hand() -> None:
    lifecycle, clock = new_lifecycle()
    current = acquire(lifecycle, expires_in=1800)
    now = clock.monotonic()

    assert not lifecycle.adopt(_cached(now, lifetime=1000, raw="shorter"))
    assert not lifecycle.adopt(_cached(now, lifetime=1800, raw="same-expiry"))
    assert lifecycle.current_token() is current
    longer = _cached(now, lifetime=3600, raw="longer")
    assert lifecycle.adopt(longer)
    assert lifecycle.current_token() is longer


def test_adopt_replaces_an_expired_token_in_hand() -> None:
    lifecycle, clock = new_lifecycle()
    acquire(lifecycle, expires_in=60)
    clock.advance(61)
    cached = _cached(clock.monotonic(), lifetime=30, raw="short-but-valid")

    assert lifecycle.adopt(cached)
    assert lifecycle.current_token() is cached


# --- protocol errors ----------------------------------------------------------------------------


def test_reporting_a_stale_ticket_is_a_protocol_error() -> None:
    lifecycle, clock = new_lifecycle()
    first = lifecycle.need_token()
    assert isinstance(first, StartFetch)
    token = lifecycle.token_received(first.ticket, grant()).token
    assert token is not None

    with pytest.raises(LifecycleProtocolError, match=f"#{first.ticket.number}"):
        lifecycle.token_received(first.ticket, grant("second-answer"))
    with pytest.raises(LifecycleProtocolError):
        lifecycle.fetch_failed(first.ticket, transient())

    assert lifecycle.current_token() is token  # nothing changed
    clock.advance(1750)
    refresh = lifecycle.need_token()
    assert isinstance(refresh, UseToken)
    assert refresh.refresh is not None
    with pytest.raises(LifecycleProtocolError):
        lifecycle.token_received(first.ticket, grant("late"))
    assert lifecycle.in_flight == refresh.refresh


def test_a_forged_ticket_is_refused() -> None:
    lifecycle, _ = new_lifecycle()
    forged = FetchTicket(number=99, attempt=1, sent_at=0.0, is_refresh=False)

    with pytest.raises(LifecycleProtocolError):
        lifecycle.token_received(forged, grant())
    assert lifecycle.current_token() is None


# --- abandoned fetches ----------------------------------------------------------------------------


def test_an_abandoned_fetch_lets_the_next_caller_start_at_once() -> None:
    lifecycle, _ = new_lifecycle()
    first = lifecycle.need_token()
    assert isinstance(first, StartFetch)

    lifecycle.abandon_fetch(first.ticket)

    assert lifecycle.in_flight is None
    assert lifecycle.state is LifecycleState.EMPTY
    second = lifecycle.need_token()
    assert isinstance(second, StartFetch)
    assert second.ticket.attempt == 1  # the abandoned fetch was not counted
    assert second.ticket.number == first.ticket.number + 1


def test_an_abandoned_retry_keeps_the_attempts_already_spent() -> None:
    lifecycle, _ = new_lifecycle(rng_value=0.0)
    first = lifecycle.need_token()
    assert isinstance(first, StartFetch)
    lifecycle.fetch_failed(first.ticket, transient())
    retry = lifecycle.need_token()
    assert isinstance(retry, StartFetch)
    assert retry.ticket.attempt == 2

    lifecycle.abandon_fetch(retry.ticket)

    again = lifecycle.need_token()
    assert isinstance(again, StartFetch)
    assert again.ticket.attempt == 2
    assert lifecycle.last_error is not None  # the real failure is still remembered


def test_abandoning_a_refresh_keeps_the_valid_token() -> None:
    lifecycle, clock = new_lifecycle()
    token = acquire(lifecycle)
    clock.advance(1750)
    decision = lifecycle.need_token()
    assert isinstance(decision, UseToken)
    assert decision.refresh is not None

    lifecycle.abandon_fetch(decision.refresh)

    assert lifecycle.current_token() is token
    assert lifecycle.state is LifecycleState.VALID


def test_abandoning_a_ticket_that_is_not_in_flight_is_a_protocol_error() -> None:
    lifecycle, _ = new_lifecycle()
    first = lifecycle.need_token()
    assert isinstance(first, StartFetch)
    lifecycle.abandon_fetch(first.ticket)

    with pytest.raises(LifecycleProtocolError):
        lifecycle.abandon_fetch(first.ticket)


# --- the snapshot -------------------------------------------------------------------------------


def test_the_snapshot_summarises_without_the_token() -> None:
    lifecycle, clock = new_lifecycle()
    token = acquire(lifecycle, "very-secret-token-value", expires_in=1800)
    clock.advance(100)

    snapshot = lifecycle.snapshot()

    assert "very-secret-token-value" not in repr(snapshot)
    assert "very-secret-token-value" not in str(vars(snapshot))
    assert snapshot.state is LifecycleState.VALID
    assert snapshot.fingerprint == token.fingerprint
    assert snapshot.seconds_to_expiry == 1700
    assert snapshot.seconds_to_refresh == 1640
    assert snapshot.attempt == 0
    assert snapshot.retry_in is None
    assert snapshot.cooldown_remaining is None
    assert snapshot.last_error is None


def test_the_snapshot_reports_backoff_and_cooldown() -> None:
    lifecycle, clock = new_lifecycle(rng_value=JUST_BELOW_ONE, retry=RetryPolicy(max_retries=1))
    first = lifecycle.need_token()
    assert isinstance(first, StartFetch)
    delay = lifecycle.fetch_failed(first.ticket, transient(reason="HTTP 502")).delay
    assert delay is not None

    backing_off = lifecycle.snapshot()
    assert backing_off.state is LifecycleState.BACKING_OFF
    assert backing_off.retry_in == pytest.approx(delay)
    assert backing_off.attempt == 1
    assert backing_off.last_error is not None
    assert "HTTP 502" in backing_off.last_error

    clock.advance(delay)
    assert lifecycle.snapshot().retry_in == 0.0
    second = lifecycle.need_token()
    assert isinstance(second, StartFetch)
    assert lifecycle.snapshot().state is LifecycleState.ACQUIRING
    lifecycle.fetch_failed(second.ticket, transient())
    clock.advance(2)
    failed = lifecycle.snapshot()
    assert failed.state is LifecycleState.FAILED
    assert failed.cooldown_remaining == pytest.approx(3.0)
    assert failed.fingerprint is None
