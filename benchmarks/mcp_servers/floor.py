"""The MCP-level floor: a minimal low-level mcp `Server` with the spec's 40 tool names.

Each tool is listed with its one-line summary and an open object schema; a call fills the path
template from the arguments and forwards the rest (query for GET/DELETE, JSON body otherwise)
through one shared httpx2 client with a static token. No validation, no token management.
Run with BENCH_SPEC, API_BASE_URL and STATIC_TOKEN set: `python -m benchmarks.mcp_servers.floor`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import types
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

_METHODS = ("get", "post", "put", "patch", "delete")
_TEMPLATE = re.compile(r"{([^{}/]+)}")


@dataclass(frozen=True)
class Operation:
    """What the floor needs to forward one tool call."""

    method: str
    path: str
    summary: str


def operations(spec: dict[str, Any]) -> dict[str, Operation]:
    """operationId -> operation, for every operation of the spec."""
    found = {}
    for path, item in spec["paths"].items():
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation.get("operationId"):
                summary = str(operation.get("summary") or "").splitlines()[0:1]
                found[operation["operationId"]] = Operation(method.upper(), path, "".join(summary))
    return found


def build(spec: dict[str, Any], client: httpx2.AsyncClient) -> Server[Any]:
    """The floor server over `client`."""
    table = operations(spec)
    listed = types.ListToolsResult(
        tools=[
            types.Tool(name=name, description=op.summary, input_schema={"type": "object"})
            for name, op in table.items()
        ]
    )

    async def list_tools(
        _ctx: ServerRequestContext[Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listed

    async def call_tool(
        _ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        operation = table[params.name]
        arguments = dict(params.arguments or {})
        path = _TEMPLATE.sub(lambda m: str(arguments.pop(m.group(1), "")), operation.path)
        if operation.method in ("GET", "DELETE"):
            response = await client.request(operation.method, path, params=arguments)
        else:
            response = await client.request(operation.method, path, json=arguments)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=response.text)],
            is_error=response.is_error,
        )

    return Server("mcp-floor", on_list_tools=list_tools, on_call_tool=call_tool)


async def serve() -> None:
    """Serve over stdio until stdin closes."""
    spec = json.loads(Path(os.environ["BENCH_SPEC"]).read_text(encoding="utf-8"))
    async with httpx2.AsyncClient(
        base_url=os.environ["API_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['STATIC_TOKEN']}"},
    ) as client:
        server = build(spec, client)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(serve)
