"""`ozon-mcp serve` over stdio with LOG_FORMAT=json: every stderr line is a JSON object, each tool
call is one `tool_call` event with tool, outcome, duration and upstream status, and no argument
value reaches the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp_support import result_text, stdio_serve, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorHandle

MARKER_ID = "918273645546372819"  # an argument value that must never be logged


@pytest.mark.anyio
async def test_json_log_lines_with_one_event_per_tool_call(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    env = subprocess_env({**emulator.env(), "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"})
    emulator.control.set_operation_fault("GetLimitsList", status=400, count=1)  # never retried
    stderr_path = tmp_path / "stderr.log"
    async with stdio_serve(env, stderr_path) as client:
        failing = await client.call_tool("GetLimitsList", {})
        objects = await client.call_tool("ListCampaignObjects", {"campaignId": MARKER_ID})
        invalid = await client.call_tool("ListCampaigns", {"page": MARKER_ID + "x"})
    assert failing.is_error
    assert not objects.is_error, result_text(objects)
    assert invalid.is_error
    lines = [line for line in stderr_path.read_text(encoding="utf-8").splitlines() if line]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    events = [record for record in records if record.get("event") == "tool_call"]
    assert [(e["tool"], e["outcome"], e["upstream_status"]) for e in events] == [
        ("GetLimitsList", "api_error", 400),
        ("ListCampaignObjects", "ok", 200),
        ("ListCampaigns", "rejected", None),
    ]
    for event in events:
        assert event["logger"] == "ozon_mcp.calls"
        assert isinstance(event["duration_ms"], float)
        assert event["duration_ms"] >= 0
    assert isinstance(events[1]["upstream_ms"], float)
    assert MARKER_ID not in stderr_path.read_text(encoding="utf-8")
    assert any("serving 40 tools" in record["message"] for record in records)
