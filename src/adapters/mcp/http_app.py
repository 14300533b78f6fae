"""The ASGI application of the HTTP transport: `/mcp` plus the operational endpoints, with the
configured client authentication in front."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp.server import Server
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import SecretStr
from starlette.routing import Route
from starlette.types import ASGIApp

from ozon_mcp.adapters.mcp.http_auth import StaticBearerMiddleware

MCP_PATH = "/mcp"


@dataclass(frozen=True)
class HttpAccess:
    """How clients of the HTTP transport authenticate (nothing set: no authentication)."""

    bearer_token: SecretStr | None = None
    routes: Sequence[Route] = field(default=())

    @property
    def authenticated(self) -> bool:
        return self.bearer_token is not None


def build_http_app(
    server: Server[Any],
    *,
    host: str,
    security: TransportSecuritySettings,
    access: HttpAccess,
) -> ASGIApp:
    """The streamable-HTTP app of `server` at `/mcp`, the extra routes, and the access check."""
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        transport_security=security,
        custom_starlette_routes=list(access.routes),
    )
    if access.bearer_token is not None:
        app = StaticBearerMiddleware(app, access.bearer_token.get_secret_value())
    return app
