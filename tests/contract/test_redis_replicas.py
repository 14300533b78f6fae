"""Several processes, one token: the distributed single flight over a real redis-server.

Each worker is a separate Python process (tests/contract/redis_worker.py) with its own provider,
Redis clients and event loop; they share nothing but Redis and the emulator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from redis_support import WORKER, RedisServer, credentials, redis_server

from ozon_mcp.adapters.emulator import EmulatorHandle

__all__ = ["redis_server"]  # the fixture, imported for pytest


def _spawn(options: dict[str, object]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(WORKER.parent),
        env={**os.environ, "PYTHONPATH": str(WORKER.parent)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", f"worker failed to start: {line!r} {_stderr(process)}"
    return process


def _stderr(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        return ""
    assert process.stderr is not None
    return process.stderr.read()[-2000:]


def _go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()


def _result(process: subprocess.Popen[str], timeout: float = 60) -> dict[str, list[object]]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-2000:]
    result = dict(json.loads(out.strip().splitlines()[-1]))
    result["stderr"] = err.splitlines()[-5:]
    return result


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _options(emulator: EmulatorHandle, server: RedisServer, **extra: object) -> dict[str, object]:
    return {
        **credentials(emulator),
        "redis_url": server.url,
        "base_url": emulator.base_url,
        **extra,
    }


def test_four_processes_times_fifty_cold_calls_make_exactly_one_token_request(
    emulator: EmulatorHandle, redis_server: RedisServer, workers: list[subprocess.Popen[str]]
) -> None:
    emulator.control.set_token_latency(0.3)  # everybody asks while the one request is out
    workers.extend(
        _spawn(_options(emulator, redis_server, mode="burst", calls=50)) for _ in range(4)
    )
    for process in workers:
        _go(process)
    results = [_result(process) for process in workers]

    assert [result["statuses"] for result in results] == [[200] * 50] * 4
    assert emulator.control.token_requests == 1, [result["stderr"] for result in results]
    issued = {fp for result in results for fp in result["fingerprints"]}
    assert len(issued) == 1  # the four processes used the one token


def test_proactive_refresh_across_processes_is_one_request_per_lifetime(
    emulator: EmulatorHandle, redis_server: RedisServer, workers: list[subprocess.Popen[str]]
) -> None:
    # 4 s tokens refreshed 1.5 s before expiry: a new token every 2.5 s for everybody.
    emulator.control.set_expires_in(4)
    duration = 8.0
    options = _options(emulator, redis_server, mode="refresh", duration=duration, margin=1.5)
    workers.extend(_spawn(options) for _ in range(3))
    for process in workers:
        _go(process)
    sequences = [list(_result(process)["fingerprints"]) for process in workers]

    requested = emulator.control.token_requests
    # Alone, each process would make 1 + 3 requests; together they make 1 + 3 in total.
    assert 3 <= requested <= 4, sequences
    used = {fp for sequence in sequences for fp in sequence}
    assert len(used) == requested  # every token requested was used, none was wasted
    for sequence in sequences:
        # Each process saw the shared tokens in the same order (the last one may be missed by
        # a process whose run ended just before it appeared).
        assert (
            sequence == sequences[0][: len(sequence)]
            or sequences[0] == sequence[: len(sequences[0])]
        )
        assert len(sequence) >= requested - 1


def test_a_lock_holder_killed_mid_fetch_lets_another_process_fetch_after_the_lock_expires(
    emulator: EmulatorHandle, redis_server: RedisServer, workers: list[subprocess.Popen[str]]
) -> None:
    lock_ttl = 2.0
    holder = _spawn(_options(emulator, redis_server, mode="hang", lock_ttl=lock_ttl))
    workers.append(holder)
    _go(holder)
    client = redis_server.client()
    deadline = time.monotonic() + 20
    while not client.keys("ozon-mcp:lock:*"):
        assert time.monotonic() < deadline, "the hanging worker never took the lock"
        time.sleep(0.05)

    waiter = _spawn(_options(emulator, redis_server, mode="burst", calls=5, lock_ttl=lock_ttl))
    workers.append(waiter)
    _go(waiter)
    time.sleep(0.3)
    os.kill(holder.pid, signal.SIGKILL)  # dies holding the lock, mid-fetch
    holder.wait(10)
    started = time.monotonic()
    result = _result(waiter, timeout=30)
    waited = time.monotonic() - started

    assert result["statuses"] == [200] * 5
    assert emulator.control.token_requests == 1  # the dead holder never reached the endpoint
    assert waited < 2 * lock_ttl + 5  # it fetched once the lock expired, not after a hang
    assert client.keys("ozon-mcp:lock:*") == []  # the new holder released its lock
