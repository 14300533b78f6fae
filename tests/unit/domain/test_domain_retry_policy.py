"""RetryPolicy: exponential backoff with full jitter, Retry-After (delta and HTTP-date), caps."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifecycle_support import JUST_BELOW_ONE, StubRandom

from ozon_mcp.domain import RetryPolicy, parse_retry_after

POLICY = RetryPolicy()
WALL = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_defaults_are_those_of_the_issue() -> None:
    assert (POLICY.base, POLICY.factor, POLICY.cap) == (0.5, 2.0, 30.0)
    assert POLICY.max_retries == 3
    assert POLICY.max_attempts == 4
    assert POLICY.retry_after_cap == 120.0
    assert POLICY.exhausted_cooldown == 5.0
    assert POLICY.permanent_cooldown == 30.0


@pytest.mark.parametrize(
    ("retry_number", "ceiling"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 30.0), (60, 30.0), (10_000, 30.0), (0, 0.5)],
)
def test_the_backoff_ceiling_doubles_up_to_the_cap(retry_number: int, ceiling: float) -> None:
    assert POLICY.ceiling(retry_number) == ceiling


@pytest.mark.parametrize("retry_number", [1, 2, 3, 8])
def test_full_jitter_spans_zero_to_the_ceiling(retry_number: int) -> None:
    ceiling = POLICY.ceiling(retry_number)

    assert POLICY.delay(retry_number, StubRandom(0.0), None) == 0.0
    top = POLICY.delay(retry_number, StubRandom(JUST_BELOW_ONE), None)
    assert top < ceiling
    assert top == pytest.approx(ceiling)


def test_each_delay_draws_the_rng_once() -> None:
    rng = StubRandom(0.25)

    assert POLICY.delay(3, rng, None) == 0.5
    assert rng.calls == 1


@given(
    retry_number=st.integers(1, 50),
    seed=st.integers(0, 2**32 - 1),
    retry_after=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_delays_stay_between_the_honoured_retry_after_and_the_largest_cap(
    retry_number: int, seed: int, retry_after: float | None
) -> None:
    delay = POLICY.delay(retry_number, random.Random(seed), retry_after)
    honoured = POLICY.honoured_retry_after(retry_after)

    assert 0.0 <= honoured <= delay <= max(POLICY.cap, POLICY.retry_after_cap)
    assert delay <= max(POLICY.ceiling(retry_number), honoured)


@pytest.mark.parametrize(
    ("retry_after", "honoured"),
    [
        (None, 0.0),
        (0.0, 0.0),
        (-5.0, 0.0),
        (math.nan, 0.0),
        (7.0, 7.0),
        (120.0, 120.0),
        (121.0, 120.0),
        (1e12, 120.0),
        (math.inf, 120.0),  # "a very long time" is capped like any long time
    ],
)
def test_retry_after_is_honoured_when_positive_and_capped(
    retry_after: float | None, honoured: float
) -> None:
    assert POLICY.honoured_retry_after(retry_after) == honoured


def test_a_larger_retry_after_wins_over_the_jitter_and_a_smaller_one_does_not() -> None:
    rng = StubRandom(JUST_BELOW_ONE)

    assert POLICY.delay(1, rng, 10.0) == 10.0
    assert POLICY.delay(3, rng, 1.0) == pytest.approx(2.0)
    assert POLICY.delay(1, rng, 3600.0) == 120.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base": -0.1},
        {"cap": -1.0},
        {"factor": 0.5},
        {"max_retries": -1},
        {"retry_after_cap": -1.0},
        {"exhausted_cooldown": -1.0},
        {"permanent_cooldown": -1.0},
    ],
    ids=repr,
)
def test_nonsensical_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**kwargs)


def test_zero_retries_means_a_single_attempt() -> None:
    assert RetryPolicy(max_retries=0).max_attempts == 1


# --- parsing the Retry-After header ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("007", 7.0)],
)
def test_delta_seconds_are_read(header: str, seconds: float) -> None:
    assert parse_retry_after(header, WALL) == seconds


def test_an_absurdly_long_delta_is_read_as_infinite_and_then_capped() -> None:
    seconds = parse_retry_after("9" * 5000, WALL)

    assert seconds == math.inf
    assert POLICY.honoured_retry_after(seconds) == 120.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Sun, 01 Mar 2026 12:01:30 GMT", 90.0),
        ("Sun, 01 Mar 2026 13:00:00 +0100", 0.0),  # the same instant as WALL
        ("Sun, 01 Mar 2026 12:00:10 -0000", 10.0),  # "-0000": UTC without a zone claim
        ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),  # in the past: retry now, never negative
    ],
)
def test_http_dates_are_read_relative_to_the_wall_clock(header: str, seconds: float) -> None:
    assert parse_retry_after(header, WALL) == seconds


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "soon", "-5", "1.5", "²", "١٢", "Sun, 32 Mar 2026 12:00:00 GMT", "12 34"],
    ids=repr,
)
def test_unusable_retry_after_values_are_ignored(header: str | None) -> None:
    assert parse_retry_after(header, WALL) is None


@given(st.text(max_size=60))
def test_no_header_value_can_crash_the_parser(header: str) -> None:
    seconds = parse_retry_after(header, WALL)

    assert seconds is None or seconds >= 0.0


def test_an_http_date_depends_on_the_wall_time_it_is_read_at() -> None:
    header = "Sun, 01 Mar 2026 12:02:00 GMT"

    assert parse_retry_after(header, WALL) == 120.0
    assert parse_retry_after(header, WALL + timedelta(seconds=60)) == 60.0
