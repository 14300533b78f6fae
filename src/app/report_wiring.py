"""Wiring of the statistics reports (issue 12): the engine and the MCP tool from the settings.

Kept out of container.py so the container only names the providers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ozon_mcp.adapters.mcp.report_tool import ReportTool
from ozon_mcp.adapters.mcp.resources import ReportResources
from ozon_mcp.adapters.mcp.server import ServerHooks
from ozon_mcp.adapters.mcp.upstream import UpstreamClient
from ozon_mcp.adapters.openapi import OperationTool
from ozon_mcp.adapters.reports import PollSchedule, ReportEngine, ReportQueue
from ozon_mcp.app.settings import Settings

log = logging.getLogger("ozon_mcp.reports")


def make_report_engine(
    settings: Settings,
    upstream: UpstreamClient,
    tools: Sequence[OperationTool],
    queue: ReportQueue,
) -> ReportEngine:
    """The engine on the shared upstream client; one queue slot per OAuth client id."""
    first = settings.ozon_mcp_report_poll_seconds
    schedule = PollSchedule(first, max(first, settings.ozon_mcp_report_poll_max_seconds))
    return ReportEngine(
        upstream,
        {tool.name: tool for tool in tools},
        queue,
        account=settings.oauth_client_id or "default",
        schedule=schedule,
        max_wait_seconds=settings.ozon_mcp_report_timeout_seconds,
    )


def make_report_tool(
    engine: ReportEngine, resources: ReportResources, hooks: ServerHooks
) -> ReportTool | None:
    """The `get_campaign_statistics` tool, or None when the spec has no report operations."""
    if not engine.supported_kinds():
        log.debug("the spec has no statistics report operations; no report tool")
        return None
    return ReportTool(
        engine, resources, max_response_bytes=hooks.max_response_bytes, secrets=hooks.secrets
    )
