"""The `Clock` port: monotonic time for every expiry decision, wall time for display only.

A wall-clock jump (NTP step, manual change, suspend) must never expire or resurrect a token, so
nothing in the lifecycle compares wall times.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where the domain gets time from; injected so that tests control it."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; only differences are meaningful."""
        ...

    def now(self) -> datetime:
        """The current wall time (UTC), for display and for converting absolute dates."""
        ...


class SystemClock:
    """The real clock: `time.monotonic` and the system's UTC wall time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)
