"""`nox -s soak` (`python -m benchmarks.soak`): a long run of `ozon-mcp serve` over stdio against
the emulator, with short-lived tokens and a flaky token endpoint.

The emulator (in this process) issues tokens that live 3 s; the server refreshes them 1 s
before expiry (OAUTH_REFRESH_MARGIN_SECONDS=1), so it renews a token about every 2 s while 20
workers call tools at a steady pace. The token endpoint fails at random: 10 % answer 503, 3 %
answer 429 with `Retry-After: 1`, 0.5 % hang past the server's 10 s read timeout. The run
passes when:

- no call failed that a healthy token could have served (a call may only fail with "no access
  token" when the token endpoint failed a whole retry cycle, which these rates make rare);
- the token requests are within 10 % of the ideal count: one token per refresh interval
  (lifetime - margin) over the run less the time the faults impose (a 429's Retry-After, a
  hung request's 10 s read timeout), plus one request per injected failure;
- the server's RSS and open file descriptors do not grow after the warm-up (medians of the
  first and the last third of the samples taken after it).

`--minutes 0.5 --calls 600` is a smoke run (its count check is rough at that length: the one
hung token request of seed 1 is a third of it); the defaults are the full soak (5 minutes, 20,000
calls; both must be reached). It prints a summary table (markdown), with `--record` also writes
it into docs/reliability.md, and exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.stdio_client import RpcError, StdioSession
from ozon_mcp.adapters.emulator import EmulatorConfig, RandomTokenFaults, start_emulator

RELIABILITY_DOC = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
SOAK_START, SOAK_END = "<!-- soak:start -->", "<!-- soak:end -->"
SERVE = [sys.executable, "-m", "ozon_mcp.app.cli", "serve"]
LIFETIME = 3  # seconds: expires_in of every token
MARGIN = 1.0  # seconds: OAUTH_REFRESH_MARGIN_SECONDS
REFRESH_INTERVAL = LIFETIME - MARGIN  # the lifetime rules refresh at lifetime - margin
RETRY_AFTER = 1  # seconds: the Retry-After of the injected 429s
TOKEN_READ_TIMEOUT = 10.0  # seconds: the server's token read timeout (TokenEndpointConfig)
TOOLS = [("GetLimitsList", {}), ("ListCampaigns", {"page": 1})]
SAMPLE_EVERY = 2.0  # seconds between RSS / fd samples
TOKEN_TOLERANCE = 0.10
RSS_TOLERANCE = 0.05  # relative growth of the median RSS allowed (allocator noise)
FD_TOLERANCE = 2  # open fds allowed above the early median (connections come and go)


@dataclass
class Tally:
    """What the workers saw."""

    ok: int = 0
    no_token: int = 0  # "no access token": the token endpoint failed a whole cycle
    failed: int = 0  # anything else: a call a healthy token could have served
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return self.ok + self.no_token + self.failed


@dataclass
class Sample:
    at: float
    rss: int
    fds: int


class Pacer:
    """Hands out call slots at a steady rate shared by every worker."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            self._next = max(self._next + self._interval, now)
            delay = self._next - now
        if delay > 0:
            await asyncio.sleep(delay)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=5.0, help="run at least this long")
    parser.add_argument("--calls", type=int, default=20_000, help="make at least this many calls")
    parser.add_argument("--concurrency", type=int, default=20, help="calls in flight at once")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random token faults")
    parser.add_argument("--rate-503", type=float, default=0.10)
    parser.add_argument("--rate-429", type=float, default=0.03)
    parser.add_argument("--rate-timeout", type=float, default=0.005)
    parser.add_argument(
        "--record", action="store_true", help="write the summary into docs/reliability.md"
    )
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.calls < 1 or args.concurrency < 1:
        parser.error("--minutes, --calls and --concurrency must be positive")
    return args


async def worker(
    session: StdioSession, pacer: Pacer, tally: Tally, stop: asyncio.Event, index: int
) -> None:
    name, arguments = TOOLS[index % len(TOOLS)]
    while not stop.is_set():
        await pacer.wait()
        started = time.monotonic()
        try:
            result, _ = await session.request("tools/call", {"name": name, "arguments": arguments})
        except RpcError as exc:
            tally.failed += 1
            tally.failures[f"JSON-RPC error: {str(exc)[:80]}"] += 1
            continue
        tally.latencies.append(time.monotonic() - started)
        if not result.get("isError"):
            tally.ok += 1
            continue
        text = " ".join(block.get("text", "") for block in result.get("content", []))
        if "no access token" in text:
            tally.no_token += 1
        else:
            tally.failed += 1
        tally.failures[text[:100]] += 1


async def sampler(pid: int, samples: list[Sample], stop: asyncio.Event) -> None:
    process = psutil.Process(pid)
    started = time.monotonic()
    while not stop.is_set():
        samples.append(
            Sample(time.monotonic() - started, process.memory_info().rss, process.num_fds())
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)


async def soak(args: argparse.Namespace) -> int:
    config = EmulatorConfig(expires_in=LIFETIME, report_delay=0.1)
    handle = start_emulator(config)
    control = handle.control
    env = {**handle.env(), "OAUTH_REFRESH_MARGIN_SECONDS": str(MARGIN), "LOG_LEVEL": "WARNING"}
    session = StdioSession(SERVE, env, tempfile.gettempdir())
    tally, samples = Tally(), []
    duration = args.minutes * 60
    try:
        await session.start()
        await session.initialize()
        await session.call_tool("GetLimitsList", {})  # the first token, before the clock runs
        control.clear_requests()
        control.set_random_token_faults(
            RandomTokenFaults(
                status_503=args.rate_503,
                status_429=args.rate_429,
                timeout=args.rate_timeout,
                retry_after=RETRY_AFTER,
                hang_seconds=TOKEN_READ_TIMEOUT + 1,  # past the server's 10 s token read timeout
                seed=args.seed,
            )
        )
        stop = asyncio.Event()
        pacer = Pacer(rate=args.calls / duration)
        started = time.monotonic()
        tasks = [
            asyncio.create_task(worker(session, pacer, tally, stop, i))
            for i in range(args.concurrency)
        ]
        monitor = asyncio.create_task(sampler(session.pid, samples, stop))
        while time.monotonic() - started < duration or tally.calls < args.calls:
            await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*tasks, monitor)
        elapsed = time.monotonic() - started
        drawn = control.random_token_faults_drawn()
        control.set_random_token_faults(None)
        status, _ = await session.request("tools/call", {"name": "auth_status", "arguments": {}})
    finally:
        await session.close()
        stats = control.stats()
        handle.stop()
    auth = status.get("structuredContent") or {}
    return report(args, tally, samples, elapsed, {**stats, "drawn": drawn}, auth)


def report(
    args: argparse.Namespace,
    tally: Tally,
    samples: list[Sample],
    elapsed: float,
    stats: dict[str, Any],
    auth: dict[str, Any],
) -> int:
    drawn = stats["drawn"]
    injected = sum(drawn.values())
    # An ideal client renews every REFRESH_INTERVAL and loses only the time a fault imposes: a
    # 429's Retry-After and a hung request's read timeout (a 503 may be retried at once).
    imposed = drawn.get("429", 0) * RETRY_AFTER + drawn.get("timeout", 0) * TOKEN_READ_TIMEOUT
    ideal_grants = max(elapsed - imposed, REFRESH_INTERVAL) / REFRESH_INTERVAL
    ideal_requests = ideal_grants + injected
    requests = stats["token_requests"]
    deviation = abs(requests - ideal_requests) / ideal_requests
    warm = [s for s in samples if s.at >= min(60.0, 0.2 * elapsed)]
    third = max(1, len(warm) // 3)
    early, late = warm[:third], warm[-third:]

    def median(values: list[int]) -> float:
        return statistics.median(values) if values else float("nan")

    rss_early, rss_late = median([s.rss for s in early]), median([s.rss for s in late])
    fds_early, fds_late = median([s.fds for s in early]), median([s.fds for s in late])
    latencies = sorted(tally.latencies)

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    checks = {
        "no call failed that a healthy token could have served": tally.failed == 0,
        f"token requests within {TOKEN_TOLERANCE:.0%} of ideal": deviation <= TOKEN_TOLERANCE,
        f"RSS growth after warm-up <= {RSS_TOLERANCE:.0%}": bool(warm)
        and rss_late <= rss_early * (1 + RSS_TOLERANCE),
        f"open fds growth after warm-up <= {FD_TOLERANCE}": bool(warm)
        and fds_late <= fds_early + FD_TOLERANCE,
        f"at least {args.calls} calls over at least {args.minutes:g} min": tally.calls >= args.calls
        and elapsed >= args.minutes * 60,
    }
    mib = 1024 * 1024
    rows = [
        ("duration", f"{elapsed:.0f} s"),
        ("tool calls (concurrency)", f"{tally.calls} ({args.concurrency})"),
        ("succeeded", str(tally.ok)),
        ("failed, no token after a failed cycle", str(tally.no_token)),
        ("failed otherwise", str(tally.failed)),
        ("call latency p50 / p99 / max", f"{pct(0.5):.1f} / {pct(0.99):.1f} / {pct(1):.0f} ms"),
        ("token lifetime / refresh margin", f"{LIFETIME} s / {MARGIN:g} s"),
        (
            "injected token faults (503 / 429 / timeout)",
            f"{drawn.get('503', 0)} / {drawn.get('429', 0)} / {drawn.get('timeout', 0)}",
        ),
        ("tokens issued", str(stats["tokens_issued"])),
        ("token requests: actual / ideal", f"{requests} / {ideal_requests:.0f}"),
        ("token requests: deviation", f"{deviation:.1%}"),
        ("server: token requests / failures (auth_status)", _auth(auth)),
        (
            "RSS median early / late (after warm-up)",
            f"{rss_early / mib:.1f} / {rss_late / mib:.1f} MiB",
        ),
        ("open fds median early / late", f"{fds_early:g} / {fds_late:g}"),
        ("samples after warm-up", str(len(warm))),
    ]
    lines = ["| soak figure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", "| check | result |", "|---|---|"]
    lines += [f"| {name} | {'pass' if passed else 'FAIL'} |" for name, passed in checks.items()]
    if tally.failures:
        lines += ["", "Error results (first 100 characters), most frequent first:", ""]
        lines += [f"- {count} x `{text}`" for text, count in tally.failures.most_common(5)]
    summary = "\n".join(lines)
    print("\n" + summary)
    if args.record:
        record(summary, args)
    return 0 if all(checks.values()) else 1


def record(summary: str, args: argparse.Namespace) -> None:
    """Put the summary between the soak markers of docs/reliability.md, with how it was run."""
    text = RELIABILITY_DOC.read_text(encoding="utf-8")
    start, end = text.index(SOAK_START) + len(SOAK_START), text.index(SOAK_END)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = f"python -m benchmarks.soak --minutes {args.minutes:g} --calls {args.calls}"
    cpus = psutil.cpu_count() or "?"
    header = (
        f"Run of {when}: `{command} --concurrency {args.concurrency} --seed {args.seed}` on "
        f"{platform.system()} {platform.machine()}, {cpus} CPUs shared with other work, Python "
        f"{platform.python_version()}."
    )
    RELIABILITY_DOC.write_text(
        f"{text[:start]}\n{header}\n\n{summary}\n{text[end:]}", encoding="utf-8"
    )
    print(f"\nrecorded in {RELIABILITY_DOC}")


def _auth(auth: dict[str, Any]) -> str:
    return f"{auth.get('token_requests', '?')} / {auth.get('failures', '?')}"


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(soak(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
