"""Concurrency scenarios: S1 (cold herd), S1b (event-loop stall), S3 and S3d (short-lived tokens).

S3/S3d last a fixed 8 s and count events rather than time them; each contender runs in its own
process against its own emulator (`run_s3_worker`), one after the other as in every scenario.
"""

from __future__ import annotations

import asyncio
import gc
import time
from concurrent.futures import Executor
from typing import Any

from benchmarks.contenders import BY_KEY, Contender, Endpoints, Subject
from benchmarks.scenarios.common import (
    Context,
    Metrics,
    Outcome,
    Sizes,
    attempt,
    count,
    first_call,
    first_error,
    open_subject,
    prime,
)
from benchmarks.servers import Control
from ozon_mcp.domain.token import token_fingerprint

SLOW_TOKEN_SECONDS = 0.5
HEARTBEAT_SECONDS = 0.002
S3_EXPIRES_IN = 3
S3_MARGIN = 1.0
S3_GRACE = 4.0  # seconds after the last wave; calls still unanswered then count as failed


async def s1(contender: Contender, ctx: Context) -> Metrics:
    """S1: 200 concurrent GETs on a cold client; token requests and successes."""
    await ctx.control.reset()
    async with open_subject(contender, ctx.emulator) as subject:
        started = time.perf_counter()
        primed = await prime(subject)
        if primed.error is not None:
            outcomes = [primed]
        else:
            herd = [attempt(subject) for _ in range(ctx.sizes.s1_herd)]
            outcomes = list(await asyncio.gather(*herd))
        wall_ms = (time.perf_counter() - started) * 1e3
    return {
        "token_requests": await ctx.control.token_requests(),
        **count(outcomes),
        "wall_ms": wall_ms,
        "first_error": first_error(outcomes),
    }


class Heartbeat:
    """Sleeps `interval` in a loop and records how late each wake-up was (the loop's stalls)."""

    def __init__(self, interval: float = HEARTBEAT_SECONDS) -> None:
        self.interval = interval
        self.longest = 0.0
        self._running = True

    async def run(self) -> None:
        while self._running:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.longest = max(self.longest, time.perf_counter() - before - self.interval)

    def stop(self) -> None:
        self._running = False


async def s1b(contender: Contender, ctx: Context) -> Metrics:
    """S1b: the longest event-loop stall during a cold first call with a 0.5 s token endpoint."""
    await ctx.control.reset()
    await ctx.control.call("POST", "/token/latency", {"seconds": SLOW_TOKEN_SECONDS})
    # The garbage of the earlier scenarios' clients is collected now, not in the first call:
    # a young-generation collection that freed it took 10 ms inside ours' first call once.
    gc.collect()
    try:
        async with open_subject(contender, ctx.emulator) as subject:
            heartbeat = Heartbeat()
            beating = asyncio.create_task(heartbeat.run())
            await asyncio.sleep(0.02)  # let the heartbeat settle
            started = time.perf_counter()
            outcome = await first_call(subject)
            first_call_ms = (time.perf_counter() - started) * 1e3
            heartbeat.stop()
            await beating
    finally:
        await ctx.control.reset()
    return {
        "max_stall_ms": heartbeat.longest * 1e3,
        "first_call_ms": first_call_ms,
        "first_call_ok": outcome.ok,
        "first_error": outcome.error or "",
    }


# --- S3 / S3d ------------------------------------------------------------------------------------


def _record_401s(subject: Subject, rejected: list[tuple[float, str]]) -> None:
    """Note every 401 the server sends (also those an auth flow then retries): when, which token."""

    async def hook(response: Any) -> None:
        if response.status_code == 401:
            bearer = response.request.headers.get("authorization", "")[7:]
            rejected.append((time.time(), token_fingerprint(bearer)))

    hooks = subject.client.event_hooks
    subject.client.event_hooks = {**hooks, "response": [*hooks["response"], hook]}


async def _waves(
    contender: Contender, endpoints: Endpoints, margin: float | None, sizes: Sizes
) -> Metrics:
    rejected: list[tuple[float, str]] = []
    async with open_subject(contender, endpoints, margin) as subject:
        _record_401s(subject, rejected)
        primed = await prime(subject)
        if primed.error is not None:
            return {**count([primed]), "first_error": primed.error}
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks: list[asyncio.Task[Outcome]] = []
        for wave in range(round(sizes.s3_duration / sizes.s3_interval)):
            await asyncio.sleep(max(0.0, start + wave * sizes.s3_interval - loop.time()))
            tasks += [asyncio.create_task(attempt(subject)) for _ in range(sizes.s3_wave)]
        done, late = await asyncio.wait(tasks, timeout=S3_GRACE)
        for task in late:
            task.cancel()
        outcomes = [task.result() for task in tasks if task in done]
        outcomes += [Outcome(error=f"no answer {S3_GRACE:g} s after the last wave")] * len(late)
        wall_s = loop.time() - start
    return {
        **count(outcomes),
        "server_401s": len(rejected),
        "rejected": rejected[:20],
        "wall_s": wall_s,
        "first_error": first_error(outcomes),
    }


def run_s3_worker(key: str, endpoints: Endpoints, margin: float | None, sizes: Sizes) -> Metrics:
    """Entry point of an S3 worker process: one contender's waves on its own event loop."""
    return asyncio.run(_waves(BY_KEY[key], endpoints, margin, sizes))


def warm_worker() -> None:
    """Give a worker process time to import everything before the timed scenario starts."""
    time.sleep(0.3)


async def _ages(control: Control, rejected: object) -> str:
    """'token age at its 401' for each 401 the server sent, from the emulator's token log."""
    if not isinstance(rejected, list) or not rejected:
        return ""
    logged = (await control.call("GET", "/requests"))["requests"]
    issued = {e["token_fingerprint"]: e["time"] for e in logged if e["kind"] == "token"}
    ages = [
        f"{when - issued[fingerprint]:.2f} s" if fingerprint in issued else "unknown token"
        for when, fingerprint in rejected
    ]
    return ", ".join(ages)


async def s3_each(
    contenders: tuple[Contender, ...], ctx: Context, pool: Executor, *, default_margins: bool
) -> dict[str, Metrics]:
    """S3 (margin 1 s) or S3d (each library's default margin): 3 s tokens, 50 concurrent
    requests every 0.5 s for 8 s; one contender after the other, each in its own process
    with its own emulator.

    Not all at once: in S3d Authlib and httpx-auth request a token for every call, and their
    storms (with their emulators' work) took the 2 cores from the other contenders, whose
    requests then waited past their tokens' 3 s lifetime; that measured the machine, not
    token management."""
    controls = [Control(endpoints.api_base) for endpoints in ctx.s3_emulators]
    try:
        for control in controls:
            await control.reset()
            await control.call("POST", "/token/expires-in", {"seconds": S3_EXPIRES_IN})
        margin = None if default_margins else S3_MARGIN
        loop = asyncio.get_running_loop()
        results = [
            await loop.run_in_executor(
                pool, run_s3_worker, contender.key, endpoints, margin, ctx.sizes
            )
            for contender, endpoints in zip(contenders, ctx.s3_emulators, strict=False)
        ]
        counted: dict[str, Metrics] = {}
        for contender, control, metrics in zip(contenders, controls, results, strict=False):
            counted[contender.key] = {
                "token_requests": await control.token_requests(),
                **metrics,
                "rejected": await _ages(control, metrics.pop("rejected", [])),
            }
        return counted
    finally:
        for control in controls:
            await control.reset()
            await control.aclose()
