"""`ozon-mcp report`: a whole statistics report from a shell, with the same engine and settings
as the `get_campaign_statistics` MCP tool.

The merged result goes to FILE (`-o`) or stdout; progress goes to stderr (a progress bar when
stderr is a terminal, plain lines otherwise); a failure exits non-zero with a clear message.
`--emulator` runs the command against a built-in emulator started for it (no credentials
needed), which is how the README shows it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ozon_mcp.app.settings import EXIT_CONFIG, Settings, report_problems

if TYPE_CHECKING:
    from ozon_mcp.adapters.reports import MergedReport, ReportProgress, ReportRequest

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
# Flag names for the engine's argument names, so input errors name what the user typed.
_FLAGS = {
    "campaigns": "--campaigns",
    "date_from": "--from",
    "date_to": "--to",
    "group_by": "--group-by",
    "kind": "--kind",
    "detail": "--detail",
}
_EMULATOR_REPORT_DELAY = 0.3  # seconds: emulated reports finish quickly
# The engine's names, spelled out so that building the CLI parser imports no engine code
# (a unit test keeps them equal to ReportKind and GROUP_BY_VALUES).
KIND_CHOICES = (
    "statistics",
    "video",
    "attribution",
    "search_promo_orders",
    "search_promo_products",
)
GROUP_BY_CHOICES = ("NO_GROUP_BY", "DATE", "START_OF_WEEK", "START_OF_MONTH")


def add_report_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register `report` on the CLI's sub-command parsers; returns its parser."""
    report = commands.add_parser(
        "report",
        help="fetch a statistics report (all batches, merged) to a file or stdout",
        description=(
            "Fetch an Ozon Performance statistics report in one step: split into batches of "
            "at most 10 campaigns and 62 days, submitted one at a time, polled with backoff, "
            "downloaded, parsed and merged. Uses the same settings as `ozon-mcp serve`."
        ),
    )
    report.add_argument(
        "--campaigns", default="", metavar="IDS", help="campaign ids, comma-separated (1,2,3)"
    )
    report.add_argument(
        "--from", dest="date_from", required=True, metavar="DATE", help="first day, YYYY-MM-DD"
    )
    report.add_argument(
        "--to", dest="date_to", required=True, metavar="DATE", help="last day, YYYY-MM-DD"
    )
    report.add_argument(
        "--group-by", default="NO_GROUP_BY", type=str.upper, choices=GROUP_BY_CHOICES
    )
    report.add_argument("--kind", default="statistics", choices=KIND_CHOICES)
    report.add_argument(
        "--detail",
        default="rows",
        choices=["rows", "summary"],
        help="json format only: rows and totals, or the totals only",
    )
    report.add_argument("--format", dest="output_format", default="csv", choices=["csv", "json"])
    report.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout"
    )
    report.add_argument(
        "--emulator",
        action="store_true",
        help="run against a built-in emulator started for this command (a demo; no credentials)",
    )
    return report


def run_report(settings: Settings, args: argparse.Namespace, *, err: TextIO | None = None) -> int:
    """Run `ozon-mcp report` with parsed `args`; returns the exit code."""
    import anyio

    from ozon_mcp.adapters.reports import ReportError, ReportInputError, ReportRequest
    from ozon_mcp.app.logging_setup import configure_logging
    from ozon_mcp.domain.errors import OzonMcpError

    stderr = err or sys.stderr
    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)
    if settings.log_level != "DEBUG":
        # The spec's repairs are news for `check` and `serve`, noise above a report.
        logging.getLogger("ozon_mcp.openapi").setLevel(logging.ERROR)
    try:
        request = ReportRequest.build(
            campaigns=[part for part in args.campaigns.split(",") if part.strip()],
            date_from=args.date_from,
            date_to=args.date_to,
            group_by=args.group_by,
            kind=args.kind,
            detail=args.detail,
        )
    except ReportInputError as exc:
        name, _, rest = str(exc).partition(":")
        print(f"ozon-mcp report: {_FLAGS.get(name, name)}:{rest}", file=stderr)
        return EXIT_CONFIG
    with _maybe_emulator(settings, args.emulator) as effective:
        problems = effective.connection_problems()
        if problems:
            return report_problems(problems)
        try:
            merged = anyio.run(_fetch, effective, request, stderr)
        except KeyboardInterrupt:
            print("ozon-mcp report: interrupted; nothing written", file=stderr)
            return EXIT_INTERRUPTED
        except (ReportError, OzonMcpError) as exc:
            print(f"ozon-mcp report: {exc}", file=stderr)
            return EXIT_FAILED
    text = _render(merged, args.output_format)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"ozon-mcp report: -o {args.output}: cannot write: {exc}", file=stderr)
            return EXIT_FAILED
        print(f"ozon-mcp report: {len(merged.rows)} rows written to {args.output}", file=stderr)
    return EXIT_OK


def _render(merged: MergedReport, output_format: str) -> str:
    from ozon_mcp.adapters.reports import Detail

    if output_format == "csv":
        return merged.to_csv()
    if merged.request.detail is Detail.SUMMARY:
        import json

        return json.dumps({"summary": merged.summary()}, ensure_ascii=False, indent=1) + "\n"
    return merged.to_json() + "\n"


async def _fetch(settings: Settings, request: ReportRequest, stderr: TextIO) -> MergedReport:
    import anyio

    from ozon_mcp.app.container import Container

    container = Container(settings=settings)
    engine = container.report_engine()
    try:
        with _progress_display(stderr) as show:
            return await engine.run(request, show)
    finally:
        with anyio.CancelScope(shield=True):
            await container.upstream().aclose()
            await container.token_provider().aclose()


@contextlib.contextmanager
def _progress_display(stderr: TextIO) -> Iterator[Any]:
    """A rich progress bar on a terminal, else one plain line per progress step."""
    if not stderr.isatty():

        async def plain(step: ReportProgress) -> None:
            print(f"ozon-mcp report: {step.message}", file=stderr, flush=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.1f}/{task.total:.0f} reports"),
        TimeElapsedColumn(),
        console=Console(file=stderr),
        transient=False,
    )
    task = bar.add_task("starting", total=1)  # the real count comes with the first step

    async def fancy(step: ReportProgress) -> None:
        bar.update(task, completed=step.progress, total=step.total, description=step.message)

    with bar:
        yield fancy


@contextlib.contextmanager
def _maybe_emulator(settings: Settings, wanted: bool) -> Iterator[Settings]:
    """`settings`, or settings pointing at a built-in emulator started for this command."""
    if not wanted:
        yield settings
        return
    from pydantic import SecretStr

    from ozon_mcp.adapters.emulator import EmulatorConfig, start_emulator

    handle = start_emulator(EmulatorConfig(report_delay=_EMULATOR_REPORT_DELAY))
    try:
        yield settings.model_copy(
            update={
                "oauth_client_id": handle.config.client_id,
                "oauth_client_secret": SecretStr(handle.config.secret_value),
                "oauth_token_url": handle.token_url,
                "api_base_url": handle.base_url,
                "ozon_mcp_report_poll_seconds": 0.1,
                "ozon_mcp_report_poll_max_seconds": 0.5,
            }
        )
    finally:
        handle.stop()
