"""Answering requests as ASGI apps, including not answering at all (a dropped connection).

ASGI has no message for "close without a response", so the outermost layer remembers uvicorn's
transport for the request and a handler that wants to drop the connection aborts it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

TRANSPORT_KEY = "ozon_mcp.emulator.transport"


class DropConnection:
    """The outcome "close the connection without sending anything"."""


DROP = DropConnection()
Outcome = Response | DropConnection


class TransportCapture:
    """Outermost ASGI layer: puts the connection's transport into the scope for `deliver`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # uvicorn's `send` is a bound method of the request cycle, which owns the transport.
            cycle: Any = getattr(send, "__self__", None)
            scope = {**scope, TRANSPORT_KEY: getattr(cycle, "transport", None)}
        await self.app(scope, receive, send)


async def deliver(outcome: Outcome, scope: Scope, receive: Receive, send: Send) -> None:
    """Send a response, or drop the connection."""
    if isinstance(outcome, Response):
        await outcome(scope, receive, send)
        return
    transport: Any = scope.get(TRANSPORT_KEY)
    if transport is None:
        raise RuntimeError("cannot drop the connection: the server did not expose its transport")
    transport.abort()
    # Let the server see the connection is lost before the app returns, so that it neither
    # complains about a missing response nor tries to send a 500 on a dead socket.
    for _ in range(3):
        await asyncio.sleep(0)
