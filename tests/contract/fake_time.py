"""Time that passes only when a contract test says so, shared by the token provider and the
emulator, so a test that waits for a refresh, an expiry or a cool-down advances time instead of
sleeping through it.

    fake = FakeTime(emulator)                      # the emulator's clock moves with it
    auth = make_auth(emulator, **fake.injected())  # clock=, sleep= (asyncio), wait= (threads)
    waited = await fake.advance_to_next_wake()     # the earliest pending sleep ends now

Only time is fake: HTTP still runs over loopback in real time. The provider computes every
deadline from `monotonic()` and waits through `sleep` / `wait`, which return when `advance`
reaches their deadline (a thread also returns when its condition is notified, as it would with
a real timeout). The linked emulators' clocks are frozen (`control.freeze_clock()`, undone by
`control.reset()`) and advanced with this one, so every time they record moves with fake time
only: their gaps are the fake gaps, exactly.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from ozon_mcp.adapters.emulator import EmulatorHandle

_THREAD_POLL = 0.005  # real seconds: how often a waiting thread looks at the fake clock
_DRIVE_POLL = 0.01  # real seconds a driven call may work before time jumps to the next wake
T = TypeVar("T")


@dataclass
class _Sleeper:
    deadline: float
    wake: Callable[[], None] = field(default=lambda: None)


class FakeTime:
    """A `Clock` with the matching async `sleep` and threaded `wait`; see the module docstring."""

    def __init__(self, *emulators: EmulatorHandle, start: float = 1000.0) -> None:
        self._emulators = emulators
        self._changed = threading.Condition()
        self._start = start
        self._now = start
        self._wall_start = datetime.now(UTC)
        for emulator in emulators:
            emulator.control.freeze_clock()
        self._sleepers: dict[int, _Sleeper] = {}
        self._numbers = itertools.count()

    # --- the Clock port ------------------------------------------------------------------------

    def monotonic(self) -> float:
        with self._changed:
            return self._now

    def now(self) -> datetime:
        return self._wall_start + timedelta(seconds=self.monotonic() - self._start)

    @property
    def elapsed(self) -> float:
        """Fake seconds since this clock was made."""
        return self.monotonic() - self._start

    # --- waiting, as the providers do it -------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        """The asyncio provider's `sleep`: returns once the test advanced time by `seconds`."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not woken.done():  # the sleep may have been cancelled meanwhile
                woken.set_result(None)

        def wake() -> None:
            loop.call_soon_threadsafe(resolve)

        number, _ = self._register(seconds, wake)
        try:
            await woken
        finally:
            self._unregister(number)

    def wait(self, condition: threading.Condition, timeout: float | None) -> bool:
        """The threaded provider's wait (called holding `condition`): returns True when
        notified, False once the test advanced time by `timeout`."""
        if timeout is None:
            return condition.wait()
        number, deadline = self._register(timeout, lambda: None)
        try:
            while True:
                # Releases `condition` while it waits, as a real timed wait would.
                if condition.wait(_THREAD_POLL):
                    return True
                if self.monotonic() >= deadline:
                    return False
        finally:
            self._unregister(number)

    def injected(self) -> dict[str, Any]:
        """The keyword arguments that make a `ClientCredentialsAuth` run on this time."""
        return {"clock": self, "sleep": self.sleep, "wait": self.wait}

    # --- the test's side -----------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move time (and the linked emulators' clocks) forward; wake the sleeps that are due."""
        if seconds < 0:
            raise ValueError(f"fake time only moves forward; got {seconds}")
        with self._changed:
            self._now += seconds
            for emulator in self._emulators:  # before the wakes: a woken request meets it
                emulator.control.advance_clock(seconds)
            due = [n for n, s in self._sleepers.items() if s.deadline <= self._now]
            woken = [self._sleepers.pop(number) for number in due]  # no longer asleep
        for sleeper in woken:
            sleeper.wake()

    def next_wake_in(self, within: float = 10.0, sooner_than: float = math.inf) -> float:
        """Fake seconds until the earliest pending sleep ends, once one is pending (ending
        within `sooner_than` fake seconds, if given); waits (real time, at most `within`
        seconds) for the provider to go to sleep that way first."""

        def pending() -> list[float]:
            limit = self._now + sooner_than
            return [s.deadline for s in self._sleepers.values() if s.deadline <= limit]

        with self._changed:
            if not self._changed.wait_for(lambda: bool(pending()), within):
                raise AssertionError(f"nothing went to sleep on the fake clock within {within} s")
            return max(0.0, min(pending()) - self._now)

    async def until_asleep(self, within: float = 10.0) -> None:
        """Wait (real time, off the loop) until something sleeps on this clock again: the
        provider finished what the last `advance` woke it for (a refresh's real request), as
        it would have while that much real time passed."""
        await asyncio.to_thread(self.next_wake_in, within)

    def advance_to_next_wake_sync(self, within: float = 10.0) -> float:
        """Advance exactly to the end of the earliest pending sleep; returns the fake seconds."""
        delay = self.next_wake_in(within)
        self.advance(delay)
        return delay

    async def advance_to_next_wake(self, within: float = 10.0) -> float:
        """`advance_to_next_wake_sync` for async tests (the waiting happens off the loop)."""
        return await asyncio.to_thread(self.advance_to_next_wake_sync, within)

    async def drive(
        self, awaitable: Awaitable[T], within: float = 10.0, horizon: float = 10.0
    ) -> T:
        """Await `awaitable` while time passes for it: whenever it has not finished after a
        short real moment and something sleeps on this clock, jump to the earliest wake (as
        trio's autojump clock does). For a call that waits out retries or a cool-down.

        Only wakes at most `horizon` fake seconds away are jumped to: the refresher's sleep
        until the next refresh (many minutes) must not pass just because the call is slow.
        """
        task = asyncio.ensure_future(awaitable)
        give_up = time.monotonic() + within
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=_DRIVE_POLL)
                if done:
                    return task.result()
                if time.monotonic() > give_up:
                    raise AssertionError(f"the driven call did not finish within {within} s")
                with self._changed:
                    limit = self._now + horizon
                    wakes = [s.deadline for s in self._sleepers.values() if s.deadline <= limit]
                    delay = max(0.0, min(wakes) - self._now) if wakes else None
                if delay is not None:
                    self.advance(delay)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    # --- bookkeeping ---------------------------------------------------------------------------

    def _register(self, seconds: float, wake: Callable[[], None]) -> tuple[int, float]:
        number = next(self._numbers)
        with self._changed:
            sleeper = _Sleeper(self._now + seconds, wake)
            self._sleepers[number] = sleeper
            self._changed.notify_all()
        return number, sleeper.deadline

    def _unregister(self, number: int) -> None:
        with self._changed:
            self._sleepers.pop(number, None)
