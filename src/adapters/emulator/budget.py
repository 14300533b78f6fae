"""The daily request budget per account (spec, tag Limits: 100,000 requests a day).

Days are counted in Moscow time, as Ozon groups its statistics; the budget renews at midnight.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .clock import MOSCOW, EmulatorClock
from .config import validate_daily_budget


@dataclass(frozen=True)
class BudgetDecision:
    """Whether a call may proceed and, if not, when the budget renews."""

    allowed: bool
    used: int
    limit: int
    retry_after: int = 0  # whole seconds until the next Moscow midnight when refused


class DailyBudget:
    """Counts API calls per account and day; thread-safe."""

    def __init__(self, clock: EmulatorClock, limit: int) -> None:
        validate_daily_budget(limit)
        self._clock = clock
        self._lock = threading.Lock()
        self._limit = limit
        self._day: date | None = None
        self._used: dict[str, int] = {}

    def spend(self, account: str) -> BudgetDecision:
        """Count one call for `account`, or refuse it when today's budget is used up."""
        now = datetime.fromtimestamp(self._clock.wall(), MOSCOW)
        with self._lock:
            if now.date() != self._day:
                self._day = now.date()
                self._used.clear()
            used = self._used.get(account, 0)
            if used >= self._limit:
                midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
                wait = (midnight.replace(tzinfo=MOSCOW) - now).total_seconds()
                return BudgetDecision(False, used, self._limit, max(1, math.ceil(wait)))
            self._used[account] = used + 1
            return BudgetDecision(True, used + 1, self._limit)

    def set_limit(self, limit: int) -> None:
        """Change the daily budget; calls already counted today stay counted."""
        validate_daily_budget(limit)
        with self._lock:
            self._limit = limit

    def reset(self) -> None:
        """Forget today's counts (as if a new day had started)."""
        with self._lock:
            self._used.clear()

    def snapshot(self) -> dict[str, int]:
        """Calls counted today per account."""
        with self._lock:
            return dict(self._used)

    @property
    def limit(self) -> int:
        """The current daily budget per account."""
        with self._lock:
            return self._limit
