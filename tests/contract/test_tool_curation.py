"""Curation end to end: the settings (and CLI flags) decide what tools/list shows and what
`tools/call` accepts; a typo in a tool list stops `serve` naming the valid choices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import MCPError
from mcp_support import effective_hints, emulator_settings, mcp_session, result_text, run_cli
from test_cli_commands import EXIT_CONFIG

from ozon_mcp.adapters.emulator import EmulatorHandle


@pytest.mark.anyio
async def test_read_only_mode_lists_and_serves_only_safe_tools(emulator: EmulatorHandle) -> None:
    settings = emulator_settings(emulator, ozon_mcp_read_only=True, ozon_mcp_exclude_tools="Vendor")
    async with mcp_session(settings) as session:
        listed = {tool.name: tool for tool in (await session.client.list_tools()).tools}
        limits = await session.call("GetLimitsList")
        try:
            hidden = await session.call("DeactivateCampaign", {"campaignId": "1"})
            refused = hidden.is_error and "unknown tool" in result_text(hidden)
        except MCPError:
            refused = True
    # reads and report preparation, minus Vendor, + auth_status and get_campaign_statistics
    assert len(listed) == 27 - 4 + 2
    assert "auth_status" in listed
    assert "DeactivateCampaign" not in listed
    assert "GetVendorTag" not in listed
    assert effective_hints(listed["SubmitRequest"].annotations)["readOnlyHint"] is False
    assert effective_hints(listed["ExternalCampaign_GetCPOMinBids"].annotations)["readOnlyHint"]
    assert not limits.is_error, result_text(limits)
    assert refused
    assert not [r for r in emulator.control.requests if r.operation_id == "DeactivateCampaign"]


def test_serve_with_an_unknown_tool_name_exits_2_listing_valid_ones(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    done = run_cli(["serve", "--tools", "ListCampaings,Campaign"], tmp_path, emulator.env())
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert done.stdout == ""
    assert "OZON_MCP_TOOLS (--tools): 'ListCampaings' matches no tool, tag or glob" in done.stderr
    assert "Valid tags: Ad, Campaign" in done.stderr
    assert "ListCampaigns" in done.stderr
    assert "Traceback" not in done.stderr
    env = {**emulator.env(), "OZON_MCP_EXCLUDE_TOOLS": "Statistic"}
    done = run_cli(["serve"], tmp_path, env)
    assert done.returncode == EXIT_CONFIG
    assert "OZON_MCP_EXCLUDE_TOOLS (--exclude-tools): 'Statistic'" in done.stderr


@pytest.mark.anyio
async def test_descriptions_full_restores_the_spec_text(emulator: EmulatorHandle) -> None:
    async with mcp_session(emulator_settings(emulator)) as session:
        lean = {tool.name: tool for tool in (await session.client.list_tools()).tools}
    full_settings = emulator_settings(emulator, ozon_mcp_descriptions="FULL")
    async with mcp_session(full_settings) as session:
        full = {tool.name: tool for tool in (await session.client.list_tools()).tools}
    assert lean.keys() == full.keys()
    assert lean["SubmitRequest"].title is None
    assert full["SubmitRequest"].title == "Статистика по кампании"
    assert "Performance API асинхронный" in (full["SubmitRequest"].description or "")
    assert "Вернёт UUID для StatisticsCheck" in (lean["SubmitRequest"].description or "")
    assert len(json.dumps([t.model_dump(mode="json") for t in lean.values()])) < len(
        json.dumps([t.model_dump(mode="json") for t in full.values()])
    )
