"""What each transport's container observes per tool call: stdio has nobody to scrape metrics."""

from __future__ import annotations

import anyio
from mcp_support import emulator_settings

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.mcp.call_log import CallLog
from ozon_mcp.adapters.mcp.metrics import ServiceMetrics
from ozon_mcp.app.container import close_container
from ozon_mcp.app.runtime import build_container


def test_stdio_logs_each_call_but_keeps_no_prometheus_metrics(emulator: EmulatorHandle) -> None:
    container = build_container(emulator_settings(emulator), publish_metrics=False)
    listeners = container.call_listeners()
    assert [type(listener) for listener in listeners] == [CallLog]
    anyio.run(close_container, container)


def test_http_logs_and_counts_each_call(emulator: EmulatorHandle) -> None:
    container = build_container(emulator_settings(emulator))
    listeners = container.call_listeners()
    assert sorted(type(listener).__name__ for listener in listeners) == [
        CallLog.__name__,
        ServiceMetrics.__name__,
    ]
    assert any(listener is container.service_metrics() for listener in listeners)
    anyio.run(close_container, container)
