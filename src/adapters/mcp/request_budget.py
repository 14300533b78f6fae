"""The daily request budget: Ozon counts 100,000 API requests a day per account.

The upstream client asks `spend()` before every call. At 80 % the log warns once a day; when
the budget is used up, calls are refused here with a clear message ("daily request budget
exhausted; resets at ...") instead of letting Ozon answer 429. Days are counted in Moscow time,
as Ozon's are, so the budget renews at Moscow midnight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

log = logging.getLogger("ozon_mcp.budget")

MOSCOW = timezone(timedelta(hours=3), "MSK")
DEFAULT_DAILY_BUDGET = 100_000
WARN_RATIO = 0.8


class RequestBudget:
    """Counts the process's upstream calls per Moscow day and refuses them past the limit."""

    def __init__(
        self,
        limit: int = DEFAULT_DAILY_BUDGET,
        *,
        wall_clock: Callable[[], float] = time.time,
        warn_ratio: float = WARN_RATIO,
    ) -> None:
        if limit < 1:
            raise ValueError(f"the daily request budget must be at least 1, got {limit}")
        self._limit = limit
        self._wall_clock = wall_clock
        self._warn_at = max(1, int(limit * warn_ratio))
        self._day: date | None = None
        self._used = 0
        self._warned = False

    @property
    def limit(self) -> int:
        return self._limit

    def spend(self) -> str | None:
        """Count one call; returns None when it may go, else the refusal message."""
        now = self._now()
        self._roll(now)
        if self._used >= self._limit:
            return (
                f"daily request budget exhausted; resets at {self._reset_at(now).isoformat()} "
                f"(Moscow midnight): {self._used} of {self._limit} requests used today "
                "(OZON_MCP_DAILY_REQUEST_BUDGET)"
            )
        self._used += 1
        if self._used >= self._warn_at and not self._warned:
            self._warned = True
            log.warning(
                "%d of today's %d upstream requests used (%d %%); the budget resets at %s",
                self._used,
                self._limit,
                round(100 * self._used / self._limit),
                self._reset_at(now).isoformat(),
            )
        return None

    def status(self) -> dict[str, Any]:
        """What `auth_status` shows: used, limit, remaining and when the budget renews."""
        now = self._now()
        self._roll(now)
        return {
            "daily_requests_used": self._used,
            "daily_request_budget": self._limit,
            "daily_requests_remaining": max(0, self._limit - self._used),
            "daily_budget_resets_at": self._reset_at(now).isoformat(),
        }

    def figures(self) -> dict[str, float]:
        """The `/metrics` view (a metrics `BudgetSource`): requests used today and the limit."""
        self._roll(self._now())
        return {"used": self._used, "limit": self._limit}

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), MOSCOW)

    def _roll(self, now: datetime) -> None:
        if now.date() != self._day:
            self._day = now.date()
            self._used = 0
            self._warned = False

    @staticmethod
    def _reset_at(now: datetime) -> datetime:
        return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), MOSCOW)
