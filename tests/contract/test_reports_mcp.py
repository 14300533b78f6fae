"""`get_campaign_statistics` over real MCP sessions against the emulator: the merged result of
many batches (checked against the emulator's own files, read independently), progress
notifications, the resource link, one report at a time, cancellation, ERROR, 429 and the daily
request budget."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.types import CallToolResult, ResourceLink, TextResourceContents
from mcp_support import emulator_settings, mcp_session, result_text, stdio_serve, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.app.container import Container

pytestmark = pytest.mark.anyio
TOOL = "get_campaign_statistics"
FAST_POLLING = {"ozon_mcp_report_poll_seconds": 0.05, "ozon_mcp_report_poll_max_seconds": 0.2}
VIEWS, SPENT = "Показы", "Расход, ₽, с НДС"


def _settings(emulator: EmulatorHandle, **extra: Any) -> Any:
    return emulator_settings(emulator, **FAST_POLLING, **extra)


def _campaigns(count: int) -> list[str]:
    return [str(5_000_000 + i) for i in range(count)]


def _statuses(emulator: EmulatorHandle, operation: str | None = None) -> list[int | None]:
    return [
        r.status
        for r in emulator.control.requests
        if r.kind == "api" and (operation is None or r.operation_id == operation)
    ]


def _independent_totals(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> tuple[dict[str, dict[str, Any]], int]:
    """Every report the product downloaded, fetched again and summed with the stdlib only."""
    uuids = [
        parse_qs(r.query)["UUID"][0]
        for r in emulator.control.requests
        if r.operation_id == "DownloadStatistics"
    ]
    per_campaign: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"rows": 0, VIEWS: 0, SPENT: Decimal(0), "dates": set()}
    )
    for report_uuid in uuids:
        response = api_client.get("/api/client/statistics/report", params={"UUID": report_uuid})
        assert response.status_code == 200
        if response.content.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                files = {n.removesuffix(".csv"): archive.read(n) for n in archive.namelist()}
        else:
            title = response.content.decode().splitlines()[0]
            files = {re.search(r"№ (\d+)", title).group(1): response.content}  # type: ignore[union-attr]
        for campaign, data in files.items():
            lines = list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";"))
            header = lines[1]
            for line in lines[2:]:
                if line[0] == "Всего":
                    continue
                row = dict(zip(header, line, strict=True))
                item = per_campaign[campaign]
                item["rows"] += 1
                item[VIEWS] += int(row[VIEWS])
                item[SPENT] += Decimal(row[SPENT].replace(",", "."))
                item["dates"].add(row["Дата"])
    return per_campaign, len(uuids)


async def test_25_campaigns_over_90_days_make_one_merged_correct_result_with_progress(
    emulator: EmulatorHandle, api_client: httpx2.Client
) -> None:
    campaigns = _campaigns(25)
    messages: list[str] = []
    values: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        values.append(progress)
        messages.append(message or "")
        assert total == 6

    async with mcp_session(_settings(emulator), mode="legacy") as session:
        result = await session.client.call_tool(
            TOOL,
            {
                "campaigns": campaigns,
                "date_from": "2026-01-01",
                "date_to": "2026-03-31",
                "group_by": "DATE",
            },
            progress_callback=on_progress,
        )
        assert not result.is_error, result_text(result)
        summary = result.structured_content["summary"]  # type: ignore[index]
        links = [block for block in result.content if isinstance(block, ResourceLink)]
        assert len(links) == 1  # 4500 rows do not fit in 100,000 bytes
        listed = await session.client.list_resources()
        assert [r.uri for r in listed.resources] == [links[0].uri]
        read = await session.client.read_resource(links[0].uri)

    # Progress: every state change and poll, growing, ending at 6 of 6.
    assert values == sorted(values)
    assert len(set(values)) == len(values)
    assert values[-1] == 6
    assert messages[0].startswith("batch 1/6: submitted (campaigns 5000000,")
    polls = [m for m in messages if re.fullmatch(r"batch [1-6]/6: [A-Z_]+, \d+ s", m)]
    assert {m.split(": ")[1].split(",")[0] for m in polls} >= {"IN_PROGRESS", "OK"}
    assert sum(m.startswith("batch 6/6: downloaded") for m in messages) == 1

    # The result, checked against the emulator's files read with the stdlib only.
    expected, reports = _independent_totals(emulator, api_client)
    assert reports == 6
    assert summary["batches"] == 6
    assert summary["row_count"] == 25 * 90 * 2
    days = {(date(2026, 1, 1) + timedelta(days=i)).strftime("%d.%m.%Y") for i in range(90)}
    assert sorted(expected) == sorted(campaigns)
    per_campaign = {item["campaign"]: item for item in summary["per_campaign"]}
    for campaign in campaigns:
        assert expected[campaign]["dates"] == days
        assert per_campaign[campaign]["rows"] == expected[campaign]["rows"] == 180
        assert per_campaign[campaign]["totals"][VIEWS] == expected[campaign][VIEWS]
        assert Decimal(str(per_campaign[campaign]["totals"][SPENT])) == expected[campaign][SPENT]
    assert summary["totals"][VIEWS] == sum(item[VIEWS] for item in expected.values())
    overall_spent = sum(item[SPENT] for item in expected.values())
    assert Decimal(str(summary["totals"][SPENT])) == overall_spent

    # Nothing lost: the resource holds every row.
    (contents,) = read.contents
    assert isinstance(contents, TextResourceContents)
    assert contents.mime_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(contents.text)))
    assert len(rows) == 4500
    assert sum(int(row[VIEWS]) for row in rows) == summary["totals"][VIEWS]
    assert sum(Decimal(row[SPENT]) for row in rows) == overall_spent
    shown = result.structured_content["rows"]  # type: ignore[index]
    assert 0 < len(shown) < 4500
    assert shown[0]["campaign"] == rows[0]["campaign"]
    assert shown[0][VIEWS] == int(rows[0][VIEWS])
    compact = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
    structured_bytes = len(compact.encode())
    assert len(result_text(result).encode()) + structured_bytes <= 100_000
    assert links[0].uri in result_text(result)
    text_lines = result_text(result).splitlines()
    csv_lines = contents.text.splitlines()
    at = text_lines.index(csv_lines[0])  # the CSV header, then the rows shown, in the text too
    assert text_lines[at + 1 : at + 1 + len(shown)] == csv_lines[1 : 1 + len(shown)]
    assert f"{len(shown)} of 4500 rows shown" in text_lines[-1]
    assert _statuses(emulator) == [200] * len(_statuses(emulator))  # not one 429


async def test_a_small_report_fits_whole_and_one_campaign_downloads_as_csv(
    emulator: EmulatorHandle,
) -> None:
    async with mcp_session(_settings(emulator)) as session:
        result = await session.call(
            TOOL, {"campaigns": ["77"], "date_from": "2026-02-01", "date_to": "2026-02-03"}
        )
        summary_only = await session.call(
            TOOL,
            {
                "campaigns": ["77", "78"],
                "date_from": "2026-02-01",
                "date_to": "2026-02-03",
                "detail": "summary",
            },
        )
        assert (await session.client.list_resources()).resources == []
    assert not result.is_error, result_text(result)
    assert not any(isinstance(block, ResourceLink) for block in result.content)
    structured = result.structured_content
    assert structured is not None
    assert [row["campaign"] for row in structured["rows"]] == ["77", "77"]  # NO_GROUP_BY
    assert structured["summary"]["per_campaign"][0]["campaign"] == "77"
    text = result_text(result)
    assert "statistics report for 1 campaign(s), 2026-02-01..2026-02-03" in text
    csv_part = text.split("rows (CSV; also as JSON in the structured content):\n")[1]
    parsed = list(csv.DictReader(io.StringIO(csv_part)))
    assert [row["campaign"] for row in parsed] == ["77", "77"]
    assert [int(row[VIEWS]) for row in parsed] == [row[VIEWS] for row in structured["rows"]]
    assert summary_only.structured_content is not None
    assert "rows" not in summary_only.structured_content
    assert summary_only.structured_content["summary"]["row_count"] == 4


async def test_two_concurrent_calls_never_have_two_reports_in_progress(
    emulator: EmulatorHandle,
) -> None:
    settings = _settings(emulator)
    container = Container(settings=settings)
    results: dict[str, CallToolResult] = {}
    async with mcp_session(settings, container=container) as session:

        async def ask(name: str, campaigns: list[str]) -> None:
            results[name] = await session.call(
                TOOL, {"campaigns": campaigns, "date_from": "2026-01-01", "date_to": "2026-01-05"}
            )

        async with anyio.create_task_group() as group:
            group.start_soon(ask, "a", _campaigns(12))
            group.start_soon(ask, "b", [str(9_000_000 + i) for i in range(12)])
    for result in results.values():
        assert not result.is_error, result_text(result)
        assert result.structured_content["summary"]["batches"] == 2  # type: ignore[index]
    assert _statuses(emulator, "SubmitRequest") == [200, 200, 200, 200]
    assert 429 not in _statuses(emulator)  # the emulator enforces one report per account
    assert container.report_queue().peak_active == 1


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_cancellation_stops_polling_at_once(emulator: EmulatorHandle, mode: str) -> None:
    emulator.control.set_report_delay(30)  # never finishes within the test
    container = Container(settings=_settings(emulator))
    submitted = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message and ": IN_PROGRESS" in message:
            submitted.set()

    async with Client(container.mcp_server(), mode=mode) as client:
        async with anyio.create_task_group() as group:

            async def ask() -> None:
                await client.call_tool(
                    TOOL,
                    {"campaigns": ["1"], "date_from": "2026-01-01", "date_to": "2026-01-02"},
                    progress_callback=on_progress,
                )

            group.start_soon(ask)
            with anyio.fail_after(10):
                await submitted.wait()
            group.cancel_scope.cancel()
        checks = len(_statuses(emulator, "StatisticsCheck"))
        await anyio.sleep(0.6)  # three polling intervals at the test's 0.2 s cap
        assert len(_statuses(emulator, "StatisticsCheck")) == checks
        assert not container.report_queue().busy(emulator.config.client_id)
    await container.upstream().aclose()
    await container.token_provider().aclose()


async def test_an_error_report_names_the_batch_and_ozons_message(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.fail_next_reports(1, "кампания 5000003 недоступна")
    async with mcp_session(_settings(emulator)) as session:
        result = await session.call(
            TOOL, {"campaigns": _campaigns(11), "date_from": "2026-01-01", "date_to": "2026-01-02"}
        )
    assert result.is_error
    text = result_text(result)
    assert text.startswith(f"{TOOL}: batch 1/2 (campaigns 5000000,")
    assert "2026-01-01..2026-01-02): report " in text
    assert text.endswith("ended in ERROR: кампания 5000003 недоступна")
    assert len(_statuses(emulator, "SubmitRequest")) == 1  # batch 2 was not submitted


async def test_a_429_on_submit_is_waited_out(emulator: EmulatorHandle) -> None:
    emulator.control.set_operation_fault(
        "SubmitRequest",
        status=429,
        count=1,
        headers={"Retry-After": "1"},
        body=b'{"error": "too many requests"}',
    )
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with mcp_session(_settings(emulator)) as session:
        result = await session.client.call_tool(
            TOOL,
            {"campaigns": ["1"], "date_from": "2026-01-01", "date_to": "2026-01-01"},
            progress_callback=on_progress,
        )
    assert not result.is_error, result_text(result)
    assert _statuses(emulator, "SubmitRequest") == [429, 200]
    assert "batch 1/1: Ozon asks to wait 1 s (too many requests)" in messages


async def test_a_long_429_names_the_limit_and_when_it_resets(emulator: EmulatorHandle) -> None:
    emulator.control.set_operation_fault(
        "SubmitRequest",
        status=429,
        count=1,
        headers={"Retry-After": "7200"},
        body=b'{"error": "daily request limit exceeded: 100000 requests per day"}',
    )
    async with mcp_session(_settings(emulator)) as session:
        result = await session.call(
            TOOL, {"campaigns": ["1"], "date_from": "2026-01-01", "date_to": "2026-01-01"}
        )
    assert result.is_error
    text = result_text(result)
    assert "Ozon refused SubmitRequest with 429 (the daily request limit" in text
    assert re.search(r"it resets at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(in 7200 s\)", text)
    assert _statuses(emulator, "SubmitRequest") == [429]


async def test_the_daily_budget_stops_calls_before_ozon_does(emulator: EmulatorHandle) -> None:
    async with mcp_session(_settings(emulator, ozon_mcp_daily_request_budget=5)) as session:
        emulator.control.set_report_delay(30)
        result = await session.call(
            TOOL, {"campaigns": ["1"], "date_from": "2026-01-01", "date_to": "2026-01-01"}
        )
        raw = await session.call("GetLimitsList", {})
        status = await session.call("auth_status", {})
    assert result.is_error
    assert "StatisticsCheck: daily request budget exhausted; resets at " in result_text(result)
    assert raw.is_error
    assert "daily request budget exhausted; resets at" in result_text(raw)
    assert status.structured_content is not None
    assert status.structured_content["daily_requests_used"] == 5
    assert status.structured_content["daily_request_budget"] == 5
    assert status.structured_content["daily_requests_remaining"] == 0
    assert len(_statuses(emulator)) == 5  # the refused calls never left the process
    assert 429 not in _statuses(emulator)


async def test_bad_arguments_name_the_argument(emulator: EmulatorHandle) -> None:
    async with mcp_session(_settings(emulator)) as session:
        bad_date = await session.call(
            TOOL, {"campaigns": ["1"], "date_from": "01.01.2026", "date_to": "2026-01-02"}
        )
        unknown = await session.call(
            TOOL, {"campaign": ["1"], "date_from": "2026-01-01", "date_to": "2026-01-02"}
        )
        tools = {tool.name: tool for tool in (await session.client.list_tools()).tools}
    assert bad_date.is_error
    assert result_text(bad_date).startswith(f"{TOOL}: invalid arguments: date_from: ")
    assert "unknown argument(s) campaign" in result_text(unknown)
    assert tools[TOOL].input_schema["required"] == ["date_from", "date_to"]
    assert _statuses(emulator) == []


@pytest.mark.parametrize(
    ("kind", "campaigns", "submit", "first_column"),
    [
        ("video", ["11", "12"], "VideoCampaignsSubmitRequest", "ID баннера"),
        ("attribution", ["11", "12"], "AttributionSubmitRequest", "ID заказа"),
        ("search_promo_orders", None, "SearchPromoOrdersReportSubmitRequest", "ID заказа"),
        ("search_promo_products", None, "SearchPromoProductsReportSubmitRequest", "sku"),
    ],
)
async def test_every_report_kind_over_two_ranges(
    emulator: EmulatorHandle,
    kind: str,
    campaigns: list[str] | None,
    submit: str,
    first_column: str,
) -> None:
    arguments: dict[str, Any] = {"kind": kind, "date_from": "2026-01-01", "date_to": "2026-03-11"}
    if campaigns:
        arguments["campaigns"] = campaigns
    async with mcp_session(_settings(emulator)) as session:
        result = await session.call(TOOL, arguments)
    assert not result.is_error, result_text(result)
    summary = result.structured_content["summary"]  # type: ignore[index]
    assert summary["kind"] == kind
    assert summary["batches"] == 2  # 70 days: 62 + 8
    assert first_column in summary["columns"]
    owners = [item["campaign"] for item in summary["per_campaign"]]
    assert owners == (campaigns or [None])
    assert summary["row_count"] == 2 * 2 * len(campaigns or [None])
    assert _statuses(emulator, submit) == [200, 200]


async def test_progress_over_stdio_from_a_served_process(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The real transport: `ozon-mcp serve` over stdio, the SDK client with a progress
    callback."""
    env = subprocess_env(
        {
            **emulator.env(),
            "OZON_MCP_REPORT_POLL_SECONDS": "0.05",
            "OZON_MCP_REPORT_POLL_MAX_SECONDS": "0.2",
            "LOG_LEVEL": "WARNING",
        }
    )
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with stdio_serve(env, tmp_path / "stderr.log") as client:
        result = await client.call_tool(
            TOOL,
            {"campaigns": _campaigns(11), "date_from": "2026-01-01", "date_to": "2026-01-07"},
            progress_callback=on_progress,
        )
    assert not result.is_error, result_text(result)
    assert result.structured_content is not None
    assert result.structured_content["summary"]["batches"] == 2
    assert messages[0].startswith("batch 1/2: submitted")
    assert messages[-1] == "batch 2/2: downloaded, 1 table(s), 2 row(s)"
    assert any(re.fullmatch(r"batch 2/2: OK, \d+ s", m) for m in messages)
