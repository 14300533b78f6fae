"""Lifecycle events: one structured log line each, counters alongside, never a token."""

from __future__ import annotations

import logging

import pytest
from auth_support import grant, lifecycle, refused, unavailable
from fake_clock import FakeClock

from ozon_mcp.adapters.auth.events import LOGGER_NAME, AuthEvents
from ozon_mcp.adapters.auth.stats import AuthCounters
from ozon_mcp.domain import RetryScheduled, Setting, StartFetch, TokenLifecycle, UseToken

RAW = "raw-token-that-must-never-be-logged"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    return caplog


def _events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [getattr(record, "auth_event", "") for record in caplog.records]


def _record(caplog: pytest.LogCaptureFixture, event: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if getattr(r, "auth_event", "") == event]
    return record


def _fetch(states: TokenLifecycle) -> StartFetch:
    decision = states.need_token()
    assert isinstance(decision, StartFetch)
    return decision


def test_a_first_token_logs_requested_then_acquired_with_its_schedule(
    logs: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    states, counters = lifecycle(clock), AuthCounters()
    events = AuthEvents(clock, counters)
    ticket = _fetch(states).ticket
    events.fetch_started(ticket)
    events.fetch_settled(states.token_received(ticket, grant(RAW)), states.current_token())
    assert _events(logs) == ["token_requested", "token_acquired"]
    acquired = _record(logs, "token_acquired")
    token = states.current_token()
    assert token is not None
    assert acquired.fingerprint == token.fingerprint  # type: ignore[attr-defined]
    assert acquired.expires_in == 600.0  # type: ignore[attr-defined]
    assert acquired.refresh_in == 540.0  # type: ignore[attr-defined]
    assert "refresh in 540 s" in acquired.getMessage()
    assert (counters.token_requests, counters.successes, counters.refreshes) == (1, 1, 0)
    assert all(RAW not in repr(record.__dict__) for record in logs.records)


def test_a_missing_expires_in_logs_a_lifetime_warning(logs: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    states = lifecycle(clock)
    events = AuthEvents(clock, AuthCounters())
    ticket = _fetch(states).ticket
    events.fetch_settled(states.token_received(ticket, grant(RAW, None)), None)
    warning = _record(logs, "lifetime_warning")
    assert warning.levelno == logging.WARNING
    assert "expires_in missing" in warning.getMessage()


def test_a_refresh_is_logged_as_refreshed_and_counted(logs: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    states, counters = lifecycle(clock), AuthCounters()
    events = AuthEvents(clock, counters)
    states.token_received(_fetch(states).ticket, grant("first"))
    clock.advance(545)
    decision = states.need_token()
    assert isinstance(decision, UseToken)
    assert decision.refresh is not None
    events.fetch_settled(states.token_received(decision.refresh, grant(RAW)), None)
    assert _events(logs) == ["token_refreshed"]
    assert counters.refreshes == 1


def test_a_failed_attempt_logs_kind_status_and_backoff(logs: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    states, counters = lifecycle(clock), AuthCounters()
    events = AuthEvents(clock, counters)
    outcome = states.fetch_failed(_fetch(states).ticket, unavailable(503))
    events.fetch_settled(outcome, None)
    record = _record(logs, "token_request_failed")
    assert record.levelno == logging.WARNING
    assert record.kind == "transient"  # type: ignore[attr-defined]
    assert record.http_status == 503  # type: ignore[attr-defined]
    assert record.attempt == 1  # type: ignore[attr-defined]
    assert isinstance(outcome, RetryScheduled)
    assert record.delay == pytest.approx(outcome.delay, abs=1e-3)  # type: ignore[attr-defined]
    assert "next attempt in" in record.getMessage()
    assert counters.failures == 1


def test_a_failed_refresh_says_which_token_is_still_served(logs: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    states = lifecycle(clock)
    events = AuthEvents(clock, AuthCounters())
    states.token_received(_fetch(states).ticket, grant("first"))
    clock.advance(545)
    decision = states.need_token()
    assert isinstance(decision, UseToken)
    assert decision.refresh is not None
    outcome = states.fetch_failed(decision.refresh, unavailable(502))
    events.fetch_settled(outcome, states.current_token())
    assert "still serving tok-" in _record(logs, "token_request_failed").getMessage()


def test_a_permanent_failure_says_what_to_fix(logs: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    states = lifecycle(clock)
    names = {Setting.CLIENT_ID: "MY_ID", Setting.CLIENT_SECRET: "MY_SECRET"}
    events = AuthEvents(clock, AuthCounters(), names=names)
    events.fetch_settled(states.fetch_failed(_fetch(states).ticket, refused()), None)
    record = _record(logs, "token_permanent_failure")
    assert record.levelno == logging.ERROR
    assert "check MY_ID and MY_SECRET" in record.getMessage()  # the edge's words
    assert record.cooldown == 30.0  # type: ignore[attr-defined]


def test_a_spent_cycle_logs_the_pause_before_the_next_attempt(
    logs: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    states = TokenLifecycle(clock, _Zero())
    events = AuthEvents(clock, AuthCounters())
    for _ in range(4):
        events.fetch_settled(states.fetch_failed(_fetch(states).ticket, unavailable()), None)
    last = [r for r in logs.records if getattr(r, "auth_event", "") == "token_request_failed"][-1]
    assert last.levelno == logging.ERROR
    assert "no new attempt for 5 s" in last.getMessage()


def test_only_effective_invalidations_are_logged_and_both_are_counted(
    logs: pytest.LogCaptureFixture,
) -> None:
    counters = AuthCounters()
    events = AuthEvents(FakeClock(), counters)
    events.invalidated("tok-aaaa", effective=True, reason="HTTP 401")
    events.invalidated("tok-aaaa", effective=False, reason="HTTP 401")
    assert _events(logs) == ["token_invalidated"]
    assert (counters.invalidations, counters.ignored_invalidations) == (1, 1)


def test_a_refresh_schedule_is_logged_once_per_token(logs: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    states = lifecycle(clock)
    events = AuthEvents(clock, AuthCounters())
    states.token_received(_fetch(states).ticket, grant(RAW))
    token = states.current_token()
    assert token is not None
    events.refresh_scheduled(token)
    events.refresh_scheduled(token)
    assert _events(logs) == ["refresh_scheduled"]
    assert _record(logs, "refresh_scheduled").refresh_in == 540.0  # type: ignore[attr-defined]


class _Zero:
    def random(self) -> float:
        return 0.0
