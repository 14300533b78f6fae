"""RetryStory.note: what the caller reads about a 429/503 that ozon-mcp handed back."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ozon_mcp.adapters.mcp.upstream_retry import RetryStory
from ozon_mcp.domain.api_retry import GiveUp

AT = datetime(2026, 11, 30, 7, 0, 0, 250_000, tzinfo=UTC)
STORY = RetryStory(
    method="GET",
    attempts=3,
    elapsed=2.04,
    retry_after=1.0,
    answered_at=AT,
    gave_up=GiveUp.ATTEMPTS_USED,
    max_total_wait=10.0,
)


def test_attempts_used_says_how_often_and_when_to_retry() -> None:
    assert STORY.note(503) == (
        "\n[HTTP 503: ozon-mcp sent the request 3 times over 2.0 s; "
        "retry after 1 s, at 2026-11-30T07:00:01+00:00 (the API's Retry-After)]"
    )


def test_a_retry_after_past_the_budget_names_the_budget_and_the_time() -> None:
    story = replace(STORY, attempts=1, retry_after=29.2, gave_up=GiveUp.PAST_BUDGET)
    note = story.note(429)
    assert "HTTP 429: not waited for: longer than ozon-mcp waits within one call (10 s)" in note
    assert "retry after 30 s, at 2026-11-30T07:00:30+00:00" in note


def test_a_post_says_why_it_was_not_retried() -> None:
    story = replace(STORY, method="POST", attempts=1, gave_up=GiveUp.NOT_IDEMPOTENT)
    assert "not retried: a POST may already have taken effect" in story.note(503)


def test_a_spent_daily_budget_is_named() -> None:
    story = replace(STORY, gave_up=GiveUp.BUDGET_USED)
    assert "OZON_MCP_DAILY_REQUEST_BUDGET" in story.note(429)


@pytest.mark.parametrize("retry_after", [None, 0.0])
def test_without_a_retry_after_the_note_says_so(retry_after: float | None) -> None:
    note = replace(STORY, retry_after=retry_after).note(503)
    assert "did not say when to retry (no Retry-After): try again shortly" in note


def test_an_endless_retry_after_is_not_turned_into_a_date() -> None:
    note = replace(STORY, retry_after=math.inf, gave_up=GiveUp.PAST_BUDGET).note(429)
    assert "after a very long time" in note


def test_another_status_after_retries_says_it_is_the_last_answer() -> None:
    assert (
        replace(STORY, attempts=2)
        .note(200)
        .startswith("\n[ozon-mcp sent this request 2 times over 2.0 s")
    )
    assert replace(STORY, attempts=1, gave_up=GiveUp.NOT_RETRIABLE_STATUS).note(500) == ""
