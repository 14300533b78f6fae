"""The HTTP transport's service side, from settings: who may connect and which routes it has.

Kept out of `runtime` so that the serve loop stays small: `exposure_problems` runs before
anything is built or bound, `http_app` assembles the ASGI app from the container.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp

from ozon_mcp.adapters.mcp.health import operational_routes
from ozon_mcp.adapters.mcp.http_app import HttpAccess, build_http_app
from ozon_mcp.adapters.mcp.http_auth import exposure_problem, is_loopback
from ozon_mcp.app.container import Container
from ozon_mcp.app.settings import Settings

log = logging.getLogger("ozon_mcp.http")


def exposure_problems(settings: Settings, host: str, *, allow_unauthenticated: bool) -> list[str]:
    """Why `serve --transport http --host <host>` must refuse to start (empty: it may start)."""
    problem = exposure_problem(
        host,
        bearer_token=settings.mcp_http_bearer_token is not None,
        oauth=False,
        allow_unauthenticated=allow_unauthenticated,
    )
    if problem:
        return [problem]
    if allow_unauthenticated and not is_loopback(host) and not http_access(settings).authenticated:
        log.warning(
            "serving HTTP on %s without client authentication (--allow-unauthenticated): "
            "anyone who reaches this port can use the account",
            host,
        )
    return []


def http_access(settings: Settings) -> HttpAccess:
    """The client authentication the settings ask for."""
    return HttpAccess(bearer_token=settings.mcp_http_bearer_token)


def http_app(container: Container, host: str) -> ASGIApp:
    """The complete ASGI app for `serve --transport http`: /mcp, /healthz, /readyz, /metrics."""
    from ozon_mcp.app.runtime import http_security

    provider = container.token_provider()
    routes = operational_routes(
        provider.stats,
        container.server_hooks().secrets,
        container.service_metrics(),
        token_attempt=provider.get_token,
    )
    access = http_access(container.settings())
    return build_http_app(
        container.mcp_server(),
        host=host,
        security=http_security(host),
        access=HttpAccess(bearer_token=access.bearer_token, routes=routes),
    )
