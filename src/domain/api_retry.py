"""When to retry an API answer: 429 and 503 on idempotent methods, within a bounded budget.

Rules (all times in seconds, `elapsed` counted from when the call's first attempt started):
- only 429 (Too Many Requests) and 503 (Service Unavailable) are retried: the two answers that
  say "the request was not processed, try later"; any other status is the caller's answer;
- only idempotent methods (RFC 9110 9.2.2: GET, HEAD, OPTIONS, PUT, DELETE, and TRACE, which an
  API tool never uses) are retried; a POST or PATCH may have taken effect, so it is never repeated;
- at most `max_retries` retries, and a retry only when it starts within `max_total_wait` of the
  first attempt: a tool call never spends more than that waiting;
- a Retry-After from the server is obeyed (never retried sooner); one beyond the budget is not
  waited out at all: the caller gets the answer at once, with the Retry-After to act on;
- without a Retry-After, the n-th retry waits a random time in [0, min(cap, base * 2**(n-1))]
  (full jitter, so that many callers spread out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from ozon_mcp.domain.retry import RandomSource

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRIED_STATUSES = frozenset({429, 503})


class GiveUp(Enum):
    """Why an answer is handed to the caller instead of being retried."""

    NOT_RETRIABLE_STATUS = "not-retriable-status"
    NOT_IDEMPOTENT = "not-idempotent"
    ATTEMPTS_USED = "attempts-used"
    PAST_BUDGET = "past-budget"
    BUDGET_USED = "daily-budget-used"  # decided by the caller: the daily request budget is spent


@dataclass(frozen=True)
class ApiRetryDecision:
    """Retry after `delay` seconds, or (delay None) give up for the reason `gave_up`."""

    delay: float | None
    gave_up: GiveUp | None = None

    @property
    def retry(self) -> bool:
        return self.delay is not None


@dataclass(frozen=True)
class ApiRetryPolicy:
    """How often and how long an API answer of 429/503 is retried for one tool call."""

    max_retries: int = 2
    max_total_wait: float = 10.0
    base: float = 0.5
    cap: float = 4.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if not self.max_total_wait >= 0 or not self.base >= 0 or not self.cap >= 0:
            raise ValueError("max_total_wait, base and cap must be >= 0")

    @property
    def max_attempts(self) -> int:
        """Requests one call may send: the first one plus the retries."""
        return self.max_retries + 1

    def ceiling(self, retry_number: int) -> float:
        """The largest jittered wait before retry `retry_number` (1-based) without Retry-After."""
        exponent = min(max(retry_number - 1, 0), 64)  # no overflow for absurd counts
        return min(self.cap, self.base * 2.0**exponent)

    def decide(
        self,
        *,
        method: str,
        status: int,
        retry_after: float | None,
        attempts: int,
        elapsed: float,
        rng: RandomSource,
    ) -> ApiRetryDecision:
        """Whether to retry after `attempts` requests of this call answered, the last with
        `status` (and `retry_after` seconds from its Retry-After, None when absent or
        unusable), `elapsed` seconds after the first attempt started."""
        if status not in RETRIED_STATUSES:
            return ApiRetryDecision(None, GiveUp.NOT_RETRIABLE_STATUS)
        if method.upper() not in IDEMPOTENT_METHODS:
            return ApiRetryDecision(None, GiveUp.NOT_IDEMPOTENT)
        if attempts >= self.max_attempts:
            return ApiRetryDecision(None, GiveUp.ATTEMPTS_USED)
        asked = _usable(retry_after)
        # Draw even when a Retry-After decides, so the same random stream gives the same waits.
        jittered = rng.random() * self.ceiling(attempts)
        delay = max(asked, jittered)
        if max(elapsed, 0.0) + delay > self.max_total_wait:
            return ApiRetryDecision(None, GiveUp.PAST_BUDGET)
        return ApiRetryDecision(delay)


def _usable(retry_after: float | None) -> float:
    """The Retry-After to obey: NaN and negatives mean none; +inf stays (past any budget)."""
    if retry_after is None or math.isnan(retry_after) or retry_after <= 0:
        return 0.0
    return retry_after
