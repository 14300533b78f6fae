"""Cost scenarios: S2 (async, loopback), S2s (sync, loopback), S2m (async, in-process transport).

One repetition opens a client per contender, obtains its token and warms it up, then times N
sequential GETs per contender in 100 interleaved chunks (A B C ... B C A ... C A B ...: the
order rotates by one each chunk), so that a slow phase of the machine hits every contender
alike and none always runs after the same one. Chunks are short (200 calls in S2m, about
40 ms) because the machine's speed drifts over seconds: with 10 chunks of 2,000 calls, the
ratio of two identical clients spread by +-12% between repetitions. The cyclic garbage
collector runs between chunks, not during them, over a heap whose set-up objects are frozen
(so each collection is cheap). Both wall time and the
benchmark process's CPU time are recorded; with the in-process transport (S2m) they are equal
on an idle machine, and CPU time is immune to other processes competing for the cores.
Each contender authenticates to the fast server under its own client_id, so the server counts
its token requests apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from benchmarks.contenders import Contender, Endpoints
from benchmarks.scenarios.common import PATH, Context, Metrics, describe
from benchmarks.servers import fast_server_counts

CHUNKS = 100
T = TypeVar("T")


@dataclass
class _Tally:
    """What one contender's chunks added up to."""

    wall: float = 0.0
    cpu: float = 0.0
    calls: int = 0
    failures: int = 0
    error: str = ""

    def metrics(self) -> Metrics:
        if not self.calls:
            return {"failed_calls": self.failures, "first_error": self.error}
        return {
            "us_per_call": self.wall / self.calls * 1e6,
            "cpu_us_per_call": self.cpu / self.calls * 1e6,
            "failed_calls": self.failures,
            "first_error": self.error,
        }


def rotated(subjects: Mapping[str, T], chunk: int) -> list[tuple[str, T]]:
    """The contenders in the order of `chunk`: each starts one place later than in the
    previous chunk, so every contender runs after every other about equally often (in a fixed
    order, one always paid for what the one before it left behind: caches, garbage)."""
    items = list(subjects.items())
    shift = chunk % len(items) if items else 0
    return items[shift:] + items[:shift]


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Move every object alive now out of the collector's sight (`gc.freeze`): the clients
    and the imported modules are not garbage, and the collection before each chunk then looks
    only at what the chunks left behind (a full collection of the whole heap took 60 ms)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def quiet_collector() -> Iterator[None]:
    """A full collection before a timed chunk, none during it (as `timeit` does): the cyclic
    collector then runs at no contender's expense."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed_chunks(
    subjects: Mapping[str, T], tallies: Mapping[str, _Tally], calls: int
) -> Iterator[tuple[T, _Tally]]:
    """Every contender's chunks of `calls` calls, in rotating order; the caller makes the calls
    of each chunk it is handed, and the time until it asks for the next one is that chunk's."""
    with frozen_heap():
        for chunk in range(CHUNKS):
            for key, subject in rotated(subjects, chunk):
                tally = tallies[key]
                with quiet_collector():
                    wall, cpu = time.perf_counter(), time.process_time()
                    yield subject, tally
                    tally.wall += time.perf_counter() - wall
                    tally.cpu += time.process_time() - cpu
                tally.calls += calls


def own_endpoints(ctx: Context, contender: Contender) -> Endpoints:
    """The fast server, with a client_id of the contender's own."""
    return replace(ctx.fast, client_id=f"bench-{contender.key}")


async def _async_rep(
    contenders: tuple[Contender, ...], ctx: Context, calls: int, mock: bool
) -> dict[str, _Tally]:
    subjects = {c.key: c.make(own_endpoints(ctx, c), None, mock) for c in contenders}
    tallies = {key: _Tally() for key in subjects}
    try:
        for key, subject in subjects.items():
            try:
                await subject.prime()
                for _ in range(ctx.sizes.warmup_calls):
                    await subject.get(PATH)
            except Exception as exc:
                tallies[key].error = describe(exc)
        live = {key: s for key, s in subjects.items() if not tallies[key].error}
        per_chunk = calls // CHUNKS
        for subject, tally in timed_chunks(live, tallies, per_chunk):
            for _ in range(per_chunk):
                tally.failures += (await subject.get(PATH)) != 200
    finally:
        for subject in subjects.values():
            await subject.aclose()
    return tallies


def _sync_rep(contenders: tuple[Contender, ...], ctx: Context, calls: int) -> dict[str, _Tally]:
    subjects = {}
    for contender in contenders:
        assert contender.make_sync is not None
        subjects[contender.key] = contender.make_sync(own_endpoints(ctx, contender), None, False)
    tallies = {key: _Tally() for key in subjects}
    try:
        for subject in subjects.values():
            subject.prime()
            for _ in range(ctx.sizes.warmup_calls):
                subject.get(PATH)
        per_chunk = calls // CHUNKS
        for subject, tally in timed_chunks(subjects, tallies, per_chunk):
            for _ in range(per_chunk):
                tally.failures += subject.get(PATH) != 200
    finally:
        for subject in subjects.values():
            subject.close()
    return tallies


async def _counted(
    ctx: Context, contenders: tuple[Contender, ...], measure: Awaitable[dict[str, _Tally]]
) -> dict[str, Metrics]:
    """Run `measure` (not started yet) and add each contender's token requests to its tally."""
    before = await fast_server_counts(ctx.fast.api_base)
    tallies = await measure
    after = await fast_server_counts(ctx.fast.api_base)
    counted: dict[str, Metrics] = {}
    for contender in contenders:
        client = f"bench-{contender.key}"
        requested = after["token_requests"].get(client, 0) - before["token_requests"].get(client, 0)
        counted[contender.key] = {"token_requests": requested, **tallies[contender.key].metrics()}
    return counted


async def s2(contenders: tuple[Contender, ...], ctx: Context) -> dict[str, Metrics]:
    """S2: sequential async GETs over loopback to the fast server."""
    return await _counted(ctx, contenders, _async_rep(contenders, ctx, ctx.sizes.s2_calls, False))


async def s2s(contenders: tuple[Contender, ...], ctx: Context) -> dict[str, Metrics]:
    """S2s: the same with the sync clients, in a worker thread."""
    return await _counted(
        ctx,
        contenders,
        asyncio.to_thread(_sync_rep, contenders, ctx, ctx.sizes.s2_calls),
    )


async def s2m(contenders: tuple[Contender, ...], ctx: Context) -> dict[str, Metrics]:
    """S2m: sequential async GETs answered by an in-process MockTransport (no sockets)."""
    return await _counted(ctx, contenders, _async_rep(contenders, ctx, ctx.sizes.s2m_calls, True))
