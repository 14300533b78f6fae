"""The HTTP transport's service side, from settings: who may connect and which routes it has.

Kept out of `runtime` so that the serve loop stays small: `exposure_problems` runs before
anything is built or bound, `http_app` assembles the ASGI app from the container.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp

from ozon_mcp.adapters.auth.urls import validate_token_url
from ozon_mcp.adapters.mcp.health import operational_routes
from ozon_mcp.adapters.mcp.http_app import HttpAccess, OAuthAccess, build_http_app
from ozon_mcp.adapters.mcp.http_auth import exposure_problem, is_loopback
from ozon_mcp.adapters.mcp.oauth_resource import (
    JwksCache,
    JwtVerifier,
    ResourceServerConfig,
    parse_scopes,
)
from ozon_mcp.app.container import Container
from ozon_mcp.app.credentials_wiring import token_stats_source
from ozon_mcp.app.settings import Settings
from ozon_mcp.domain.errors import ConfigurationError

log = logging.getLogger("ozon_mcp.http")


def oauth_configured(settings: Settings) -> bool:
    """Whether OAuth resource-server mode is asked for (an issuer or an audience is set)."""
    return bool(settings.mcp_http_auth_issuer or settings.mcp_http_auth_audience)


def exposure_problems(settings: Settings, host: str, *, allow_unauthenticated: bool) -> list[str]:
    """Why `serve --transport http --host <host>` must refuse to start (empty: it may start)."""
    problems = _access_problems(settings, host)
    if problems:
        return problems
    problem = exposure_problem(
        host,
        bearer_token=settings.mcp_http_bearer_token is not None,
        oauth=oauth_configured(settings),
        allow_unauthenticated=allow_unauthenticated,
    )
    if problem:
        return [problem]
    authenticated = settings.mcp_http_bearer_token is not None or oauth_configured(settings)
    if allow_unauthenticated and not is_loopback(host) and not authenticated:
        log.warning(
            "serving HTTP on %s without client authentication (--allow-unauthenticated): "
            "anyone who reaches this port can use the account",
            host,
        )
    return []


def _access_problems(settings: Settings, host: str) -> list[str]:
    if not oauth_configured(settings):
        return []
    problems = []
    if settings.mcp_http_bearer_token is not None:
        problems.append(
            "MCP_HTTP_BEARER_TOKEN and MCP_HTTP_AUTH_ISSUER are both set: choose one way for "
            "clients to authenticate (a static bearer or OAuth resource-server mode)"
        )
    if not settings.mcp_http_auth_issuer:
        problems.append(
            "MCP_HTTP_AUTH_ISSUER is not set: OAuth resource-server mode needs the "
            "authorization server's issuer URL"
        )
    if not settings.mcp_http_auth_audience:
        problems.append(
            "MCP_HTTP_AUTH_AUDIENCE is not set: OAuth resource-server mode needs the audience "
            "(aud) its bearer tokens must name"
        )
    for url, name in (
        (settings.mcp_http_auth_issuer, "MCP_HTTP_AUTH_ISSUER"),
        (settings.mcp_http_auth_jwks_url, "MCP_HTTP_AUTH_JWKS_URL"),
        (settings.mcp_http_resource_url, "MCP_HTTP_RESOURCE_URL"),
    ):
        if url:
            try:
                validate_token_url(url, setting=name)
            except ConfigurationError as exc:
                problems.append(str(exc))
    if not settings.mcp_http_resource_url and not is_loopback(host):
        problems.append(
            "MCP_HTTP_RESOURCE_URL is not set: on a non-loopback address OAuth resource-server "
            "mode needs the URL clients use to reach /mcp (published as the RFC 9728 resource)"
        )
    return problems


def http_access(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> HttpAccess:
    """The client authentication the settings ask for (no routes)."""
    if not oauth_configured(settings):
        return HttpAccess(bearer_token=settings.mcp_http_bearer_token)
    issuer, audience = settings.mcp_http_auth_issuer, settings.mcp_http_auth_audience
    if not issuer or not audience:  # `serve` refused this already; other callers learn it here
        raise ConfigurationError(
            "OAuth resource-server mode needs both MCP_HTTP_AUTH_ISSUER and MCP_HTTP_AUTH_AUDIENCE"
        )
    display_host = f"[{host}]" if ":" in host else host
    config = ResourceServerConfig(
        issuer=issuer,
        audience=audience,
        resource_url=settings.mcp_http_resource_url or f"http://{display_host}:{port}/mcp",
        required_scopes=parse_scopes(settings.mcp_http_auth_required_scopes),
        jwks_url=settings.mcp_http_auth_jwks_url,
    )
    keys = JwksCache(config.issuer, config.jwks_url)
    return HttpAccess(oauth=OAuthAccess(config=config, verifier=JwtVerifier(config, keys)))


def transport_security(settings: Settings, host: str) -> TransportSecuritySettings:
    """DNS-rebinding protection: the loopback names and the bind address, plus the host of
    MCP_HTTP_RESOURCE_URL and MCP_HTTP_ALLOWED_HOSTS (clients on other machines send the name
    they reached the server by, which the bind address 0.0.0.0 does not tell)."""
    from ozon_mcp.app.runtime import http_security

    base = http_security(host)
    extra: list[str] = []
    for entry in (settings.mcp_http_allowed_hosts or "").split(","):
        extra.extend(_host_patterns(entry.strip()))
    if settings.mcp_http_resource_url:
        name = urlsplit(settings.mcp_http_resource_url).hostname
        if name:
            extra.extend(_host_patterns(f"[{name}]" if ":" in name else name))
    hosts = list(dict.fromkeys([*base.allowed_hosts, *extra]))
    origins = list(
        dict.fromkeys(
            [*base.allowed_origins]
            + [f"{scheme}://{entry}" for entry in extra for scheme in ("http", "https")]
        )
    )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def _host_patterns(entry: str) -> list[str]:
    """`host` -> the Host values `host` and `host:<any port>`; `host:port` stays as it is."""
    if not entry:
        return []
    has_port = "]:" in entry if entry.startswith("[") else ":" in entry
    return [entry] if has_port else [entry, f"{entry}:*"]


def http_app(
    container: Container, host: str, port: int = 8000, *, stateless: bool = False
) -> ASGIApp:
    """The complete ASGI app for `serve --transport http`: /mcp, /healthz, /readyz, /metrics."""
    provider = container.active_token_provider()  # None: no exposed tool uses a token
    open_routes, protected_routes = operational_routes(
        token_stats_source(provider),
        container.server_hooks().secrets,
        container.service_metrics(),
        token_attempt=provider.get_token if provider is not None else None,
    )
    access = http_access(container.settings(), host, port)
    if access.oauth is not None:
        log.info(
            "HTTP clients authenticate with OAuth bearer JWTs from %s (audience %s)",
            access.oauth.config.issuer,
            access.oauth.config.audience,
        )
    elif access.bearer_token is not None:
        log.info("HTTP clients authenticate with the MCP_HTTP_BEARER_TOKEN bearer token")
    else:
        log.info("HTTP clients are not authenticated (bound to %s)", host)
    return build_http_app(
        container.http_mcp_server(),
        host=host,
        security=transport_security(container.settings(), host),
        access=HttpAccess(
            bearer_token=access.bearer_token,
            oauth=access.oauth,
            open_routes=open_routes,
            protected_routes=protected_routes,
        ),
        stateless=stateless,
    )
