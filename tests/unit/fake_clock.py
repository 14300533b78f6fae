"""`FakeClock`: the test double of the domain's `Clock` port (time moves only when told to).

It lives with the tests, not in the shipped domain; `tests/unit/conftest.py` puts this folder on
the import path, so any unit test imports it as `from fake_clock import FakeClock`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


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
