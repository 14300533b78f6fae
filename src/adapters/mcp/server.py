"""The MCP server: one tool per OpenAPI operation, plus `auth_status`, on the low-level mcp Server.

The low-level `Server` is used because the tools come from a spec at run time (JSON Schemas, not
Python signatures); it validates nothing itself, so every call is validated here before any
upstream request is made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from mcp import MCPError, types
from mcp.server import Server, ServerRequestContext

from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.adapters.mcp.report_tool import ReportTool
from ozon_mcp.adapters.mcp.status import AUTH_STATUS_TOOL, auth_status_result
from ozon_mcp.adapters.mcp.upstream import UpstreamClient, UpstreamError, upstream_request
from ozon_mcp.adapters.openapi import (
    ArgumentError,
    OperationTool,
    SpecError,
    scrub,
)
from ozon_mcp.adapters.openapi.results import render_response_off_loop
from ozon_mcp.domain.errors import ConfigurationError, TokenAcquisitionError

log = logging.getLogger("ozon_mcp.server")

StatusSource = Callable[[], Mapping[str, Any]]
# The product's scrubber (or, in tests, the plain list of secrets to hide).
SecretSource = Callable[[], Sequence[str] | Scrubber]


@dataclass(frozen=True)
class ServerHooks:
    """What the server needs from the rest of the product, injected by the container."""

    upstream: UpstreamClient
    auth_status: StatusSource
    secrets: SecretSource
    start_background: Callable[[], Awaitable[None]]
    max_response_bytes: int = 100_000
    # anyspec: why a tool cannot be called with the configured credentials (None: it can).
    unavailable: Callable[[str], str | None] = lambda _name: None


def _text(text: str, *, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], is_error=is_error
    )


def unknown_tool(name: str) -> MCPError:
    """The JSON-RPC error for a `tools/call` naming no published tool (MCP spec: -32602)."""
    return MCPError(
        code=types.INVALID_PARAMS,
        message=f"Unknown tool: {name}; call tools/list for the available tools",
        data={"tool": name},
    )


def to_mcp_tool(tool: OperationTool) -> types.Tool:
    """The wire description of one operation tool."""
    # Only the hints that differ from MCP's defaults (none: no annotations at all); every
    # agent pays for the tools/list bytes.
    hints = tool.annotations.as_mcp()
    return types.Tool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=dict(tool.input_schema),
        output_schema=dict(tool.output_schema) if tool.output_schema else None,
        annotations=types.ToolAnnotations.model_validate(hints) if hints else None,
    )


class ToolRouter:
    """Routes `tools/call` requests to the operation tools and maps every outcome to a result."""

    def __init__(self, tools: Sequence[OperationTool], hooks: ServerHooks) -> None:
        self._hooks = hooks
        self._tools = {tool.name: tool for tool in tools}
        self._wire_tools = [to_mcp_tool(tool) for tool in tools]
        if AUTH_STATUS_TOOL.name in self._tools:
            log.warning(
                "the spec defines an operation named %s; ours is hidden", AUTH_STATUS_TOOL.name
            )
        else:
            self._wire_tools.append(AUTH_STATUS_TOOL)

    @property
    def hooks(self) -> ServerHooks:
        return self._hooks

    @property
    def wire_tools(self) -> list[types.Tool]:
        return list(self._wire_tools)

    def input_schema(self, name: str) -> Mapping[str, Any] | None:
        tool = self._tools.get(name)
        if tool is not None:
            return tool.input_schema
        return AUTH_STATUS_TOOL.input_schema if name == AUTH_STATUS_TOOL.name else None

    def knows(self, name: str) -> bool:
        """Whether `name` is one of the tools this server publishes."""
        return self.input_schema(name) is not None

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> types.CallToolResult:
        """Run one tool call; raises only MCPError(INVALID_PARAMS) for a tool that does not
        exist (the MCP spec makes that a protocol error, not a tool result); every other
        failure is an error result (an escaping exception would leak text to clients)."""
        if not self.knows(name):
            raise unknown_tool(name)
        try:
            return await self._call(name, arguments or {})
        except Exception:  # the last line of defence: the log has the details
            log.exception("tool %s failed unexpectedly", name)
            return _text(f"{name}: internal error in ozon-mcp (details in its log)", is_error=True)

    async def _call(self, name: str, arguments: Mapping[str, Any]) -> types.CallToolResult:
        tool = self._tools.get(name)
        if tool is None:
            return auth_status_result(self._hooks.auth_status())  # `knows` let nothing else in
        missing = self._hooks.unavailable(name)  # anyspec: no request without its credential
        if missing is not None:
            return _text(f"{name} cannot be called: {missing}", is_error=True)
        try:
            prepared = tool.prepare_request(arguments)
        except ArgumentError as exc:
            return _text(f"{name}: invalid arguments: {exc}", is_error=True)
        except SpecError as exc:
            return _text(
                f"{name} cannot be called: the spec describes it wrongly: {exc}", is_error=True
            )
        request = upstream_request(prepared, tool=name)
        try:
            response = await self._hooks.upstream.send(request)
        except TokenAcquisitionError as exc:
            return self._safe(f"{name}: no access token: {exc.message}", is_error=True)
        except UpstreamError as exc:
            return self._safe(f"{name}: {exc}", is_error=True)
        rendered = await render_response_off_loop(
            response.status,
            response.content_type,
            response.body,
            limit_bytes=self._hooks.max_response_bytes,
            operation=name,
            secrets=self._hooks.secrets(),  # scrubbed before the cut: no fragment survives it
        )
        text = rendered.text  # render_response already removed every secret form
        text += response.shortfall_note() + response.retry_note()  # retries: when to retry
        structured = rendered.structured
        validator = tool.output_validator
        if validator is not None and not rendered.is_error:
            conforms = structured is not None and validator.is_valid(structured)
            if not conforms:
                # The client validates structured content against the published schema; an
                # answer that deviates from the spec is shown as text and flagged instead of
                # turning a successful upstream call into a client-side exception.
                note = f"{name}: the answer does not match the output schema in the spec; raw:"
                return _text(f"{note}\n{text}", is_error=True)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)],
            structured_content=structured,
            is_error=rendered.is_error,
        )

    def _safe(self, text: str, *, is_error: bool) -> types.CallToolResult:
        """An error text with every secret removed (token errors may quote server bodies)."""
        return _text(scrub(text, self._hooks.secrets()), is_error=is_error)


# The background start (the upstream client with its TLS context, then the token request) is
# CPU work of 50-150 ms on the event loop. It waits until the first tools/list is answered, so
# that a client sees the tools at once, and runs while the agent reads them; a tool call starts
# it at once, and it starts at the latest this long after a session opened.
AFTER_THE_ANSWER = 0.01  # s: time for the transport to send the tools/list answer first
START_AT_THE_LATEST = 1.0  # s after the session opened, for a client that lists no tools


class BackgroundStart:
    """Runs the server's background start once per event loop (in-process clients may open
    sessions on several loops), at the first of: a tool call, shortly after a tools/list, or a
    fallback delay after a session opened. Pending starts are dropped when the last session
    closes (the container may be closed next)."""

    def __init__(self, start: Callable[[], Awaitable[None]]) -> None:
        self._start = start
        self._started_on: asyncio.AbstractEventLoop | None = None
        self._sessions = 0
        self._pending: set[asyncio.TimerHandle] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """The span of one MCP session; its fallback start is armed here."""
        self._sessions += 1
        self.start_later(START_AT_THE_LATEST)
        try:
            yield
        finally:
            self._sessions -= 1
            if self._sessions == 0:
                for handle in self._pending:
                    handle.cancel()
                self._pending.clear()

    def start_later(self, delay: float) -> None:
        """Start `delay` seconds from now, unless started by then."""
        if self._started_on is asyncio.get_running_loop():
            return
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            assert handle is not None
            self._pending.discard(handle)
            if self._started_on is not asyncio.get_running_loop():
                task = asyncio.get_running_loop().create_task(self.start_now(), name="start")
                self._tasks.add(task)  # a reference, or the loop may drop the task half-way
                task.add_done_callback(self._tasks.discard)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._pending.add(handle)

    async def start_now(self) -> None:
        """Start now unless started on this loop; a failure is logged (a tool call then meets
        it again, as its own error) and the next trigger tries again."""
        loop = asyncio.get_running_loop()
        if self._started_on is loop:
            return
        self._started_on = loop
        try:
            await self._start()
        except Exception as exc:
            self._started_on = None
            log.error(  # a configuration error's message says it all; anything else: details
                "the background start (API client, token request) failed: %s",
                exc,
                exc_info=not isinstance(exc, ConfigurationError | UpstreamError),
            )


def build_server(
    router: ToolRouter,
    *,
    name: str = "ozon-mcp",
    version: str = "",
    instructions: str | None = None,
    reports: ReportTool | None = None,
    start_after_listing: bool = True,
) -> Server[ToolRouter]:
    """The MCP server for the router's tools; its lifespan starts the token provider.

    `reports` adds the `get_campaign_statistics` tool and its `ozon-mcp://reports/` resources.
    `start_after_listing=False` starts the background work as the lifespan opens: over
    streamable HTTP the lifespan is the service's, entered once at its start.
    """
    background = BackgroundStart(router.hooks.start_background)
    listed = types.ListToolsResult(
        tools=router.wire_tools + ([reports.wire_tool] if reports is not None else [])
    )

    @asynccontextmanager
    async def lifespan(_server: Server[ToolRouter]) -> AsyncIterator[ToolRouter]:
        # The token is requested in the background: list_tools must answer at once even when
        # the token endpoint is slow or down. Closing is the container's job (its one close
        # path), since in-process clients enter this lifespan once per session.
        if not start_after_listing:
            await background.start_now()
        async with background.session():
            yield router

    async def list_tools(
        _ctx: ServerRequestContext[ToolRouter], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        background.start_later(AFTER_THE_ANSWER)
        return listed

    async def call_tool(
        ctx: ServerRequestContext[ToolRouter], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        await background.start_now()
        if reports is not None and params.name == reports.name:
            return await reports.call(ctx, params.arguments)
        return await router.call(params.name, params.arguments)

    def input_schema(tool_name: str) -> Mapping[str, Any] | None:
        if reports is not None and tool_name == reports.name:
            return reports.input_schema
        return router.input_schema(tool_name)

    return Server(
        name,
        version=version,
        instructions=instructions,
        lifespan=lifespan,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=input_schema,
        on_list_resources=reports.resources.list_resources if reports is not None else None,
        on_read_resource=reports.resources.read_resource if reports is not None else None,
    )
