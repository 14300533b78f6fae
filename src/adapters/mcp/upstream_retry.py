"""What the caller is told about the retries of an upstream call (see domain.api_retry)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from ozon_mcp.domain.api_retry import RETRIED_STATUSES, GiveUp


@dataclass(frozen=True)
class RetryStory:
    """How many attempts an upstream call took and why the last answer was handed back."""

    method: str
    attempts: int
    elapsed: float  # seconds from the first attempt's start to the last answer
    retry_after: float | None  # the last answer's Retry-After in seconds, if usable
    answered_at: datetime  # wall-clock time of the last answer, for "retry at ..."
    gave_up: GiveUp | None
    max_total_wait: float  # the retry budget of one call, in seconds

    def note(self, status: int) -> str:
        """A line for the caller: when to try again after a 429/503 that was handed back, or
        how many attempts the answer took (empty when there is nothing to say)."""
        if status not in RETRIED_STATUSES:
            if self.attempts > 1:
                return (
                    f"\n[ozon-mcp sent this request {self.attempts} times over "
                    f"{self.elapsed:.1f} s (429/503 before); this is the last answer]"
                )
            return ""
        when = self._when()
        if self.gave_up is GiveUp.NOT_IDEMPOTENT:
            why = f"not retried: a {self.method} may already have taken effect"
        elif self.gave_up is GiveUp.PAST_BUDGET:
            why = (
                f"not waited for: longer than ozon-mcp waits within one call "
                f"({self.max_total_wait:g} s)"
            )
        elif self.gave_up is GiveUp.BUDGET_USED:
            why = "not retried: the daily request budget is used up (OZON_MCP_DAILY_REQUEST_BUDGET)"
        else:
            times = "once" if self.attempts == 1 else f"{self.attempts} times"
            why = f"ozon-mcp sent the request {times} over {self.elapsed:.1f} s"
        return f"\n[HTTP {status}: {why}; {when}]"

    def _when(self) -> str:
        seconds = self.retry_after
        if seconds is None or seconds <= 0:
            return "the API did not say when to retry (no Retry-After): try again shortly"
        if math.isinf(seconds) or seconds > 10 * 365 * 86400:
            return "the API asks to retry after a very long time (Retry-After)"
        whole = math.ceil(seconds)
        at = (self.answered_at + timedelta(seconds=whole)).replace(microsecond=0)
        return f"retry after {whole} s, at {at.isoformat()} (the API's Retry-After)"
