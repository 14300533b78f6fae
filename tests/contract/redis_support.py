"""A real `redis-server` for the Redis contract tests, and builders of sharing replicas.

`RedisServer` runs Debian's redis-server on a free loopback port without persistence, so a
restart starts empty (as a replaced Redis container would). It can be stopped, restarted on the
same port, and paused (SIGSTOP: a Redis that accepts connections but never answers).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from ozon_mcp.adapters.auth import HttpTokenEndpoint, TokenEndpointConfig, TokenProvider
from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.sharing import RedisSharing, SharedTokenEndpoint, build_redis_sharing
from ozon_mcp.domain.clock import SystemClock
from ozon_mcp.domain.lifecycle import TokenLifecycle
from ozon_mcp.domain.lifetime import LifetimeRules

CACHE_KEY = "contract-tests-token-cache-key-0123456789"
WORKER = Path(__file__).with_name("redis_worker.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One redis-server process on 127.0.0.1:`port` (no disk, no persistence)."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = self.client()
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def pause(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)


@pytest.fixture
def redis_server(tmp_path: Path) -> object:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed: `apt-get install -y redis-server` (.ci/run does it)"
        )
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.stop()


def credentials(emulator: EmulatorHandle) -> dict[str, str]:
    """The token endpoint and client of `emulator` (what a worker process is given)."""
    return {
        "token_url": emulator.token_url,
        "client_id": emulator.config.client_id,
        "client_secret": emulator.config.secret_value,
    }


@dataclass
class Replica:
    """One "process" sharing through Redis: its own store, endpoint decorator and provider."""

    sharing: RedisSharing
    endpoint: SharedTokenEndpoint
    provider: TokenProvider

    async def aclose(self) -> None:
        await self.provider.aclose()
        await self.sharing.store.aclose()


def make_replica(
    client: dict[str, str],
    redis_url: str,
    *,
    key: str | None = CACHE_KEY,
    allow_plaintext: bool = False,
    rules: LifetimeRules | None = None,
    timeout: float = 2.0,  # generous: the test machine is shared and busy
    retry_after: float = 5.0,
    lock_ttl: float = 10.0,
    proactive_refresh: bool = False,
) -> Replica:
    """An async provider wired as `TOKEN_CACHE=redis` wires it (no shared Python state)."""
    config = TokenEndpointConfig(
        token_url=client["token_url"],
        client_id=client["client_id"],
        client_secret=client["client_secret"],
    )
    clock = SystemClock()
    rules = rules or LifetimeRules()
    sharing = build_redis_sharing(
        redis_url,
        key=key,
        allow_plaintext=allow_plaintext,
        clock=clock,
        timeout=timeout,
        retry_after=retry_after,
    )
    endpoint = SharedTokenEndpoint(
        HttpTokenEndpoint(config, clock=clock),
        sharing.store,
        token_url=config.token_url,
        client_id=config.client_id,
        rules=rules,
        lock_ttl=lock_ttl,
    )
    lifecycle = TokenLifecycle(clock, random.Random(), rules=rules)
    provider = TokenProvider(
        endpoint,
        lifecycle,
        sharing.cache,
        config.cache_key,
        clock,
        proactive_refresh=proactive_refresh,
    )
    return Replica(sharing, endpoint, provider)
