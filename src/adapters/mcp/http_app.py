"""The ASGI application of the HTTP transport: `/mcp` plus the operational endpoints, with the
configured client authentication in front.

Three modes: no client authentication (loopback, or `--allow-unauthenticated`); a static bearer
(`StaticBearerMiddleware`, deny by default); OAuth resource-server mode (the mcp SDK's bearer
middleware with our `JwtVerifier`, and its RFC 9728 metadata route). `open_routes` (health,
readiness) never need a token; `protected_routes` (metrics) follow `/mcp`'s protection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp.server import Server
from mcp.server.auth.middleware.bearer_auth import RequireAuthMiddleware
from mcp.server.auth.routes import build_resource_metadata_url
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import SecretStr
from starlette.routing import Route
from starlette.types import ASGIApp

from ozon_mcp.adapters.mcp.http_auth import StaticBearerMiddleware
from ozon_mcp.adapters.mcp.oauth_resource import JwtVerifier, ResourceServerConfig

MCP_PATH = "/mcp"


@dataclass(frozen=True)
class OAuthAccess:
    """OAuth resource-server mode: the settings and the verifier of bearer JWTs."""

    config: ResourceServerConfig
    verifier: JwtVerifier


@dataclass(frozen=True)
class HttpAccess:
    """How clients of the HTTP transport authenticate (nothing set: no authentication)."""

    bearer_token: SecretStr | None = None
    oauth: OAuthAccess | None = None
    open_routes: Sequence[Route] = field(default=())
    protected_routes: Sequence[Route] = field(default=())

    @property
    def authenticated(self) -> bool:
        return self.bearer_token is not None or self.oauth is not None


def build_http_app(
    server: Server[Any],
    *,
    host: str,
    security: TransportSecuritySettings,
    access: HttpAccess,
    stateless: bool = False,
) -> ASGIApp:
    """The streamable-HTTP app of `server` at `/mcp`, the extra routes, and the access check.

    `stateless`: every request stands alone (no session id, so no affinity is needed behind a
    load balancer; no server-initiated messages outside a request). See docs/scaling.md.
    """
    if access.oauth is not None:
        return _oauth_app(
            server,
            host=host,
            security=security,
            access=access,
            oauth=access.oauth,
            stateless=stateless,
        )
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        transport_security=security,
        stateless_http=stateless,
        custom_starlette_routes=[*access.open_routes, *access.protected_routes],
    )
    if access.bearer_token is not None:
        app = StaticBearerMiddleware(app, access.bearer_token.get_secret_value())
    return app


def _oauth_app(
    server: Server[Any],
    *,
    host: str,
    security: TransportSecuritySettings,
    access: HttpAccess,
    oauth: OAuthAccess,
    stateless: bool,
) -> ASGIApp:
    config = oauth.config
    scopes = list(config.required_scopes)
    # Strings, not AnyHttpUrl: AuthSettings keeps a path-less URL without a trailing slash
    # (RFC 8414 compares issuers as exact strings).
    settings = AuthSettings(
        issuer_url=config.issuer,  # type: ignore[arg-type]
        resource_server_url=config.resource_url,  # type: ignore[arg-type]
        required_scopes=scopes or None,
        # The verifier checks `aud` against MCP_HTTP_AUTH_AUDIENCE itself.
        validate_token_resource=False,
    )
    assert settings.resource_server_url is not None
    metadata_url = build_resource_metadata_url(settings.resource_server_url)
    # The SDK protects /mcp only; /metrics gets the same check here.
    guarded = [
        Route(
            route.path,
            endpoint=RequireAuthMiddleware(route.app, scopes, metadata_url),
            methods=sorted(route.methods or ()),
        )
        for route in access.protected_routes
    ]
    return server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        transport_security=security,
        stateless_http=stateless,
        auth=settings,
        token_verifier=oauth.verifier,
        custom_starlette_routes=[*access.open_routes, *guarded],
    )
