"""`python -m benchmarks --scaling` (`nox -s bench -- --scaling`): what several replicas cost.

1. Token requests per token lifetime for 1, 3 and 8 replicas, each with the in-memory cache and
   with Redis (TOKEN_CACHE=redis: RedisTokenCache + the distributed single flight), at a cold
   start (all replicas ask at once) and across 3 proactive refreshes. Replicas are token
   providers with their own Redis clients and no shared Python state, in one process (the
   contract tests prove the same across real processes); short tokens (3 s, refreshed 1 s
   before expiry) make 3 refreshes take 6 s.
2. HTTP throughput: 50 concurrent clients calling ListCampaigns for a fixed time (4 windows per
   server, interleaved so that load changes hit all servers alike; the upstream is
   benchmarks/fastserver.py, which answers in microseconds) against the
   low-level SDK floor over streamable HTTP (stateful and stateless) and `ozon-mcp serve
   --transport http` (stateful and `--stateless`): calls/s, p50/p99 latency, server CPU per call.

Needs `redis-server` on PATH (Debian: apt-get install -y redis-server). Writes
.bench/scaling.json and prints Markdown tables (docs/scaling.md keeps a recorded run).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import psutil
from pydantic import SecretStr

import ozon_mcp.adapters.openapi
from benchmarks.mcp_servers.spec_copy import SPEC_NAME
from benchmarks.servers import (
    CLIENT_ID,
    CLIENT_SECRET,
    fast_server_argv,
    fetch_static_token,
    launch,
    wait_ready,
)
from benchmarks.stdio_client import child_environment
from ozon_mcp.adapters.auth import (
    HttpTokenEndpoint,
    InMemoryTokenCache,
    TokenEndpointConfig,
    TokenProvider,
)
from ozon_mcp.adapters.emulator import EmulatorConfig, start_emulator
from ozon_mcp.adapters.sharing import build_redis_sharing
from ozon_mcp.domain.clock import SystemClock
from ozon_mcp.domain.lifecycle import TokenLifecycle
from ozon_mcp.domain.lifetime import LifetimeRules

ROOT = Path(__file__).resolve().parent.parent
SPEC = Path(ozon_mcp.adapters.openapi.__file__).parent / "data" / SPEC_NAME
REPLICAS = (1, 3, 8)
LIFETIME = 3  # seconds
MARGIN = 1.0  # refresh 1 s before expiry: a new token every 2 s
REFRESHES = 3
CLIENTS = 50
TOOL = "ListCampaigns"
KEY = "benchmark-token-cache-key-0123456789abcdef"
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- 1. token requests per lifetime ---------------------------------------------------------


class _Redis:
    """A throw-away redis-server on a free loopback port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit(
                "the scaling benchmark needs redis-server (apt-get install redis-server)"
            )
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class _Replica:
    provider: TokenProvider
    close: Callable[[], Awaitable[None]]


def _replica(config: TokenEndpointConfig, redis_url: str | None) -> _Replica:
    clock = SystemClock()
    rules = LifetimeRules(refresh_margin=MARGIN)
    lifecycle = TokenLifecycle(clock, random.Random(), rules=rules)
    http = HttpTokenEndpoint(config, clock=clock)
    if redis_url is None:
        provider = TokenProvider(http, lifecycle, InMemoryTokenCache(), config.cache_key, clock)
        return _Replica(provider, provider.aclose)
    sharing = build_redis_sharing(redis_url, key=KEY, clock=clock)
    endpoint = sharing.share(
        http, token_url=config.token_url, client_id=config.client_id, rules=rules
    )
    provider = TokenProvider(endpoint, lifecycle, sharing.cache, config.cache_key, clock)

    async def close() -> None:
        await provider.aclose()
        await sharing.store.aclose()

    return _Replica(provider, close)


async def token_budget(redis: _Redis) -> list[dict[str, Any]]:
    """Token requests at a cold start and across `REFRESHES` refreshes, per configuration."""
    emulator = start_emulator(EmulatorConfig(expires_in=LIFETIME))
    config = TokenEndpointConfig(
        token_url=emulator.token_url,
        client_id=emulator.config.client_id,
        client_secret=SecretStr(emulator.config.secret_value),
    )
    rows = []
    try:
        for count in REPLICAS:
            for cache in ("memory", "redis"):
                redis.flush()
                emulator.control.clear_requests()
                emulator.control.set_token_latency(0.05)  # a realistic, non-zero round trip
                replicas = [
                    _replica(config, redis.url if cache == "redis" else None) for _ in range(count)
                ]
                await asyncio.gather(*(r.provider.get_token() for r in replicas))
                cold = emulator.control.token_requests
                # The refreshers run in the background; 3 refreshes take 3 x (LIFETIME - MARGIN).
                await asyncio.sleep(REFRESHES * (LIFETIME - MARGIN) + 0.5)
                total = emulator.control.token_requests
                for replica in replicas:
                    await replica.close()
                rows.append(
                    {
                        "replicas": count,
                        "cache": cache,
                        "cold_start_requests": cold,
                        "requests_over_refreshes": total,
                        "lifetimes": REFRESHES + 1,
                        "per_lifetime": round(total / (REFRESHES + 1), 2),
                    }
                )
                print(f"  tokens: {count} replica(s), {cache}: {rows[-1]}", file=sys.stderr)
    finally:
        emulator.stop()
    return rows


# --- 2. HTTP throughput ---------------------------------------------------------------------


@dataclass(frozen=True)
class _HttpContender:
    key: str
    label: str
    argv: list[str]
    env: dict[str, str]


def _ours(port: int, stateless: bool) -> list[str]:
    script = Path(sys.executable).parent / "ozon-mcp"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "ozon_mcp.app.cli"]
    argv = [*base, "serve", "--transport", "http", "--port", str(port)]
    return [*argv, "--stateless"] if stateless else argv


def _contenders(emulator_url: str, token_url: str, static_token: str) -> list[_HttpContender]:
    floor_env = {
        "API_BASE_URL": emulator_url,
        "STATIC_TOKEN": static_token,
        "BENCH_SPEC": str(SPEC),
    }
    ours_env = {
        "OAUTH_CLIENT_ID": CLIENT_ID,
        "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_TOKEN_URL": token_url,
        "API_BASE_URL": emulator_url,
        "LOG_LEVEL": "WARNING",
    }
    floor = [sys.executable, "-m", "benchmarks.mcp_servers.floor_http", "--port", "{port}"]
    return [
        _HttpContender("floor", "floor (low-level Server), stateful", floor, floor_env),
        _HttpContender("floor-stateless", "floor, stateless", [*floor, "--stateless"], floor_env),
        _HttpContender("ours", "ozon-mcp serve --transport http", ["ours"], ours_env),
        _HttpContender(
            "ours-stateless",
            "ozon-mcp serve --transport http --stateless",
            ["ours", "--stateless"],
            ours_env,
        ),
    ]


def _argv(contender: _HttpContender, port: int) -> list[str]:
    if contender.argv[0] == "ours":
        return _ours(port, "--stateless" in contender.argv)
    return [part.replace("{port}", str(port)) for part in contender.argv]


def _rpc(method: str, params: dict[str, Any], number: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": number, "method": method, "params": params}


async def _open(http: httpx2.AsyncClient, url: str) -> dict[str, str]:
    """One client's handshake; the headers its calls carry (with the session id if any)."""
    hello = _rpc(
        "initialize",
        {"protocolVersion": "2025-06-18", "capabilities": {},
         "clientInfo": {"name": "bench", "version": "0"}},
        0,
    )  # fmt: skip
    answer = await http.post(url, json=hello, headers=ACCEPT)
    headers = dict(ACCEPT)
    if "mcp-session-id" in answer.headers:  # stateful: keep the session
        headers["mcp-session-id"] = answer.headers["mcp-session-id"]
        headers["mcp-protocol-version"] = "2025-06-18"
        await http.post(
            url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
        )
    return headers


async def _client_loop(
    http: httpx2.AsyncClient,
    url: str,
    headers: dict[str, str],
    stop_at: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    """One client calling the tool, one call at a time, until `stop_at`."""
    number = 1
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        started = loop.time()
        call = _rpc("tools/call", {"name": TOOL, "arguments": {}}, number)
        response = await http.post(url, json=call, headers=headers)
        text = response.text
        if response.status_code != 200 or '"isError":true' in text.replace(" ", ""):
            errors.append(f"{response.status_code}: {text[:120]}")
        else:
            latencies.append(loop.time() - started)
        number += 1


@dataclass
class _Tally:
    """What one contender accumulated over its measurement windows."""

    latencies: list[float]
    errors: list[str]
    seconds: float = 0.0
    cpu: float = 0.0
    client_cpu: float = 0.0

    def row(self) -> dict[str, Any]:
        calls = len(self.latencies)
        cuts = statistics.quantiles(self.latencies, n=100) if calls >= 2 else [float("nan")] * 99
        return {
            "calls": calls,
            "errors": len(self.errors),
            "first_error": self.errors[0] if self.errors else None,
            "calls_per_s": round(calls / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(cuts[49] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
            "server_cpu_ms_per_call": round(self.cpu / calls * 1000, 2) if calls else None,
            "client_cpu_ms_per_call": round(self.client_cpu / calls * 1000, 2) if calls else None,
        }


async def _window(
    http: httpx2.AsyncClient, url: str, pid: int, seconds: float, tally: _Tally
) -> None:
    """`CLIENTS` clients calling for `seconds`; adds calls, time and server CPU to `tally`."""
    # Handshakes first, outside the window: a stateful client needs two requests, a
    # stateless one could skip them, and neither is what is being compared.
    sessions = await asyncio.gather(*(_open(http, url) for _ in range(CLIENTS)))
    server, client = psutil.Process(pid), psutil.Process()
    cpu_before = sum(server.cpu_times()[:2])
    client_before = sum(client.cpu_times()[:2])
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(
        *(
            _client_loop(http, url, headers, started + seconds, tally.latencies, tally.errors)
            for headers in sessions
        )
    )
    tally.seconds += loop.time() - started
    tally.cpu += sum(server.cpu_times()[:2]) - cpu_before
    tally.client_cpu += sum(client.cpu_times()[:2]) - client_before


def _wait_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode})")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("server did not listen in time")


async def http_throughput(seconds: float, rounds: int = 4) -> list[dict[str, Any]]:
    """All contenders side by side against one fast upstream in its own process, measured in
    `rounds` interleaved windows of `seconds / rounds`, so that a change in the machine's load
    hits every contender alike."""
    # The fast server, not the emulator: it answers in microseconds, so the MCP servers are
    # what is compared (the emulator validates every call against the spec).
    emulator = wait_ready(launch("fastserver", fast_server_argv()))
    started: list[tuple[_HttpContender, str, subprocess.Popen[bytes]]] = []
    limits = httpx2.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    try:
        static_token = await fetch_static_token(emulator.token_url)
        for contender in _contenders(emulator.base_url, emulator.token_url, static_token):
            port = _free_port()
            # Without the caller's product settings (OAUTH_*, OZON_MCP_*, TOKEN_CACHE...).
            env = child_environment({**contender.env, "PYTHONUNBUFFERED": "1"})
            process = subprocess.Popen(
                _argv(contender, port), env=env, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            started.append((contender, f"http://127.0.0.1:{port}/mcp", process))
            _wait_port(port, process)
        tallies = {contender.key: _Tally([], []) for contender, _, _ in started}
        async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
            for _, url, process in started:  # warm-up, not recorded
                await _window(http, url, process.pid, 1.0, _Tally([], []))
            for _ in range(rounds):
                for contender, url, process in started:
                    await _window(http, url, process.pid, seconds / rounds, tallies[contender.key])
    finally:
        for _, _, process in started:
            process.terminate()
            process.wait(15)
        emulator.stop()
    rows = []
    for contender, _, _ in started:
        rows.append(
            {"key": contender.key, "label": contender.label, **tallies[contender.key].row()}
        )
        print(f"  http: {contender.label}: {rows[-1]}", file=sys.stderr)
    return rows


# --- report ---------------------------------------------------------------------------------


def _same_mode_floor(row: dict[str, Any], http: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The floor row of `row`'s mode: `floor-stateless` for a stateless server, else `floor`."""
    key = "floor-stateless" if row["key"].endswith("stateless") else "floor"
    return next((other for other in http if other["key"] == key), None)


def _ratio(row: dict[str, Any], floor: dict[str, Any] | None, field: str) -> str:
    if floor is None or not floor[field]:
        return "-"
    return f"{row[field] / floor[field]:.2f}x"


def render(tokens: list[dict[str, Any]], http: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """Markdown tables of one run."""
    lines = [
        f"Run of {meta['date']} on {meta['cpus']} CPUs, load average {meta['load_before']} "
        f"before and {meta['load_after']} after (a machine shared with other jobs: compare "
        f"columns within the run, not with other machines). Command: `{meta['command']}`.",
        "",
        f"Token requests ({LIFETIME} s tokens refreshed {MARGIN:g} s before expiry, "
        f"{REFRESHES} refreshes = {REFRESHES + 1} lifetimes):",
        "",
        "| replicas | cache | cold start | total over 4 lifetimes | per lifetime |",
        "|---|---|---|---|---|",
    ]
    for row in tokens:
        lines.append(
            f"| {row['replicas']} | {row['cache']} | {row['cold_start_requests']} | "
            f"{row['requests_over_refreshes']} | {row['per_lifetime']:g} |"
        )
    lines += [
        "",
        f"HTTP throughput ({CLIENTS} concurrent clients calling {TOOL}, {meta['seconds']:g} s "
        "per server in 4 interleaved windows, after a 1 s warm-up each). Each server is "
        "compared with the floor in the same mode (stateful or stateless):",
        "",
        "| server | calls/s | vs floor | p50 ms | p99 ms | p99 vs floor | server CPU ms/call "
        "| CPU vs floor | client CPU ms/call | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in http:
        floor = _same_mode_floor(row, http)
        lines.append(
            f"| {row['label']} | {row['calls_per_s']} | "
            f"{_ratio(row, floor, 'calls_per_s')} | {row['p50_ms']} | {row['p99_ms']} | "
            f"{_ratio(row, floor, 'p99_ms')} | {row['server_cpu_ms_per_call']} | "
            f"{_ratio(row, floor, 'server_cpu_ms_per_call')} | "
            f"{row['client_cpu_ms_per_call']} | {row['errors']} |"
        )
    return "\n".join(lines) + "\n"


def run(quick: bool, out: Path) -> int:
    """Both parts; prints the tables and writes `out` (JSON)."""
    seconds = 3.0 if quick else 20.0  # per server: 4 windows of 5 s, steadier p99s
    load_before = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    redis = _Redis()
    try:
        tokens = asyncio.run(token_budget(redis))
    finally:
        redis.stop()
    http = asyncio.run(http_throughput(seconds))
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": " / ".join(f"{value:.2f}" for value in os.getloadavg()),
        "command": os.environ.get("BENCH_COMMAND")
        or shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]]),
        "seconds": seconds,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"_meta": meta, "tokens": tokens, "http": http}, indent=2) + "\n")
    print(render(tokens, http, meta))
    print(f"wrote {out}", file=sys.stderr)
    return 0
