"""The run: start the servers, run every scenario x contender over the repetitions, collect.

Within a scenario the contenders are interleaved: repetition 1 runs A B C ..., repetition 2 runs
A B C ... again, so slow drifts of the machine hit every contender alike and each repetition has
its own floor to compare with.
"""

from __future__ import annotations

import asyncio
import compileall
import multiprocessing
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import mcp_level
from benchmarks.contenders import CONTENDERS, MANAGERS, Contender, Endpoints
from benchmarks.results import Runs
from benchmarks.scenarios import cost, faults, herd
from benchmarks.scenarios.common import Context, Metrics, Sizes
from benchmarks.servers import (
    Control,
    ServerProcess,
    emulator_argv,
    fast_server_argv,
    fetch_static_token,
    launch,
    wait_ready,
)

PerContender = Callable[[Contender, Context], Awaitable[Metrics]]
AllAtOnce = Callable[[tuple[Contender, ...], Context], Awaitable[dict[str, Metrics]]]

# Run one contender at a time: (name, scenario, whether the floors take part).
SEQUENTIAL: tuple[tuple[str, PerContender, bool], ...] = (
    ("S1", herd.s1, True),
    ("S1b", herd.s1b, True),
    ("S4", faults.s4, False),
    ("S4r", faults.s4r, False),
    ("S5", faults.s5, False),
    ("S6", faults.s6, False),
    ("S7a", faults.s7_malformed, False),
    ("S7b", faults.s7_missing_expires_in, False),
    ("S7c", faults.s7_float_string, False),
)
# Cost scenarios: every contender in each repetition, interleaved in chunks (see cost.py),
# after one small unrecorded round that pays the process's first-use costs.
INTERLEAVED: tuple[tuple[str, AllAtOnce], ...] = (
    ("S2", cost.s2),
    ("S2s", cost.s2s),
    ("S2m", cost.s2m),
)
OWN_PROCESS = ("S3", "S3d")
EARLY = ("S1", "S1b")
FAULTS = tuple(name for name, _, _ in SEQUENTIAL if name not in EARLY)
ALL_SCENARIOS = (*EARLY, *(name for name, _ in INTERLEAVED), *OWN_PROCESS, *FAULTS, "MCP")


@dataclass(frozen=True)
class Plan:
    """What to run: repetitions, sizes and the selected scenarios."""

    reps: int
    sizes: Sizes
    mcp_sizes: mcp_level.McpSizes
    scenarios: tuple[str, ...]
    workdir: Path
    mcp_reps: int = 0  # 0: the same as `reps`


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _endpoints(server: ServerProcess, token: str) -> Endpoints:
    return Endpoints(server.token_url, server.base_url, token)


def _record(runs: Runs, name: str, key: str, metrics: Metrics) -> None:
    runs.setdefault(name, {}).setdefault(key, []).append(metrics)


async def _run_sequential(plan: Plan, ctx: Context, runs: Runs, names: tuple[str, ...]) -> None:
    for name, scenario, with_floors in SEQUENTIAL:
        if name not in plan.scenarios or name not in names:
            continue
        contenders = CONTENDERS if with_floors else MANAGERS
        for rep in range(plan.reps):
            for contender in contenders:
                started = time.perf_counter()
                metrics = await scenario(contender, ctx)
                _record(runs, name, contender.key, metrics)
                progress(
                    f"{name} rep {rep + 1}/{plan.reps} {contender.label}: "
                    f"{time.perf_counter() - started:.1f} s"
                )


async def _run_interleaved(plan: Plan, ctx: Context, runs: Runs) -> None:
    for name, scenario in INTERLEAVED:
        if name not in plan.scenarios:
            continue
        await scenario(CONTENDERS, replace(ctx, sizes=ctx.sizes.warm_up()))
        for rep in range(plan.reps):
            started = time.perf_counter()
            for key, metrics in (await scenario(CONTENDERS, ctx)).items():
                _record(runs, name, key, metrics)
            progress(
                f"{name} rep {rep + 1}/{plan.reps} all contenders interleaved: "
                f"{time.perf_counter() - started:.1f} s"
            )


async def _run_in_own_processes(plan: Plan, ctx: Context, runs: Runs) -> None:
    selected = [name for name in OWN_PROCESS if name in plan.scenarios]
    if not selected:
        return
    spawn = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=len(MANAGERS), mp_context=spawn) as pool:
        await asyncio.gather(
            *(loop.run_in_executor(pool, herd.warm_worker) for _ in range(len(MANAGERS)))
        )
        for name in selected:
            for rep in range(plan.reps):
                started = time.perf_counter()
                counted = await herd.s3_each(MANAGERS, ctx, pool, default_margins=name == "S3d")
                for key, metrics in counted.items():
                    _record(runs, name, key, metrics)
                progress(
                    f"{name} rep {rep + 1}/{plan.reps} each manager in its own process: "
                    f"{time.perf_counter() - started:.1f} s"
                )


async def _run_mcp(plan: Plan, emulator: ServerProcess, runs: Runs) -> None:
    if "MCP" not in plan.scenarios:
        return
    # As a pip-installed wheel ships them (pip compiles at install): with PYTHONDONTWRITEBYTECODE
    # set, as on the machine of the recorded runs, every start would otherwise compile from
    # source each module of the checkout changed since its last .pyc (ours and the floor's).
    for folder in ("src", "benchmarks"):
        compileall.compile_dir(mcp_level.ROOT / folder, quiet=1)
    control = Control(emulator.base_url)
    try:
        await control.reset()
        token = await fetch_static_token(emulator.token_url)  # earlier scenarios revoked tokens
        contenders = mcp_level.mcp_contenders(emulator, token, plan.workdir)
        # One unrecorded round first: the first start after an install reads every module
        # from disk, which would land in one contender's M1.
        await mcp_level.measure_rep(contenders, plan.mcp_sizes.warm_up(), control)
        reps = plan.mcp_reps or plan.reps
        for rep in range(reps):
            started = time.perf_counter()
            measured = await mcp_level.measure_rep(contenders, plan.mcp_sizes, control)
            for key, metrics in measured.items():
                _record(runs, "MCP", key, metrics)
            progress(f"MCP rep {rep + 1}/{reps} all servers: {time.perf_counter() - started:.1f} s")
    finally:
        await control.aclose()


async def run(plan: Plan) -> Runs:
    """Run the plan; servers are always stopped, even on failure."""
    emulators = [launch(f"emulator {i}", emulator_argv(generic=True)) for i in range(len(MANAGERS))]
    fast = launch("fast server", fast_server_argv())
    servers = [*emulators, fast]
    runs: Runs = {}
    try:
        for server in servers:
            wait_ready(server)
        main = emulators[0]
        ctx = Context(
            emulator=_endpoints(main, await fetch_static_token(main.token_url)),
            control=Control(main.base_url),
            s3_emulators=tuple(_endpoints(e, "") for e in emulators),
            fast=_endpoints(fast, await fetch_static_token(fast.token_url)),
            sizes=plan.sizes,
        )
        try:
            await _run_sequential(plan, ctx, runs, EARLY)
            await _run_interleaved(plan, ctx, runs)
            await _run_in_own_processes(plan, ctx, runs)
            await _run_sequential(plan, ctx, runs, FAULTS)
            await _run_mcp(plan, main, runs)
        finally:
            await ctx.control.aclose()
    finally:
        for server in servers:
            server.stop()
    return runs
