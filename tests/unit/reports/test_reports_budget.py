"""The daily request budget: counted per Moscow day, warned at 80 %, refused when used up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from ozon_mcp.adapters.mcp.request_budget import RequestBudget


class _Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now


def test_budget_warns_at_80_percent_and_refuses_when_used_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = _Clock(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))  # 13:00 in Moscow
    budget = RequestBudget(10, wall_clock=clock)
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.budget"):
        assert [budget.spend() for _ in range(7)] == [None] * 7
        assert not caplog.records
        assert budget.spend() is None  # the 8th call: 80 %
        assert len(caplog.records) == 1
        assert "8 of today's 10" in caplog.text
        assert budget.spend() is None
        assert budget.spend() is None
        assert len(caplog.records) == 1  # warned once a day
    refusal = budget.spend()
    assert refusal is not None
    assert refusal.startswith(
        "daily request budget exhausted; resets at 2026-03-02T00:00:00+03:00 (Moscow midnight)"
    )
    assert budget.status() == {
        "daily_requests_used": 10,
        "daily_request_budget": 10,
        "daily_requests_remaining": 0,
        "daily_budget_resets_at": "2026-03-02T00:00:00+03:00",
    }


def test_budget_renews_at_moscow_midnight() -> None:
    clock = _Clock(datetime(2026, 3, 1, 20, 59, 59, tzinfo=UTC))  # 23:59:59 in Moscow
    budget = RequestBudget(1, wall_clock=clock)
    assert budget.spend() is None
    assert budget.spend() is not None
    clock.now += 1  # midnight in Moscow, 21:00 UTC
    assert budget.spend() is None
    assert budget.status()["daily_requests_used"] == 1


def test_budget_must_allow_a_request() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RequestBudget(0)
