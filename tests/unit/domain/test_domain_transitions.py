"""The transition table, the caller's bounded wait, the 401 backoff and errors as facts."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from lifecycle_support import acquire, grant, new_lifecycle, permanent, transient

from ozon_mcp.domain import (
    PLAIN_NAMES,
    TRANSITIONS,
    Fail,
    Holding,
    InvalidCredentialsError,
    LifecycleState,
    Phase,
    RetryPolicy,
    Setting,
    SettingError,
    StartFetch,
    TokenEndpointUnavailableError,
    TokenLifecycle,
    WaitReason,
    WaitUntil,
)


def test_the_table_answers_every_situation() -> None:
    assert set(TRANSITIONS) == {(phase, holding) for phase in Phase for holding in Holding}


def test_the_situation_agrees_with_the_state() -> None:
    lifecycle, clock = new_lifecycle()
    assert lifecycle.situation() == (Phase.QUIET, Holding.NONE)
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    assert lifecycle.situation() == (Phase.FETCHING, Holding.NONE)
    lifecycle.token_received(decision.ticket, grant())
    assert lifecycle.situation() == (Phase.QUIET, Holding.FRESH)
    clock.advance(1750)
    assert lifecycle.situation() == (Phase.QUIET, Holding.DUE)
    assert lifecycle.state is LifecycleState.VALID


@pytest.mark.parametrize("bad", [-1.0, math.nan])
def test_max_wait_must_be_a_non_negative_number(bad: float) -> None:
    _, clock = new_lifecycle()
    with pytest.raises(ValueError, match="max_wait"):
        TokenLifecycle(clock, _Zero(), max_wait=bad)


def test_a_backoff_beyond_max_wait_fails_the_caller_but_not_the_background() -> None:
    lifecycle, clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    lifecycle.fetch_failed(decision.ticket, transient(retry_after=45.0))
    failed = lifecycle.need_token()
    assert isinstance(failed, Fail)
    assert isinstance(failed.error, TokenEndpointUnavailableError)
    assert failed.error.wait_limit == 30.0
    assert failed.error.next_attempt_at == datetime(2026, 1, 1, 0, 0, 45, tzinfo=UTC)
    assert lifecycle.next_background_step() == WaitUntil(1045.0, WaitReason.BACKOFF)
    clock.advance(20)  # 25 s left: now a caller may wait for it
    assert lifecycle.need_token() == WaitUntil(1045.0, WaitReason.BACKOFF)
    # ... but not one that has already waited 10 s.
    assert isinstance(lifecycle.need_token(waiting_since=clock.monotonic() - 10), Fail)


def test_rejection_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(rejection_base=5.0, rejection_cap=300.0)
    assert [policy.rejection_delay(n) for n in (1, 2, 3, 7, 100)] == [5, 10, 20, 300, 300]
    with pytest.raises(ValueError, match="rejection"):
        RetryPolicy(rejection_base=-1.0)


def test_a_rejected_replacement_is_kept_and_accepted_ends_the_pause() -> None:
    lifecycle, clock = new_lifecycle()
    first = acquire(lifecycle, "first")
    assert lifecycle.invalidate(first.fingerprint) is True
    second = acquire(lifecycle, "second")
    assert lifecycle.invalidate(second.fingerprint) is False  # refused again: kept
    assert lifecycle.current_token() is second
    assert (lifecycle.rejections, lifecycle.rejected_until) == (1, 1005.0)
    clock.advance(1)
    assert lifecycle.invalidate(second.fingerprint) is False  # still pausing
    lifecycle.accepted(second.fingerprint)
    assert (lifecycle.rejections, lifecycle.rejected_until) == (0, None)
    assert lifecycle.invalidate(second.fingerprint) is True


def test_a_401_for_a_token_past_its_expiry_is_no_refusal() -> None:
    """A request that waited (in a client's pool, say) until its token ran out gets a 401 that
    says nothing about the API refusing tokens: no rejection backoff, and the next caller gets
    a new token, not the expired one."""
    lifecycle, clock = new_lifecycle()
    first = acquire(lifecycle, "first")
    assert lifecycle.invalidate(first.fingerprint) is True  # a real refusal: replace it
    second = acquire(lifecycle, "second")  # the replacement
    clock.advance(second.expires_at - clock.monotonic())  # it runs out while in flight
    assert lifecycle.invalidate(second.fingerprint) is False
    assert (lifecycle.rejections, lifecycle.rejected_until) == (0, None)
    assert lifecycle.current_token() is None
    assert isinstance(lifecycle.need_token(), StartFetch)


def test_errors_are_facts_worded_by_the_edge() -> None:
    error = InvalidCredentialsError("HTTP 401", status=401, oauth_error="invalid_scope")
    assert error.summary(PLAIN_NAMES) == "HTTP 401; not retried: check scope: " + (
        "the server refused the requested scope"
    )
    worded = error.worded({Setting.SCOPE: "MY_SCOPE"})
    assert "check MY_SCOPE:" in worded.message
    assert str(error) == error.message  # the original keeps its words
    at = datetime(2026, 1, 1, 12, 4, 31, tzinfo=UTC)
    again = error.scheduled(at, remembered_for=5.0, served_again=True)
    assert again.message.endswith("; remembered for 5 s, next attempt at 12:04:31 UTC")
    assert error.scheduled(at).message.endswith("; next attempt at 12:04:31 UTC")
    setting = SettingError(Setting.CLIENT_ID, "is empty")
    assert str(setting) == "client_id is empty"
    assert str(setting.worded({Setting.CLIENT_ID: "OAUTH_CLIENT_ID"})) == (
        "OAUTH_CLIENT_ID is empty"
    )


def test_a_permanent_error_served_again_says_it_is_remembered() -> None:
    lifecycle, _ = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    lifecycle.fetch_failed(decision.ticket, permanent("invalid_client", status=401))
    first, second = lifecycle.need_token(), lifecycle.need_token()
    assert isinstance(first, Fail)
    assert isinstance(second, Fail)
    assert "remembered" not in first.error.message
    assert "; remembered for 30 s, next attempt at 00:00:30 UTC" in second.error.message


class _Zero:
    def random(self) -> float:
        return 0.0
