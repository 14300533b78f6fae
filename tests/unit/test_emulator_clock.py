"""The emulator's clock: a frozen clock moves only when advanced, and `rewind` unfreezes it."""

from __future__ import annotations

import time

import pytest

from ozon_mcp.adapters.emulator.clock import EmulatorClock


def test_a_frozen_clock_moves_exactly_by_what_is_advanced_and_nothing_else() -> None:
    clock = EmulatorClock()
    clock.freeze()
    monotonic, wall = clock.monotonic(), clock.wall()
    time.perf_counter()  # whatever real time passes in between does not count
    assert (clock.monotonic(), clock.wall()) == (monotonic, wall)
    clock.advance(2.5)
    assert clock.monotonic() - monotonic == pytest.approx(2.5, abs=1e-9)
    assert clock.wall() - wall == pytest.approx(2.5, abs=1e-9)
    assert clock.utc_now().timestamp() == pytest.approx(wall + 2.5, abs=1e-6)


def test_freezing_twice_keeps_the_first_stop_and_rewind_runs_real_time_again() -> None:
    clock = EmulatorClock()
    clock.freeze()
    stopped = clock.monotonic()
    clock.freeze()
    assert clock.monotonic() == stopped
    clock.advance(100)
    clock.rewind()
    assert clock.offset == 0
    assert abs(clock.monotonic() - time.monotonic()) < 1.0  # back on the real clock
    assert clock.monotonic() <= time.monotonic()  # and running with it
