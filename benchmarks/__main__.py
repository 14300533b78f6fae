"""`python -m benchmarks`: run the benchmarks, write `.bench/results.json`, print the tables and
(after a full run) refresh the generated part of `docs/benchmarks.md`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import report, runner
from benchmarks.contenders import BY_KEY, CONTENDERS
from benchmarks.mcp_level import McpSizes
from benchmarks.results import Results, build_results
from benchmarks.scenarios.common import Sizes
from benchmarks.targets import evaluate

ROOT = Path(__file__).resolve().parent.parent
MCP_COLUMNS = [
    ("floor", "floor (low-level Server)"),
    ("ours", "ozon-mcp serve"),
    ("fastmcp", "FastMCP from_openapi"),
    ("ours-slow-token", "ozon-mcp, 1 s token endpoint"),
]
# tools/list sizes (M4): each server with its default descriptions, and ours' two variants.
SIZE_ROWS = (
    report.SizeRow("floor", "floor (low-level Server)", "the spec's one-line summaries"),
    report.SizeRow("ours", "ozon-mcp serve (default)", "lean (`OZON_MCP_DESCRIPTIONS=lean`)"),
    report.SizeRow("ours-full", "ozon-mcp serve", "`OZON_MCP_DESCRIPTIONS=full`: the spec's text"),
    report.SizeRow("ours-read-only", "ozon-mcp serve, `OZON_MCP_READ_ONLY=1`", "lean"),
    report.SizeRow("fastmcp", "FastMCP from_openapi", "its defaults, with output schemas"),
)
MCP_MIN_REPS = 9
ERROR_SCENARIOS = ("S4", "S4r", "S5", "S6", "S7a", "S7b", "S7c")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--reps", type=int, default=3, help="repetitions (at least 3 to record)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only",
        help="comma-separated scenarios (" + ",".join(runner.ALL_SCENARIOS) + ")",
    )
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "results.json")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true", help="never touch the docs")
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="only the replica benchmarks: token requests per lifetime, HTTP throughput",
    )
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    return args


def _selected(only: str | None) -> tuple[str, ...]:
    if not only:
        return runner.ALL_SCENARIOS
    wanted = tuple(name.strip() for name in only.split(",") if name.strip())
    unknown = [name for name in wanted if name not in runner.ALL_SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}")
    return wanted


def _load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def _meta(
    args: argparse.Namespace, plan: runner.Plan, started: float, load_before: str
) -> dict[str, object]:
    command = os.environ.get("BENCH_COMMAND") or shlex.join(
        ["python", "-m", "benchmarks", *sys.argv[1:]]
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "command": command,
        "repetitions": args.reps,
        "mcp_repetitions": plan.mcp_reps,
        "quick": args.quick,
        "duration_s": round(time.perf_counter() - started, 1),
        "load_average_before": load_before,
        "load_average_after": _load(),
    }


def render(results: Results, meta: dict[str, object]) -> str:
    """The Markdown printed at the end and kept in the docs."""
    labels = {c.key: c.label for c in CONTENDERS}
    token_columns = [(c.key, c.label) for c in CONTENDERS]
    parts = [
        f"Run of {meta['date']}: Python {meta['python']} on {meta['platform']}, "
        f"{meta['cpu_count']} CPUs, {meta['repetitions']} repetitions "
        f"({meta['mcp_repetitions']} at the MCP level), "
        f"{meta['duration_s']} s; load average (1/5/15 min) {meta['load_average_before']} "
        f"before, {meta['load_average_after']} after.\n\nCommand: `{meta['command']}`",
        "### Token managers (medians; ratios are medians of per-repetition ratios)",
        report.table(results, report.TOKEN_ROWS, token_columns),
        "### MCP servers over stdio",
        report.table(results, report.MCP_ROWS, MCP_COLUMNS),
        "### tools/list sizes (M4)",
        report.sizes_table(results, SIZE_ROWS),
        "### Targets",
        report.targets_table(evaluate(results)),
        "### Errors seen by callers (first per contender)",
        report.errors_section(results, ERROR_SCENARIOS, labels) or "(none)",
    ]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the libraries' own warnings would flood stderr
    if args.scaling:  # docs/scaling.md
        from benchmarks.scaling import run as run_scaling

        return run_scaling(args.quick, args.out.with_name("scaling.json"))
    sizes, mcp_sizes = Sizes(), McpSizes()
    if args.quick:
        sizes, mcp_sizes = sizes.quick(), mcp_sizes.quick()
    # The MCP level is cheap and its start-up times are the noisiest metric: at least 5 reps.
    mcp_reps = args.reps if args.quick else max(args.reps, MCP_MIN_REPS)
    plan = runner.Plan(args.reps, sizes, mcp_sizes, _selected(args.only), ROOT / ".bench", mcp_reps)
    load_before = _load()
    started = time.perf_counter()
    runs = asyncio.run(runner.run(plan))

    def floor_of(key: str) -> str | None:
        contender = BY_KEY.get(key)
        return contender.floor if contender else None

    results = build_results(runs, floor_of)
    meta = _meta(args, plan, started, load_before)
    report.write_json(results, meta, args.out)
    markdown = render(results, meta)
    print(markdown)
    full = plan.scenarios == runner.ALL_SCENARIOS and not args.quick and args.reps >= 3
    if full and not args.no_docs:
        report.update_docs(args.docs, markdown)
        print(f"updated {args.docs}", file=sys.stderr)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
