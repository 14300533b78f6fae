"""`TokenLifecycle.abandon_fetch` (added for the adapters): a cancelled fetch settles cleanly."""

from __future__ import annotations

import random

import pytest
from fake_clock import FakeClock
from pydantic import SecretStr

from ozon_mcp.domain import (
    LifecycleProtocolError,
    LifecycleState,
    StartFetch,
    TokenGrant,
    TokenLifecycle,
    UseToken,
)
from ozon_mcp.domain.lifecycle import FetchTicket


def _started(lifecycle: TokenLifecycle) -> FetchTicket:
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    return decision.ticket


def test_an_abandoned_fetch_lets_the_next_caller_start_without_spending_an_attempt() -> None:
    lifecycle = TokenLifecycle(FakeClock(), random.Random(1))
    ticket = _started(lifecycle)
    lifecycle.abandon_fetch(ticket)
    assert lifecycle.state is LifecycleState.EMPTY
    assert lifecycle.snapshot().attempt == 0
    assert lifecycle.last_error is None
    again = _started(lifecycle)
    assert again.attempt == 1
    assert again.number == ticket.number + 1


def test_a_valid_token_is_kept_when_its_refresh_is_abandoned() -> None:
    clock = FakeClock()
    lifecycle = TokenLifecycle(clock, random.Random(1))
    lifecycle.token_received(_started(lifecycle), TokenGrant(SecretStr("t"), "Bearer", 600))
    clock.advance(560)
    decision = lifecycle.need_token()
    assert isinstance(decision, UseToken)
    assert decision.refresh is not None
    lifecycle.abandon_fetch(decision.refresh)
    assert lifecycle.state is LifecycleState.VALID
    assert lifecycle.current_token() is decision.token


def test_only_the_fetch_in_flight_can_be_abandoned() -> None:
    lifecycle = TokenLifecycle(FakeClock(), random.Random(1))
    ticket = _started(lifecycle)
    lifecycle.abandon_fetch(ticket)
    with pytest.raises(LifecycleProtocolError):
        lifecycle.abandon_fetch(ticket)
