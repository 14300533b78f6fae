"""The emulator as one ASGI application (Starlette), ready for any ASGI server."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from .control import EmulatorControl
from .control_api import CONTROL_PREFIX, control_routes
from .operations import OperationsEndpoint
from .state import EmulatorState
from .token_endpoint import TokenEndpoint
from .transport import TransportCapture


def build_app(state: EmulatorState, control: EmulatorControl) -> ASGIApp:
    """Token endpoint, control surface, and every other path routed to the spec's operations."""
    starlette = Starlette(
        routes=[
            Route(state.token_path, TokenEndpoint(state)),
            Mount(CONTROL_PREFIX, routes=control_routes(control)),
            Route("/{path:path}", OperationsEndpoint(state)),
        ]
    )
    return TransportCapture(starlette)
