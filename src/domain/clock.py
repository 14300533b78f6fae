"""The `Clock` port: monotonic time for every expiry decision, wall time for display only.

A wall-clock jump (NTP step, manual change, suspend) must never expire or resurrect a token, so
nothing in the lifecycle compares wall times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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


@dataclass
class FakeClock:
    """A clock that moves only when told to; monotonic and wall time can be moved independently."""

    monotonic_seconds: float = 1000.0
    wall: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def monotonic(self) -> float:
        return self.monotonic_seconds

    def now(self) -> datetime:
        return self.wall

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass on both clocks."""
        if seconds < 0:
            raise ValueError("time only moves forward on the monotonic clock")
        self.monotonic_seconds += seconds
        self.wall += timedelta(seconds=seconds)

    def jump_wall(self, seconds: float) -> None:
        """Step the wall clock alone (forward or back), as NTP or a user might."""
        self.wall += timedelta(seconds=seconds)
