"""Helpers for the OpenAPI unit tests: fixture paths and small hand-made specs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ozon_mcp.adapters.openapi import LoadedSpec, OperationTool, build_tools, repair_spec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "specs"
HMRC = FIXTURES / "hmrc-hello-world-1.0.openapi.json"
PAYPAL = FIXTURES / "paypal-notifications-webhooks-v1.openapi.json"
VIRTO = FIXTURES / "virto-commerce-inventory.openapi.json"
GENERIC_SPECS = (HMRC, PAYPAL, VIRTO)


def read_json(path: Path) -> Any:
    """The parsed content of a fixture file."""
    return json.loads(path.read_text(encoding="utf-8"))


def make_spec(
    paths: dict[str, Any], schemas: dict[str, Any] | None = None, **components: Any
) -> LoadedSpec:
    """A minimal OpenAPI 3.0 document around `paths`, repaired like a loaded one."""
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "test", "version": "1"},
        "paths": paths,
    }
    if schemas is not None or components:
        document["components"] = {**components}
        if schemas is not None:
            document["components"]["schemas"] = schemas
    return repair_spec(document, "test-spec")


def one_tool(
    operation: dict[str, Any],
    *,
    path: str = "/things",
    method: str = "post",
    schemas: dict[str, Any] | None = None,
    **components: Any,
) -> OperationTool:
    """Build the single tool of a spec holding just `operation`."""
    tools = build_tools(make_spec({path: {method: operation}}, schemas, **components))
    assert len(tools) == 1
    return tools[0]


def json_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """A requestBody object with one application/json media type."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


# MCP's defaults for a hint a tool leaves out (ToolAnnotations in the MCP specification),
# written out here so that a wrong default in the code under test cannot hide itself.
MCP_HINT_DEFAULTS = {
    "readOnlyHint": False,
    "destructiveHint": True,
    "idempotentHint": False,
    "openWorldHint": True,
}
WRITE_ONLY_HINTS = ("destructiveHint", "idempotentHint")  # MCP defines them for writes only


def effective_hints(hints: Mapping[str, Any] | None) -> dict[str, bool]:
    """The hints of a tool as an MCP client reads them: each value given, else MCP's default;
    destructive/idempotent only for a tool that is not read-only."""
    given = {name: value for name, value in (hints or {}).items() if value is not None}
    effective = {
        name: bool(given.get(name, default)) for name, default in MCP_HINT_DEFAULTS.items()
    }
    if effective["readOnlyHint"]:
        for name in WRITE_ONLY_HINTS:
            del effective[name]
    return effective
