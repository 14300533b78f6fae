"""The emulator's notion of time: the real clocks plus an offset tests can advance.

Advancing the clock (instead of sleeping) lets a test expire tokens, finish reports and roll the
daily budget over to the next day instantly. Wall and monotonic time move together. A test that
drives the client's time as well freezes the clock, so that only its advances move it and the
times the emulator records match the client's exactly.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

MOSCOW = timezone(timedelta(hours=3), "MSK")  # Ozon counts days in Moscow time


class EmulatorClock:
    """Wall and monotonic time shifted by an offset; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen: tuple[float, float] | None = None  # (monotonic, wall) when it stopped

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by `seconds` (must not be negative)."""
        if seconds < 0:
            raise ValueError(f"the emulator clock only moves forward; got {seconds} seconds")
        with self._lock:
            self._offset += seconds

    def freeze(self) -> None:
        """Stop the clock where it is: from now on only `advance` moves it."""
        with self._lock:
            if self._frozen is None:
                self._frozen = (time.monotonic(), time.time())

    def rewind(self) -> None:
        """Back to real, running time; only for `EmulatorState.reset`, which also forgets
        everything that was stamped with the advanced clock (tokens, reports, the budget day)."""
        with self._lock:
            self._offset = 0.0
            self._frozen = None

    @property
    def offset(self) -> float:
        """How far the clock has been advanced in total, in seconds."""
        with self._lock:
            return self._offset

    def monotonic(self) -> float:
        """Monotonic seconds, for deadlines (token expiry, report readiness)."""
        with self._lock:
            base = time.monotonic() if self._frozen is None else self._frozen[0]
            return base + self._offset

    def wall(self) -> float:
        """Seconds since the epoch, for JWT claims and timestamps shown to clients."""
        with self._lock:
            base = time.time() if self._frozen is None else self._frozen[1]
            return base + self._offset

    def utc_now(self) -> datetime:
        """The current wall time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.wall(), UTC)


def rfc3339(moment: datetime) -> str:
    """Format a datetime the way Ozon does (`2020-03-23T19:30:58.264653Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
