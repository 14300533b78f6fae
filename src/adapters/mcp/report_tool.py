"""The `get_campaign_statistics` tool: a whole Ozon statistics report in one call.

It runs the reports engine (split, queue, submit, poll, download, merge), sends MCP progress
notifications at every state change and poll when the client asked for progress, stops at once
when the call is cancelled (the SDK cancels the handler's scope), and answers with the summary
and the rows as structured content plus compact text, within OZON_MCP_MAX_RESPONSE_BYTES. When
the rows do not fit, the full merged CSV is kept as an MCP resource and linked from the result.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mcp import types
from mcp.server import ServerRequestContext

from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.adapters.mcp.resources import ReportResources, StoredReport
from ozon_mcp.adapters.openapi import scrub
from ozon_mcp.adapters.reports import (
    GROUP_BY_VALUES,
    Detail,
    MergedReport,
    ReportEngine,
    ReportError,
    ReportInputError,
    ReportProgress,
    ReportRequest,
)
from ozon_mcp.adapters.reports.plan import MAX_CAMPAIGNS_PER_REPORT, MAX_DAYS_PER_REPORT
from ozon_mcp.domain.errors import TokenAcquisitionError

log = logging.getLogger("ozon_mcp.reports.tool")

REPORT_TOOL_NAME = "get_campaign_statistics"
_ARGUMENTS = ("campaigns", "date_from", "date_to", "group_by", "kind", "detail")
_SUMMARY_SHARE = 0.5  # of the byte limit, at most, for the summary before rows are added


def report_input_schema(engine: ReportEngine) -> dict[str, Any]:
    """The tool's input schema (only the kinds the loaded spec can produce)."""
    kinds = [kind.value for kind in engine.supported_kinds()]
    return {
        "type": "object",
        "properties": {
            "campaigns": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9]+$"},
                "description": "Campaign ids (ListCampaigns shows them); any number: "
                f"they are fetched {MAX_CAMPAIGNS_PER_REPORT} per report. Leave out for the "
                "search_promo_* kinds, which cover the whole account.",
            },
            "date_from": {
                "type": "string",
                "format": "date",
                "description": "First day, YYYY-MM-DD (included).",
            },
            "date_to": {
                "type": "string",
                "format": "date",
                "description": "Last day, YYYY-MM-DD (included); any length: fetched "
                f"{MAX_DAYS_PER_REPORT} days per report.",
            },
            "group_by": {
                "type": "string",
                "enum": list(GROUP_BY_VALUES),
                "default": "NO_GROUP_BY",
                "description": "Rows per day (DATE), week or month, or one per item.",
            },
            "kind": {
                "type": "string",
                "enum": kinds,
                "default": "statistics",
                "description": "statistics = campaign statistics; video; attribution (banner "
                "orders); search_promo_orders / search_promo_products (pay-per-order).",
            },
            "detail": {
                "type": "string",
                "enum": ["rows", "summary"],
                "default": "rows",
                "description": "summary = totals per campaign and overall only.",
            },
        },
        "required": ["date_from", "date_to"],
        "additionalProperties": False,
    }


class ReportTool:
    """The tool, its progress plumbing and its answer; registered on the server next to the
    operation tools."""

    name = REPORT_TOOL_NAME

    def __init__(
        self,
        engine: ReportEngine,
        resources: ReportResources,
        *,
        max_response_bytes: int,
        secrets: Callable[[], Sequence[str] | Scrubber] | None = None,
    ) -> None:
        self._engine = engine
        self.resources = resources
        self._max_bytes = max_response_bytes
        self._secrets: Callable[[], Sequence[str] | Scrubber] = secrets or (lambda: ())
        self.input_schema = report_input_schema(engine)
        self.wire_tool = types.Tool(
            name=REPORT_TOOL_NAME,
            title="Campaign statistics report",
            description=(
                "Fetches an Ozon Performance statistics report in one call and returns merged, "
                "typed rows plus totals per campaign and overall. Handles Ozon's limits for you "
                f"({MAX_CAMPAIGNS_PER_REPORT} campaigns and {MAX_DAYS_PER_REPORT} days per "
                "report, one report at a time per account): submits, waits with backoff "
                "(progress notifications), downloads and parses. Use this instead of "
                "SubmitRequest/StatisticsCheck/DownloadStatistics. Large results link the full "
                "CSV as a resource."
            ),
            input_schema=self.input_schema,
            # Only the hints that differ from MCP's defaults (`OperationAnnotations.as_mcp`).
            annotations=types.ToolAnnotations(read_only_hint=True),
        )

    async def call(
        self, ctx: ServerRequestContext[Any] | None, arguments: Mapping[str, Any] | None
    ) -> types.CallToolResult:
        """Run one report call; never raises except for cancellation."""
        try:
            return await self._call(ctx, dict(arguments or {}))
        except ReportInputError as exc:
            return _error(f"{REPORT_TOOL_NAME}: invalid arguments: {exc}")
        except ReportError as exc:
            return _error(scrub(f"{REPORT_TOOL_NAME}: {exc}", self._secrets()))
        except TokenAcquisitionError as exc:
            return _error(
                scrub(f"{REPORT_TOOL_NAME}: no access token: {exc.message}", self._secrets())
            )
        except Exception:  # the last line of defence: the log has the details
            log.exception("%s failed unexpectedly", REPORT_TOOL_NAME)
            return _error(f"{REPORT_TOOL_NAME}: internal error in ozon-mcp (details in its log)")

    async def _call(
        self, ctx: ServerRequestContext[Any] | None, arguments: dict[str, Any]
    ) -> types.CallToolResult:
        unknown = sorted(set(arguments) - set(_ARGUMENTS))
        if unknown:
            raise ReportInputError(
                f"unknown argument(s) {', '.join(unknown)}; expected {', '.join(_ARGUMENTS)}"
            )
        for name in ("date_from", "date_to"):
            if not isinstance(arguments.get(name), str):
                raise ReportInputError(f"{name}: required, a date in the form YYYY-MM-DD")
        campaigns = arguments.get("campaigns")
        if campaigns is not None and (
            not isinstance(campaigns, list) or not all(isinstance(c, str | int) for c in campaigns)
        ):
            raise ReportInputError("campaigns: a list of campaign ids")
        request = ReportRequest.build(
            campaigns=campaigns,
            date_from=arguments["date_from"],
            date_to=arguments["date_to"],
            group_by=_optional_text(arguments, "group_by"),
            kind=_optional_text(arguments, "kind"),
            detail=_optional_text(arguments, "detail"),
        )

        async def progress(step: ReportProgress) -> None:
            if ctx is None:
                return
            # A no-op when the client sent no progress token (see the SDK's report_progress).
            await ctx.session.report_progress(step.progress, step.total, step.message)

        merged = await self._engine.run(request, progress)
        return self._answer(merged)

    def _answer(self, merged: MergedReport) -> types.CallToolResult:
        """Summary + rows, cut to the byte limit; the full CSV kept as a resource if cut.

        The text carries the same rows as CSV lines, since many clients show the model only
        the text; the text and the structured content together stay within the limit.
        """
        summary = merged.summary()
        with_rows = merged.request.detail is Detail.ROWS
        rows = merged.row_documents() if with_rows else []
        csv_header, *csv_rows = merged.csv_lines() if with_rows else [""]
        structured: dict[str, Any] = {"summary": summary}
        if with_rows:
            structured["rows"] = rows
        lines = _summary_lines(summary, with_rows)
        full = lines + ([csv_header, *csv_rows] if with_rows else [])
        if _size(structured) + _size("\n".join(full)) <= self._max_bytes:
            return _result(full, structured, [])
        # Too big: keep everything as a resource, then show what fits.
        description = (
            f"{summary['kind']} report, {summary['date_from']}..{summary['date_to']}, "
            f"{len(merged.rows)} rows, merged CSV"
        )
        stored = self.resources.keep(
            f"{summary['kind']}-{summary['date_from']}-{summary['date_to']}.csv",
            description,
            merged.to_csv(),
        )
        if _size(summary) * 2 > self._max_bytes * _SUMMARY_SHARE:
            summary = {key: value for key, value in summary.items() if key != "per_campaign"}
            summary["per_campaign_omitted"] = len(merged.per_campaign)
            lines = _summary_lines(summary, with_rows)
        note = _cut_note(self._max_bytes, len(merged.rows), stored)
        base = _size(summary) + _size("\n".join([*lines, csv_header, note])) + 300
        shown = _rows_that_fit(rows, csv_rows, self._max_bytes - base)
        while True:  # the estimate is close; check the real sizes and shrink if needed
            structured = {
                "summary": summary,
                "rows": rows[:shown],
                "truncated": {
                    "rows_shown": shown,
                    "rows_total": len(merged.rows),
                    "full_csv": stored.uri if stored else None,
                },
            }
            note = _cut_note(self._max_bytes, len(merged.rows), stored, shown)
            text = [*lines, *([csv_header, *csv_rows[:shown]] if with_rows else []), note]
            if shown == 0 or _size(structured) + _size("\n".join(text)) <= self._max_bytes:
                break
            shown = shown * 9 // 10
        links = [stored.as_link()] if stored else []
        return _result(text, structured, links)


def _cut_note(limit: int, total: int, stored: StoredReport | None, shown: int = 0) -> str:
    if stored is None:
        return (
            f"cut to {limit} bytes: {shown} of {total} rows shown; the full CSV is too large "
            "to keep in memory: run `ozon-mcp report` from a shell"
        )
    return (
        f"cut to {limit} bytes: {shown} of {total} rows shown; the full merged CSV "
        f"({stored.size} bytes) is at {stored.uri} (resources/read)"
    )


def _result(
    lines: Sequence[str], structured: dict[str, Any], links: list[types.ResourceLink]
) -> types.CallToolResult:
    content: list[types.ContentBlock] = [types.TextContent(type="text", text="\n".join(lines))]
    content.extend(links)
    return types.CallToolResult(content=content, structured_content=structured, is_error=False)


def _summary_lines(summary: Mapping[str, Any], with_rows: bool) -> list[str]:
    campaigns = summary.get("campaigns") or []
    who = f"{len(campaigns)} campaign(s)" if campaigns else "the account"
    lines = [
        f"{summary['kind']} report for {who}, {summary['date_from']}..{summary['date_to']}, "
        f"group_by {summary['group_by']}: {summary['row_count']} rows from "
        f"{summary['batches']} Ozon report(s)",
        "totals: " + _figures(summary.get("totals") or {}),
    ]
    for item in summary.get("per_campaign") or []:
        lines.append(
            f"campaign {item['campaign']}: {item['rows']} rows; {_figures(item['totals'])}"
        )
    if with_rows:
        lines.append("rows (CSV; also as JSON in the structured content):")
    return lines


def _figures(totals: Mapping[str, Any]) -> str:
    return "; ".join(f"{key} {value}" for key, value in totals.items()) or "none"


def _rows_that_fit(rows: list[dict[str, Any]], csv_rows: list[str], budget: int) -> int:
    """How many leading rows fit in `budget` bytes, as JSON plus as CSV lines."""
    used = 0
    for count, (row, line) in enumerate(zip(rows, csv_rows, strict=False)):
        used += _size(row) + _size(line) + 2
        if used > budget:
            return count
    return len(rows)


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8"))


def _optional_text(arguments: Mapping[str, Any], name: str) -> str | None:
    value = arguments.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportInputError(f"{name}: must be a string")
    return value


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)
