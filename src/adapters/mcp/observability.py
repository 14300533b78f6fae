"""One observation per tool call: which tool, how it ended, how long it took, what the API said.

`InstrumentedToolRouter` times each `tools/call` and hands a `ToolCallEvent` to its listeners
(the Prometheus metrics, the structured call log); `InstrumentedUpstreamClient` notes the
upstream status and latency of the call it serves through a context variable, so neither the
router nor the client needs to know about metrics or logs. Argument values are never part of an
event: they may hold business data.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from mcp import MCPError, types

from ozon_mcp.adapters.mcp.server import ServerHooks, ToolRouter
from ozon_mcp.adapters.mcp.upstream import UpstreamClient, UpstreamRequest, UpstreamResponse
from ozon_mcp.adapters.openapi import OperationTool

log = logging.getLogger("ozon_mcp.observability")

UNKNOWN_TOOL = "(unknown)"  # one label for every misspelt name: no unbounded label values

# How a tool call ended (the `outcome` label and log field).
OK = "ok"
API_ERROR = "api_error"  # the API answered with an HTTP error status
NOT_SENT = "rejected"  # refused before any request (invalid arguments, a spec defect)
FAILED = "failed"  # sent, but no answer (no token, timeout, connection error)
UNKNOWN = "unknown_tool"
BAD_ANSWER = "bad_answer"  # answered, but not as the spec says (output schema)


@dataclass
class CallObservation:
    """What the upstream client saw while serving the current tool call (mutable, per call)."""

    sent: bool = False
    upstream_status: int | None = None
    upstream_seconds: float | None = None


_current: ContextVar[CallObservation | None] = ContextVar("ozon_mcp_call", default=None)


@dataclass(frozen=True)
class ToolCallEvent:
    """One finished tool call, without its arguments."""

    tool: str
    outcome: str
    seconds: float
    upstream_status: int | None = None
    upstream_seconds: float | None = None


class CallListener(Protocol):
    """Receives every finished tool call (metrics, logs); must not raise."""

    def tool_called(self, event: ToolCallEvent) -> None: ...


class InstrumentedUpstreamClient(UpstreamClient):
    """The upstream client, noting status and latency into the current call's observation."""

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        observation = _current.get()
        started = time.perf_counter()
        if observation is not None:
            observation.sent = True
        try:
            response = await super().send(request)
        finally:
            if observation is not None:
                observation.upstream_seconds = time.perf_counter() - started
        if observation is not None:
            observation.upstream_status = response.status
        return response


class InstrumentedToolRouter(ToolRouter):
    """The tool router, reporting each call to the listeners once it has finished."""

    def __init__(
        self,
        tools: Sequence[OperationTool],
        hooks: ServerHooks,
        listeners: Sequence[CallListener] = (),
    ) -> None:
        super().__init__(tools, hooks)
        self._listeners = tuple(listeners)

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> types.CallToolResult:
        observation = CallObservation()
        reset = _current.set(observation)
        started = time.perf_counter()
        known = self.input_schema(name) is not None
        try:
            result = await super().call(name, arguments)
        except MCPError:
            self._report(UNKNOWN_TOOL, UNKNOWN, started, observation)
            raise
        finally:
            _current.reset(reset)
        if known:
            self._report(name, _outcome(result, observation), started, observation)
        else:
            self._report(UNKNOWN_TOOL, UNKNOWN, started, observation)
        return result

    def _report(
        self, name: str, outcome: str, started: float, observation: CallObservation
    ) -> None:
        event = ToolCallEvent(
            tool=name,
            outcome=outcome,
            seconds=time.perf_counter() - started,
            upstream_status=observation.upstream_status,
            upstream_seconds=observation.upstream_seconds,
        )
        for listener in self._listeners:
            try:
                listener.tool_called(event)
            except Exception:  # observing must never break a call
                log.exception("a tool-call listener failed")


def _outcome(result: types.CallToolResult, observation: CallObservation) -> str:
    status = observation.upstream_status
    if status is not None and status >= 400:
        return API_ERROR
    if not result.is_error:
        return OK
    if not observation.sent:
        return NOT_SENT
    # Sent and answered below 400, yet an error: the answer broke the output schema.
    return FAILED if status is None else BAD_ANSWER
