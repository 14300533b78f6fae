"""Retry policy for the token endpoint: exponential backoff with full jitter, and Retry-After.

Rules (all times in seconds):
- the n-th retry of a cycle waits a random time in [0, min(cap, base * factor**(n-1))];
- a Retry-After from the server wins when it is larger, capped at `retry_after_cap`;
- a cycle has `max_retries + 1` attempts; after that, callers get the last error at once for
  `exhausted_cooldown`, and permanent errors are answered from memory for `permanent_cooldown`;
- a token the API rejects (401) right after it replaced a rejected one is not replaced for
  `rejection_base * 2**(n-1)` seconds (n-th time in a row), capped at `rejection_cap`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol


class RandomSource(Protocol):
    """The part of `random.Random` the policy needs; injectable for reproducible tests."""

    def random(self) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a failing token endpoint."""

    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    max_retries: int = 3
    retry_after_cap: float = 120.0
    exhausted_cooldown: float = 5.0
    permanent_cooldown: float = 30.0
    rejection_base: float = 5.0
    rejection_cap: float = 300.0

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0 or self.factor < 1:
            raise ValueError("backoff base and cap must be >= 0 and factor >= 1")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.retry_after_cap < 0 or self.exhausted_cooldown < 0 or self.permanent_cooldown < 0:
            raise ValueError("cool-downs and the Retry-After cap must be >= 0")
        if self.rejection_base < 0 or self.rejection_cap < 0:
            raise ValueError("the rejection backoff base and cap must be >= 0")

    @property
    def max_attempts(self) -> int:
        """Attempts in one cycle: the first one plus the retries."""
        return self.max_retries + 1

    def ceiling(self, retry_number: int) -> float:
        """The largest jittered delay before retry number `retry_number` (1-based)."""
        exponent = max(retry_number - 1, 0)
        # Guard the power against overflow for absurd retry counts.
        if exponent > 64:
            return self.cap
        return min(self.cap, self.base * self.factor**exponent)

    def rejection_delay(self, rejections: int) -> float:
        """How long a token the API keeps rejecting is not replaced: base * 2**(n-1), capped.

        `rejections` counts tokens in a row that the API refused right after they replaced a
        refused one; without this pause every tool call would fetch a token the API refuses.
        """
        exponent = max(rejections - 1, 0)
        if exponent > 64:
            return self.rejection_cap
        return min(self.rejection_cap, self.rejection_base * 2.0**exponent)

    def delay(self, retry_number: int, rng: RandomSource, retry_after: float | None) -> float:
        """Seconds to wait before retry `retry_number`, honouring a server's Retry-After."""
        jittered = rng.random() * self.ceiling(retry_number)
        honoured = self.honoured_retry_after(retry_after)
        return max(jittered, honoured)

    def honoured_retry_after(self, retry_after: float | None) -> float:
        """The part of a Retry-After we obey: non-negative and capped."""
        # +inf ("retry after a very long time") is capped like any large value; NaN is unusable.
        if retry_after is None or math.isnan(retry_after) or retry_after <= 0:
            return 0.0
        return min(retry_after, self.retry_after_cap)


def parse_retry_after(value: str | None, wall_now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None when unusable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    # ASCII only: str.isdigit() also accepts "²" and other digits int() refuses; float() has no
    # digit limit and turns an absurdly long delta into inf, which the policy caps.
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - wall_now).total_seconds())
