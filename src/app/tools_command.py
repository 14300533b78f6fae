"""`ozon-mcp tools [--json]`: the tools the current configuration exposes, and how each one
authenticates, without contacting the network and without printing any secret.

`--json` prints one object, a stable interface for scripts and tests::

    {"api_base_url": str, "api_base_url_source": "env" | "spec",
     "token_url": str | null, "token_url_source": "env" | "spec" | null,
     "oauth_scheme": str | null, "token_request": {"format": "json" | "form",
     "client_auth": "post" | "basic", "scope": str | null, "strategy": "union" | "per-operation"},
     "tools_list_bytes": int,
     "tools": [{"name", "method", "path", "read_only": bool, "input_schema_bytes": int,
                "auth": {"type": "oauth2_client_credentials", "scheme": str, "scopes": [str]}
                      | {"type": "none"}
                      | {"type": "api_key" | "http_bearer" | "http_basic", "scheme": str}
                      | {"type": "unavailable", "reason": str}}]}

`tools_list_bytes` is the size of the tools/list result the server sends (compact JSON,
`auth_status` included). The tool list is the container's, so any curation applies.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from mcp import types

from ozon_mcp.adapters.mcp.server import to_mcp_tool
from ozon_mcp.adapters.mcp.status import AUTH_STATUS_TOOL
from ozon_mcp.adapters.openapi import OperationTool, SpecError
from ozon_mcp.adapters.openapi.security import ToolAuth, Unavailable
from ozon_mcp.app.api_profile import ApiProfile
from ozon_mcp.app.container import Container
from ozon_mcp.app.logging_setup import configure_logging
from ozon_mcp.app.settings import Settings, report_problems
from ozon_mcp.domain.errors import ConfigurationError

EXIT_OK = 0


def tools_list_bytes(tools: Sequence[OperationTool]) -> int:
    """The size in bytes of the tools/list result for `tools` (as the server publishes it)."""
    wire = [to_mcp_tool(tool) for tool in tools]
    if AUTH_STATUS_TOOL.name not in {tool.name for tool in tools}:
        wire.append(AUTH_STATUS_TOOL)
    result = types.ListToolsResult(tools=wire)
    return len(result.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8"))


def describe(profile: ApiProfile, tools: Sequence[OperationTool], strategy: str) -> dict[str, Any]:
    """The `--json` object (see the module docstring)."""
    return {
        "api_base_url": profile.api_base_url,
        "api_base_url_source": profile.api_base_url_source,
        "token_url": profile.token_url,
        "token_url_source": profile.token_url_source,
        "oauth_scheme": profile.oauth_scheme,
        "token_request": {
            "format": profile.request_format,
            "client_auth": profile.client_auth,
            "scope": profile.scope,
            "strategy": "per-operation" if profile.per_operation else strategy,
        },
        "tools_list_bytes": tools_list_bytes(tools),
        "tools": [
            {
                "name": tool.name,
                "method": tool.method,
                "path": tool.path,
                "read_only": tool.annotations.read_only,
                "input_schema_bytes": _size(tool.input_schema),
                "auth": _auth(profile.tool_auth.get(tool.name)),
            }
            for tool in tools
        ],
    }


def _auth(auth: ToolAuth | None) -> dict[str, Any]:
    if auth is None:
        return Unavailable("not resolved").as_json()
    return auth.as_json()


def _size(schema: Any) -> int:
    return len(json.dumps(schema, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def run_tools(settings: Settings, *, as_json: bool, out: TextIO | None = None) -> int:
    """Print the exposed tools; exit code 0, or 2 on a configuration problem."""
    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level)
    stream = out or sys.stdout
    container = Container(settings=settings)
    try:
        tools = container.tools()
        profile = container.profile()
    except (SpecError, ConfigurationError) as exc:
        return report_problems([str(exc)])
    described = describe(profile, tools, settings.oauth_scope_strategy)
    if as_json:
        print(json.dumps(described, ensure_ascii=False, indent=2), file=stream)
        return EXIT_OK
    _print_table(described, stream)
    return EXIT_OK


def _print_table(described: dict[str, Any], out: TextIO) -> None:
    source = described["token_url_source"]
    token = described["token_url"] or "none (set OAUTH_TOKEN_URL)"
    print(f"API:       {described['api_base_url']} ({described['api_base_url_source']})", file=out)
    print(f"token URL: {token}" + (f" ({source})" if source else ""), file=out)
    request = described["token_request"]
    print(
        f"token request: {request['format']} body, client auth {request['client_auth']}, "
        f"scope {request['scope'] or '(none)'}, strategy {request['strategy']}",
        file=out,
    )
    rows = [
        (
            tool["name"],
            tool["method"],
            tool["path"],
            _auth_text(tool["auth"]),
            f"{tool['input_schema_bytes']} B",
        )
        for tool in described["tools"]
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(_HEADERS)]
    for row in [_HEADERS, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)), file=out
        )
    print(f"{len(rows)} tools; tools/list is {described['tools_list_bytes']} bytes", file=out)


_HEADERS = ("NAME", "METHOD", "PATH", "AUTH", "SCHEMA")


def _auth_text(auth: dict[str, Any]) -> str:
    kind = auth["type"]
    if kind == "none":
        return "none (open)"
    if kind == "unavailable":
        return f"UNAVAILABLE: {auth['reason']}"
    if kind == "oauth2_client_credentials":
        scopes = " ".join(auth["scopes"]) or "no scope"
        scheme = auth["scheme"] or "client credentials"
        return f"oauth2 {scheme} [{scopes}]"
    return f"{kind} {auth['scheme']}"
