"""The `auth_status` tool: the token's state for humans and agents, never the token itself."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcp import types

AUTH_STATUS_TOOL = types.Tool(
    name="auth_status",
    title="Authentication status",
    description=(
        "Shows the upstream OAuth token state: state, seconds to expiry, token requests made, "
        "cache hits, refreshes, failures and the last error, and today's upstream request "
        "budget (used, remaining, when it resets). Never shows the token."
    ),
    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
    # Only the hints that differ from MCP's defaults (`OperationAnnotations.as_mcp` says why);
    # the title is the tool's own.
    annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
)


def auth_status_result(status: Mapping[str, Any]) -> types.CallToolResult:
    """Render the provider's counters as structured content plus readable text."""
    data = dict(status)
    lines = [f"{key}: {value}" for key, value in data.items()]
    return types.CallToolResult(
        content=[types.TextContent(type="text", text="\n".join(lines))],
        structured_content=json.loads(json.dumps(data, default=str)),
        is_error=False,
    )
