"""MCP-level benchmark: `ozon-mcp serve`, FastMCP's OpenAPI server and a floor, over stdio.

Per repetition: spawn each server in turn and run the handshake and the first tools/list (M1:
process start to that answer, ms; M4: bytes of that answer); then call ListCampaigns at
concurrency 1 and 20, the servers' calls interleaved in chunks (M2: calls/s, p50, p99, and the
server's CPU time per call, which is steadier than wall time on a busy machine); the server's
RSS is sampled every 10 ms over its whole life (M3: peak MiB).
The upstream is an emulator in its own process. `ours-slow-token` repeats M1 for ours with
a token endpoint that takes 1 s, to show that the startup token fetch never delays tools/list;
`ours-full` and `ours-read-only` start ours with OZON_MCP_DESCRIPTIONS=full and
OZON_MCP_READ_ONLY=1 for their tools/list sizes.

What is compared: each server as shipped, with its defaults. ours lists the spec's 40 tools
plus its own `auth_status` and `get_campaign_statistics`, with lean descriptions; the floor and
FastMCP list the 40 spec tools. M4 therefore also measures the spec's tools alone
(`m4_spec_bytes`: a compact tools/list answer holding only the tools named after the spec's
operationIds), which is what the size targets compare.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psutil

from benchmarks.mcp_servers.floor import operations
from benchmarks.mcp_servers.spec_copy import bundled_spec_path, write_fastmcp_copy
from benchmarks.servers import CLIENT_ID, CLIENT_SECRET, Control, ServerProcess
from benchmarks.stdio_client import StdioSession

TOOL = "ListCampaigns"
CHUNKS = {1: 10, 20: 5}  # chunks per M2 point; a chunk at c=20 keeps each worker busy 8 calls
SLOW_TOKEN_SECONDS = 1.0
SETTLE_SECONDS = 0.5  # after a start, before the next server starts
ROOT = Path(__file__).resolve().parent.parent

Metrics = dict[str, object]


@dataclass(frozen=True)
class McpSizes:
    """Calls per M2 point (after 10 warm-up calls)."""

    calls_c1: int = 300
    calls_c20: int = 800
    warmup: int = 10

    def quick(self) -> McpSizes:
        return McpSizes(calls_c1=60, calls_c20=200, warmup=5)

    def warm_up(self) -> McpSizes:
        """The unrecorded launch before the repetitions."""
        return McpSizes(calls_c1=20, calls_c20=100, warmup=5)


@dataclass(frozen=True)
class McpContender:
    """A server command line and its environment."""

    key: str
    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    calls: bool = True  # False: started and stopped only (M1, M3, M4), no M2
    token_latency: float = 0.0
    # Where the server runs: the benchmark's work folder, so that no `.env` of the checkout
    # is read (ours and FastMCP both read one from their working folder).
    cwd: str = str(ROOT / ".bench")


def _ozon_mcp_argv() -> list[str]:
    script = Path(sys.executable).parent / "ozon-mcp"
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-m", "ozon_mcp.app.cli", "serve"]


def mcp_contenders(emulator: ServerProcess, static_token: str, workdir: Path) -> list[McpContender]:
    """The MCP-level contenders against `emulator`; writes FastMCP's spec copy into `workdir`."""
    fastmcp_spec, _ = write_fastmcp_copy(workdir)
    # `python -m benchmarks.mcp_servers...` run outside the checkout: the checkout on the path.
    peer_env = {
        "API_BASE_URL": emulator.base_url,
        "STATIC_TOKEN": static_token,
        "PYTHONPATH": str(ROOT),
    }
    ours_env = {
        "OAUTH_CLIENT_ID": CLIENT_ID,
        "OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "OAUTH_TOKEN_URL": emulator.token_url,
        "API_BASE_URL": emulator.base_url,
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    contenders = [
        McpContender(
            "floor",
            "floor (low-level Server)",
            [python, "-m", "benchmarks.mcp_servers.floor"],
            {**peer_env, "BENCH_SPEC": str(bundled_spec_path())},
        ),
        McpContender("ours", "ozon-mcp serve", _ozon_mcp_argv(), ours_env),
        McpContender(
            "fastmcp",
            "FastMCP from_openapi",
            [python, "-m", "benchmarks.mcp_servers.fastmcp_openapi"],
            {**peer_env, "BENCH_SPEC": str(fastmcp_spec)},
        ),
        McpContender(
            "ours-slow-token",
            "ozon-mcp serve, token endpoint 1 s slow",
            _ozon_mcp_argv(),
            ours_env,
            calls=False,
            token_latency=SLOW_TOKEN_SECONDS,
        ),
        McpContender(
            "ours-full",
            "ozon-mcp serve, OZON_MCP_DESCRIPTIONS=full",
            _ozon_mcp_argv(),
            {**ours_env, "OZON_MCP_DESCRIPTIONS": "full"},
            calls=False,
        ),
        McpContender(
            "ours-read-only",
            "ozon-mcp serve, OZON_MCP_READ_ONLY=1",
            _ozon_mcp_argv(),
            {**ours_env, "OZON_MCP_READ_ONLY": "1"},
            calls=False,
        ),
    ]
    return [replace(contender, cwd=str(workdir)) for contender in contenders]


class ServerProbe:
    """Watches the server process: RSS sampled every 10 ms in a thread (`stop()` returns the peak
    in MiB) and its CPU time."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                self._peak = max(self._peak, self._process.memory_info().rss)
            except psutil.Error:
                return
            self._done.wait(0.01)

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self._peak / 2**20


def spec_operation_ids() -> frozenset[str]:
    """The bundled spec's operationIds: the tool names every server derives from the spec."""
    return frozenset(operations(json.loads(bundled_spec_path().read_text(encoding="utf-8"))))


def compact_answer_bytes(tools: list[dict[str, Any]]) -> int:
    """Bytes of a compact tools/list answer line (UTF-8, as the mcp SDK writes it) with `tools`."""
    answer = {"jsonrpc": "2.0", "id": 2, "result": {"tools": tools}}
    return len(json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode())


def describe_tools(tools: list[dict[str, Any]], spec_names: frozenset[str]) -> Metrics:
    """How many tools are listed; for the spec's tools among them (named by operationId): how
    many, their parameters and described parameters, the bytes of a tools/list answer holding
    only them, and of their output schemas."""
    spec_tools = [tool for tool in tools if tool.get("name") in spec_names]
    params = documented = schema_bytes = 0
    for tool in spec_tools:
        properties = (tool.get("inputSchema") or {}).get("properties") or {}
        params += len(properties)
        documented += sum(bool((p or {}).get("description")) for p in properties.values())
        if tool.get("outputSchema"):
            schema_bytes += len(json.dumps(tool["outputSchema"], ensure_ascii=False).encode())
    return {
        "tools": len(tools),
        "spec_tools": len(spec_tools),
        "m4_spec_bytes": compact_answer_bytes(spec_tools),
        "params": params,
        "params_documented": documented,
        "output_schema_bytes": schema_bytes,
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class _Tally:
    """One contender's M2 point, summed over the interleaved chunks."""

    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0
    errors: int = 0

    def metrics(self, prefix: str) -> Metrics:
        calls = len(self.latencies)
        return {
            f"{prefix}_server_cpu_us_per_call": self.cpu / calls * 1e6,
            f"{prefix}_calls_per_s": calls / self.elapsed,
            f"{prefix}_p50_ms": statistics.median(self.latencies) * 1e3,
            f"{prefix}_p99_ms": _percentile(self.latencies, 0.99) * 1e3,
            f"{prefix}_errors": self.errors,
        }


async def _chunk(
    session: StdioSession, probe: ServerProbe, concurrency: int, calls: int, tally: _Tally
) -> None:
    """`calls` calls spread over `concurrency` workers, added to `tally`."""

    async def worker(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            ok = await session.call_tool(TOOL, {})
            tally.latencies.append(time.perf_counter() - started)
            tally.errors += not ok

    cpu_before = probe.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(worker(calls // concurrency) for _ in range(concurrency)))
    tally.elapsed += time.perf_counter() - started
    tally.cpu += probe.cpu_seconds() - cpu_before


@dataclass
class _Running:
    """A started server with its session, probe and the metrics gathered so far."""

    contender: McpContender
    session: StdioSession
    probe: ServerProbe
    metrics: Metrics


async def _start(contender: McpContender, control: Control, spec_names: frozenset[str]) -> _Running:
    """Spawn the server and measure M1 and M4 (with the token endpoint slowed if asked)."""
    if contender.token_latency:
        await control.call("POST", "/token/latency", {"seconds": contender.token_latency})
    session = StdioSession(contender.argv, contender.env, contender.cwd)
    started = time.perf_counter()
    await session.start()
    probe = ServerProbe(session.pid)
    try:
        await session.initialize()
        listed, size = await session.request("tools/list", {})
    except BaseException:
        await _stop(_Running(contender, session, probe, {}), control)
        raise
    metrics: Metrics = {"m1_ms": (time.perf_counter() - started) * 1e3, "m4_bytes": size}
    # Work a server starts after its first tools/list (ours loads its CA bundle and fetches its
    # token then) must not land in the next server's M1.
    await asyncio.sleep(SETTLE_SECONDS)
    return _Running(
        contender, session, probe, metrics | describe_tools(listed["tools"], spec_names)
    )


async def _stop(running: _Running, control: Control) -> Metrics:
    """Close the session; M3 is the peak RSS over the server's whole life."""
    try:
        await running.session.close()
    finally:
        running.metrics["m3_peak_rss_mib"] = running.probe.stop()
        if running.contender.token_latency:
            await control.call("DELETE", "/faults")
    return running.metrics


async def measure_rep(
    contenders: list[McpContender], sizes: McpSizes, control: Control
) -> dict[str, Metrics]:
    """One repetition: start each server in turn (M1, M4); then M2, with the contenders'
    calls interleaved in chunks (A B C A B C ...) so that load from elsewhere hits all alike;
    then stop them all (M3). Contenders without calls are started and stopped first."""
    results: dict[str, Metrics] = {}
    spec_names = spec_operation_ids()
    for contender in contenders:
        if not contender.calls:
            started = await _start(contender, control, spec_names)
            results[contender.key] = await _stop(started, control)
    running: list[_Running] = []
    try:
        for contender in contenders:
            if contender.calls:
                running.append(await _start(contender, control, spec_names))
        for server in running:
            for _ in range(sizes.warmup):
                await server.session.call_tool(TOOL, {})
        for concurrency, calls in ((1, sizes.calls_c1), (20, sizes.calls_c20)):
            tallies = {server.contender.key: _Tally() for server in running}
            chunks = CHUNKS[concurrency]
            for _ in range(chunks):
                for server in running:
                    tally = tallies[server.contender.key]
                    await _chunk(server.session, server.probe, concurrency, calls // chunks, tally)
            for server in running:
                server.metrics |= tallies[server.contender.key].metrics(f"m2_c{concurrency}")
    finally:
        for server in running:
            results[server.contender.key] = await _stop(server, control)
    return {contender.key: results[contender.key] for contender in contenders}
