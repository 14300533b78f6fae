"""LOG_FORMAT=json: every line parses as one JSON object; a tool call is one structured event
without argument values."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from ozon_mcp.adapters.mcp.call_log import CallLog
from ozon_mcp.adapters.mcp.observability import ToolCallEvent
from ozon_mcp.app.log_format import JsonLinesFormatter
from ozon_mcp.app.logging_setup import configure_logging


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger configured as `serve` does for LOG_FORMAT=json, writing to a buffer."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("INFO", "json")
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_json_formatter_is_selected_and_each_line_parses(json_lines: io.StringIO) -> None:
    log = logging.getLogger("ozon_mcp.test")
    log.info('plain message with "quotes"\nand a newline')
    log.warning(
        "with fields", extra={"count": 3, "ratio": 0.5, "names": ["a", "b"], "obj": object()}
    )
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    lines = json_lines.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["message"] == 'plain message with "quotes"\nand a newline'
    assert first["level"] == "INFO"
    assert first["logger"] == "ozon_mcp.test"
    assert str(first["time"]).endswith("Z")
    assert second["count"] == 3
    assert second["ratio"] == 0.5
    assert second["names"] == ["a", "b"]
    assert str(second["obj"]).startswith("<object object")
    assert "ValueError: boom" in str(third["exception"])


def test_a_tool_call_is_one_event_without_arguments(json_lines: io.StringIO) -> None:
    calls = CallLog()
    calls.tool_called(ToolCallEvent("ListCampaigns", "ok", 0.0123, 200, 0.01))
    calls.tool_called(ToolCallEvent("GetLimitsList", "failed", 0.5, None, 0.5))
    calls.tool_called(ToolCallEvent("ListCampaigns", "rejected", 0.0004))
    ok, failed, rejected = parsed(json_lines)
    assert ok["event"] == "tool_call"
    assert ok["tool"] == "ListCampaigns"
    assert ok["outcome"] == "ok"
    assert ok["duration_ms"] == 12.3
    assert ok["upstream_status"] == 200
    assert ok["upstream_ms"] == 10.0
    assert ok["level"] == "INFO"
    assert failed["level"] == "WARNING"
    assert failed["upstream_status"] is None
    assert rejected["level"] == "INFO"
    assert rejected["upstream_ms"] is None
    allowed = {
        "time",
        "level",
        "logger",
        "message",
        "event",
        "tool",
        "outcome",
        "duration_ms",
        "upstream_status",
        "upstream_ms",
    }
    assert set(ok) <= allowed


def test_the_formatter_prefers_the_scrubbed_exception_text() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "m", (), None)
    record.exc_text = "Traceback ... [REDACTED]"
    assert (
        json.loads(JsonLinesFormatter().format(record))["exception"] == "Traceback ... [REDACTED]"
    )
