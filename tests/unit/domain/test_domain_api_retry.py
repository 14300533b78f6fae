"""ApiRetryPolicy.decide: which API answers are retried, after how long, and when it gives up."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifecycle_support import JUST_BELOW_ONE, StubRandom

from ozon_mcp.domain.api_retry import (
    IDEMPOTENT_METHODS,
    RETRIED_STATUSES,
    ApiRetryDecision,
    ApiRetryPolicy,
    GiveUp,
)

POLICY = ApiRetryPolicy()
ANY_METHOD = st.sampled_from(
    ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH", "get", "post", "TRACE", "PURGE"]
)
RETRY_AFTER = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))


def decide(
    method: str = "GET",
    status: int = 503,
    retry_after: float | None = None,
    attempts: int = 1,
    elapsed: float = 0.0,
    rng: random.Random | StubRandom | None = None,
    policy: ApiRetryPolicy = POLICY,
) -> ApiRetryDecision:
    return policy.decide(
        method=method,
        status=status,
        retry_after=retry_after,
        attempts=attempts,
        elapsed=elapsed,
        rng=rng or StubRandom(0.5),
    )


def test_the_defaults_are_two_retries_within_ten_seconds() -> None:
    assert POLICY.max_retries == 2
    assert POLICY.max_attempts == 3
    assert POLICY.max_total_wait == 10.0
    assert [POLICY.ceiling(n) for n in (1, 2, 3, 4, 5, 80)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "get", "Delete"])
@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_on_an_idempotent_method_are_retried(method: str, status: int) -> None:
    assert decide(method, status, retry_after=1.0) == ApiRetryDecision(1.0)


@pytest.mark.parametrize("method", ["POST", "PATCH", "post", "CONNECT", "PURGE"])
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_method_that_may_have_taken_effect_is_never_retried(method: str, status: int) -> None:
    decision = decide(method, status, retry_after=1.0)
    assert decision.delay is None
    assert not decision.retry
    expected = GiveUp.NOT_IDEMPOTENT if status in (429, 503) else GiveUp.NOT_RETRIABLE_STATUS
    assert decision.gave_up is expected


@pytest.mark.parametrize("status", [200, 201, 204, 400, 401, 403, 404, 408, 500, 502, 504])
def test_other_statuses_are_the_callers_answer(status: int) -> None:
    assert decide("GET", status, retry_after=1.0) == ApiRetryDecision(
        None, GiveUp.NOT_RETRIABLE_STATUS
    )


def test_a_retry_after_is_obeyed_even_when_the_backoff_would_be_shorter() -> None:
    assert decide(retry_after=3.0, rng=StubRandom(0.0)).delay == 3.0
    assert decide(retry_after=0.2, rng=StubRandom(JUST_BELOW_ONE)).delay == pytest.approx(0.5)


@pytest.mark.parametrize("retry_after", [None, 0.0, -4.0, math.nan])
def test_without_a_usable_retry_after_the_wait_is_jittered_backoff(
    retry_after: float | None,
) -> None:
    assert decide(retry_after=retry_after, rng=StubRandom(0.0)).delay == 0.0
    assert decide(retry_after=retry_after, attempts=2, rng=StubRandom(0.5)).delay == 0.5


def test_the_third_answer_is_handed_back() -> None:
    assert decide(attempts=2).retry
    assert decide(attempts=3) == ApiRetryDecision(None, GiveUp.ATTEMPTS_USED)


def test_a_retry_after_past_the_budget_is_not_waited_for_at_all() -> None:
    assert decide(retry_after=10.0).delay == 10.0  # exactly the budget: still waited
    assert decide(retry_after=10.5) == ApiRetryDecision(None, GiveUp.PAST_BUDGET)
    assert decide(retry_after=math.inf) == ApiRetryDecision(None, GiveUp.PAST_BUDGET)
    assert decide(retry_after=2.0, elapsed=8.5) == ApiRetryDecision(None, GiveUp.PAST_BUDGET)


def test_no_retries_means_the_first_answer_is_final() -> None:
    policy = ApiRetryPolicy(max_retries=0)
    assert decide(policy=policy) == ApiRetryDecision(None, GiveUp.ATTEMPTS_USED)


@pytest.mark.parametrize(
    "bad",
    [
        {"max_retries": -1},
        {"max_total_wait": -1.0},
        {"max_total_wait": math.nan},
        {"base": -0.1},
        {"cap": -1.0},
    ],
)
def test_a_nonsensical_policy_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        ApiRetryPolicy(**bad)  # type: ignore[arg-type]


@given(
    method=ANY_METHOD,
    status=st.integers(100, 599),
    retry_after=RETRY_AFTER,
    attempts=st.integers(1, 10),
    elapsed=st.floats(0, 100),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_retry_is_only_ever_decided_within_every_bound(
    method: str,
    status: int,
    retry_after: float | None,
    attempts: int,
    elapsed: float,
    seed: int,
) -> None:
    decision = decide(method, status, retry_after, attempts, elapsed, random.Random(seed))
    assert (decision.delay is None) == (decision.gave_up is not None)
    if decision.delay is None:
        return
    assert method.upper() in IDEMPOTENT_METHODS
    assert method.upper() not in ("POST", "PATCH")
    assert status in RETRIED_STATUSES
    assert attempts < POLICY.max_attempts
    assert decision.delay >= 0.0
    assert elapsed + decision.delay <= POLICY.max_total_wait
    if retry_after is not None and not math.isnan(retry_after) and retry_after > 0:
        assert decision.delay >= retry_after  # never sooner than the server asked
    else:
        assert decision.delay <= POLICY.ceiling(attempts)


@given(
    retry_afters=st.lists(RETRY_AFTER, min_size=1, max_size=10),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_call_never_sends_more_than_three_requests_nor_waits_past_the_budget(
    retry_afters: list[float | None], seed: int
) -> None:
    """Play a whole call whose every answer is a 503 with the given Retry-Afters."""
    rng = random.Random(seed)
    elapsed, attempts = 0.0, 1
    for retry_after in retry_afters:
        decision = decide("GET", 503, retry_after, attempts, elapsed, rng)
        if decision.delay is None:
            break
        elapsed += decision.delay
        attempts += 1
    assert attempts <= POLICY.max_attempts
    assert elapsed <= POLICY.max_total_wait
