"""Helpers for the auth contract tests: building the Auth against an emulator, reading its log."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from ozon_mcp import ClientCredentialsAuth
from ozon_mcp.adapters.emulator import EmulatorHandle, RecordedRequest
from ozon_mcp.domain import RetryPolicy

LIMITS_PATH = "/api/client/limits/list"  # GetLimitsList: a cheap authenticated operation

# Retries a few hundred milliseconds apart, so fault tests stay fast; tests about timing use
# the default policy instead.
FAST_RETRY = RetryPolicy(base=0.05, cap=0.2, exhausted_cooldown=0.3, permanent_cooldown=1.0)


class ConstantRandom:
    """A random source that always draws the same value (deterministic jitter)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def make_auth(handle: EmulatorHandle, **options: object) -> ClientCredentialsAuth:
    """A ClientCredentialsAuth with the emulator's credentials (options override)."""
    arguments: dict[str, object] = {
        "token_url": handle.token_url,
        "client_id": handle.config.client_id,
        "client_secret": handle.config.secret_value,
    }
    arguments.update(options)
    return ClientCredentialsAuth(**arguments)  # type: ignore[arg-type]


def token_requests(handle: EmulatorHandle) -> list[RecordedRequest]:
    """The token requests the emulator received, oldest first."""
    return [entry for entry in handle.control.requests if entry.kind == "token"]


def api_calls(handle: EmulatorHandle) -> list[RecordedRequest]:
    """The API calls the emulator received, oldest first."""
    return [entry for entry in handle.control.requests if entry.kind == "api"]


def gaps(entries: list[RecordedRequest]) -> list[float]:
    """Seconds between consecutive requests, as the emulator timed them."""
    return [later.time - earlier.time for earlier, later in itertools.pairwise(entries)]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll `predicate` until it holds; fail the test after `timeout` seconds.

    For work that takes real time (a request on its way over loopback, a thread finishing);
    a test waiting for a refresh, an expiry or a cool-down advances a `FakeTime` instead.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)
