"""One log event per tool call (`ozon_mcp.calls`, INFO): tool, outcome, duration, upstream
status and latency as structured fields, so `LOG_FORMAT=json` gives one parseable line each.

Argument values are never logged: they may hold business data (campaign ids, bids, budgets).
"""

from __future__ import annotations

import logging

from ozon_mcp.adapters.mcp.observability import FAILED, ToolCallEvent

log = logging.getLogger("ozon_mcp.calls")

TOOL_CALL_EVENT = "tool_call"


class CallLog:
    """A `CallListener` that logs each finished tool call."""

    def tool_called(self, event: ToolCallEvent) -> None:
        """Log `event` at INFO (WARNING for a call that got no answer: no token, network)."""
        level = logging.WARNING if event.outcome == FAILED else logging.INFO
        if not log.isEnabledFor(level):
            return
        duration_ms = round(event.seconds * 1000, 1)
        upstream_ms = (
            round(event.upstream_seconds * 1000, 1) if event.upstream_seconds is not None else None
        )
        status = f"HTTP {event.upstream_status}" if event.upstream_status else "no upstream answer"
        log.log(
            level,
            "tool %s: %s in %.1f ms (%s)",
            event.tool,
            event.outcome,
            duration_ms,
            status,
            extra={
                "event": TOOL_CALL_EVENT,
                "tool": event.tool,
                "outcome": event.outcome,
                "duration_ms": duration_ms,
                "upstream_status": event.upstream_status,
                "upstream_ms": upstream_ms,
            },
        )
