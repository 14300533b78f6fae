"""How long to wait between status checks, and what a 429 answer says about the wait.

Polling starts at one second and doubles up to a cap: a report that takes a minute costs about
ten status checks instead of sixty. When Ozon says how long to wait (Retry-After, or a number
of seconds in a 429 body) the wait is at least that long.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ozon_mcp.domain.retry import parse_retry_after

# A wait beyond this is not worth sitting out inside one call: it is reported as a limit.
LONG_WAIT_SECONDS = 120.0

_SECONDS_IN_TEXT = re.compile(
    r"(?:retry|через|after|wait)\D{0,20}?(\d+(?:\.\d+)?)\s*(?:s\b|sec|seconds|сек)", re.I
)


@dataclass(frozen=True)
class PollSchedule:
    """Waits between status checks: `initial`, doubling, never above `cap` (seconds)."""

    initial: float = 1.0
    cap: float = 10.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.cap < self.initial or self.factor < 1:
            raise ValueError("need 0 < initial <= cap and factor >= 1")

    def delay(self, attempt: int, server_hint: float | None = None) -> float:
        """The wait before check number `attempt` (0-based), at least `server_hint` if given."""
        own = min(self.cap, self.initial * self.factor ** min(attempt, 64))
        return max(own, server_hint or 0.0)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if unusable.

    The domain's parser, plus one rule of its own: an infinite wait (an absurdly long delta)
    is unusable here too, since the engine would sleep on it or turn it into a reset time.
    """
    seconds = parse_retry_after(value, now or datetime.now(UTC))
    if seconds is None or not math.isfinite(seconds):
        return None
    return seconds


def error_message(body: bytes) -> str:
    """Ozon's error text from an error body (`{"error": "..."}`, `{"message": ...}` or text)."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        document = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(document, dict):
        for key in ("error", "message", "detail", "title"):
            value = document.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"]).strip()[:500]
    return text[:500]


def wait_from_429(header: str | None, body: bytes, *, now: datetime | None = None) -> float | None:
    """How long a 429 asks to wait: Retry-After first, else seconds named in the body."""
    seconds = retry_after_seconds(header, now=now)
    if seconds is not None:
        return seconds
    text = body.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("retry_after", "retryAfter", "retry_after_seconds"):
            value = document.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                return float(value)
    found = _SECONDS_IN_TEXT.search(text)
    return float(found.group(1)) if found else None


def limit_name(message: str, wait: float | None) -> str:
    """Which of Ozon's limits a 429 is about, in words a user can act on."""
    lowered = message.lower()
    if any(word in lowered for word in ("daily", "per day", "сутк", "суточ", "в день")):
        return "the daily request limit (100,000 requests a day per account)"
    if any(word in lowered for word in ("in progress", "one report", "одновременно", "очеред")):
        return "one report in progress per account"
    if wait is not None and wait >= 3600:
        return "the daily request limit (100,000 requests a day per account)"
    return "Ozon's request rate limit"
