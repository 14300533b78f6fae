"""The polling schedule and what 429 answers say about waiting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.reports.backoff import (
    PollSchedule,
    error_message,
    limit_name,
    retry_after_seconds,
    wait_from_429,
)


def test_polling_starts_at_one_second_and_is_capped() -> None:
    schedule = PollSchedule()
    assert [schedule.delay(n) for n in range(7)] == [1, 2, 4, 8, 10, 10, 10]


def test_a_server_hint_lengthens_the_wait_but_never_shortens_it() -> None:
    schedule = PollSchedule(initial=1, cap=10)
    assert schedule.delay(0, server_hint=30) == 30
    assert schedule.delay(3, server_hint=2) == 8


@given(attempt=st.integers(min_value=0, max_value=10_000))
def test_delays_stay_within_bounds(attempt: int) -> None:
    schedule = PollSchedule(initial=0.5, cap=7)
    assert 0.5 <= schedule.delay(attempt) <= 7
    assert schedule.delay(attempt) <= schedule.delay(attempt + 1)


def test_schedule_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="initial"):
        PollSchedule(initial=5, cap=1)


def test_retry_after_forms() -> None:
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("17") == 17
    assert retry_after_seconds("Sun, 01 Mar 2026 12:00:30 GMT", now=now) == 30
    assert retry_after_seconds("Sun, 01 Mar 2026 11:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("nan") is None


@pytest.mark.parametrize("header", ["1.5", "-5", "inf", "1e3", "١٢", "9" * 5000], ids=repr)
def test_retry_after_is_read_as_strictly_as_the_token_client_reads_it(header: str) -> None:
    # delta-seconds is ASCII digits only (RFC 9110); an infinite wait is unusable here.
    assert retry_after_seconds(header) is None


def test_a_429_body_can_name_the_wait() -> None:
    assert wait_from_429(None, b'{"error": "too many", "retry_after": 12}') == 12
    assert wait_from_429(None, b'{"error": "rate limited, retry after 5 seconds"}') == 5
    assert wait_from_429("3", b'{"retry_after": 12}') == 3  # the header wins
    assert wait_from_429(None, b'{"error": "too many requests"}') is None


def test_error_messages_from_ozon_bodies() -> None:
    assert error_message(b'{"error": "report not found"}') == "report not found"
    assert error_message(b'{"message": "bad", "code": 3}') == "bad"
    assert error_message(b"plain text") == "plain text"


def test_limit_names() -> None:
    assert "daily" in limit_name("daily request limit exceeded: 5 requests per day", 3600)
    assert "one report" in limit_name("report x is still in progress; only one report", 1)
    assert "daily" in limit_name("", 20_000)
    assert "rate" in limit_name("slow down", 10)
