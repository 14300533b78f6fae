"""The threaded SyncTokenProvider acts on the same lifecycle decisions under one lock."""

from __future__ import annotations

import threading

import pytest
from auth_support import KEY, ScriptedEndpoint, lifecycle, refused, sync_provider, unavailable
from fake_clock import FakeClock

from ozon_mcp.adapters.auth import InMemoryTokenCache, ProviderClosedError, SyncTokenProvider
from ozon_mcp.domain import (
    InvalidCredentialsError,
    RetryPolicy,
    TokenEndpointUnavailableError,
)

NO_WAIT = RetryPolicy(base=0.0, max_retries=2)


def test_a_token_is_requested_once_and_then_served_from_memory() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = sync_provider(endpoint, clock)
    assert provider.get_token().value == "token-1"
    assert provider.get_token().value == "token-1"
    stats = provider.stats()
    assert (stats.token_requests, stats.waits, stats.cache_hits) == (1, 1, 1)
    assert endpoint.calls == 1


def test_threads_arriving_during_a_request_share_it() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    endpoint.sync_gate = threading.Event()
    provider = sync_provider(endpoint, clock)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(provider.get_token().value))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    assert endpoint.entered.wait(timeout=10)
    endpoint.sync_gate.set()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["token-1"] * 20
    assert endpoint.calls == 1


def test_transient_failures_are_retried_by_the_lifecycle_schedule() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint([unavailable(), unavailable()])
    provider = sync_provider(endpoint, clock, retry=NO_WAIT)
    assert provider.get_token().value == "token-3"
    assert provider.stats().failures == 2


def test_a_spent_cycle_fails_with_the_last_error() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint([unavailable()] * 3)
    provider = sync_provider(endpoint, clock, retry=NO_WAIT)
    with pytest.raises(TokenEndpointUnavailableError, match="after 3 attempt"):
        provider.get_token()
    with pytest.raises(TokenEndpointUnavailableError):
        provider.get_token()  # cool-down: answered from memory
    assert endpoint.calls == 3


def test_a_permanent_failure_is_not_retried() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint([refused()])
    provider = sync_provider(endpoint, clock)
    for _ in range(2):
        with pytest.raises(InvalidCredentialsError, match="client_secret"):
            provider.get_token()
    assert endpoint.calls == 1


def test_invalidation_acts_only_on_the_current_token() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = sync_provider(endpoint, clock)
    first = provider.get_token()
    assert provider.invalidate(first.fingerprint) is True
    assert provider.invalidate(first) is False
    assert provider.get_token().value == "token-2"
    provider.accepted("token-2")
    assert provider.invalidate("token-2") is True
    assert endpoint.calls == 2


def test_an_endpoint_that_raises_counts_as_a_transient_failure() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint([ValueError("bug")])
    provider = sync_provider(endpoint, clock, retry=NO_WAIT)
    assert provider.get_token().value == "token-2"
    assert provider.stats().failures == 1


def test_a_due_refresh_runs_in_another_thread_while_the_old_token_is_served() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = sync_provider(endpoint, clock)
    first = provider.get_token()
    clock.advance(first.refresh_at - clock.monotonic() + 1)
    endpoint.entered.clear()
    endpoint.sync_gate = threading.Event()
    assert provider.get_token().value == "token-1"
    assert endpoint.entered.wait(timeout=10)
    endpoint.sync_gate.set()
    provider.close()  # waits for nothing: the refresh thread is not the refresher
    with pytest.raises(ProviderClosedError):
        provider.get_token()


def test_close_stops_the_refresher_thread() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint()
    provider = sync_provider(endpoint, clock)
    provider.start()
    assert endpoint.entered.wait(timeout=10)
    provider.close()
    alive = [t for t in threading.enumerate() if t.name == "ozon-mcp token refresher"]
    assert alive == []
    assert provider.closed


def test_waits_pass_through_the_injected_wait_on_the_injected_clock() -> None:
    clock = FakeClock()
    endpoint = ScriptedEndpoint([unavailable()])
    waited: list[float | None] = []

    def wait(condition: threading.Condition, timeout: float | None) -> bool:
        waited.append(timeout)  # a real wait would take seconds here
        if timeout is not None:
            clock.advance(timeout)
        return False

    provider = SyncTokenProvider(
        endpoint,
        lifecycle(clock, retry=RetryPolicy(base=5.0, cap=5.0)),
        InMemoryTokenCache(),
        KEY,
        clock,
        proactive_refresh=False,
        wait=wait,
    )
    started = clock.monotonic()
    assert provider.get_token().value == "token-2"
    assert len(waited) == 1
    assert waited[0] is not None
    assert 0 < waited[0] <= 5.0  # the backoff, jittered, waited on the injected clock
    assert clock.monotonic() - started == waited[0]
    assert endpoint.calls == 2
