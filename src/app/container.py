"""The composition root: the one place where ports are wired to adapters.

Tests override providers (`container.clock.override(...)`) instead of patching modules.
"""

from __future__ import annotations

import random

import httpx2
from dependency_injector import containers, providers

from ozon_mcp.adapters.auth import (
    HttpTokenEndpoint,
    ProviderBearerAuth,
    TokenEndpointConfig,
    TokenProvider,
    build_token_provider,
)
from ozon_mcp.adapters.mcp.server import ServerHooks, ToolRouter, build_server
from ozon_mcp.adapters.mcp.upstream import UpstreamClient, read_limit_for
from ozon_mcp.adapters.openapi import build_tools, load_spec
from ozon_mcp.app.settings import Settings
from ozon_mcp.app.token_sharing import redis_sharing_for, token_cache_for, token_endpoint_for
from ozon_mcp.app.version import package_version
from ozon_mcp.domain.clock import SystemClock
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.retry import RetryPolicy


def make_server_hooks(
    settings: Settings, upstream: UpstreamClient, provider: TokenProvider
) -> ServerHooks:
    """What the MCP server needs from the token provider and the upstream client."""

    def secrets() -> list[str]:
        values = []
        if settings.oauth_client_secret is not None:
            values.append(settings.oauth_client_secret.get_secret_value())
        token = provider.lifecycle.current_token()
        if token is not None:
            values.append(token.value)
        return values

    return ServerHooks(
        upstream=upstream,
        auth_status=lambda: provider.stats().as_dict(),
        secrets=secrets,
        start_background=provider.start,
        max_response_bytes=settings.ozon_mcp_max_response_bytes,
    )


class Container(containers.DeclarativeContainer):
    """Wires settings to the clock, retry policy, token endpoint, cache, provider and server."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    rng = providers.Singleton(random.Random)
    lifetime_rules = providers.Singleton(
        LifetimeRules, refresh_margin=settings.provided.oauth_refresh_margin_seconds
    )
    retry_policy = providers.Singleton(RetryPolicy, max_retries=settings.provided.oauth_max_retries)

    endpoint_config = providers.Singleton(
        TokenEndpointConfig,
        token_url=settings.provided.oauth_token_url,
        client_id=settings.provided.oauth_client_id,
        client_secret=settings.provided.oauth_client_secret,
        request_format=settings.provided.oauth_token_request_format,
        client_auth=settings.provided.oauth_client_auth,
        scope=settings.provided.oauth_scope,
        audience=settings.provided.oauth_audience,
    )
    # One verifying TLS context for both HTTP clients: loading the CA bundle costs 20-60 ms.
    tls_context = providers.Singleton(httpx2.create_ssl_context)
    http_token_endpoint = providers.Singleton(
        HttpTokenEndpoint, endpoint_config, clock=clock, tls=tls_context
    )
    # --- token sharing (TOKEN_CACHE=memory|redis; app/token_sharing.py) ---
    token_sharing = providers.Singleton(redis_sharing_for, settings, clock)
    token_endpoint = providers.Singleton(
        token_endpoint_for, http_token_endpoint, token_sharing, endpoint_config, lifetime_rules
    )
    token_cache = providers.Singleton(token_cache_for, token_sharing)
    # --- end of token sharing ---
    token_provider = providers.Singleton(
        build_token_provider,
        endpoint_config,
        endpoint=token_endpoint,
        cache=token_cache,
        clock=clock,
        rng=rng,
        rules=lifetime_rules,
        retry=retry_policy,
    )
    auth = providers.Singleton(ProviderBearerAuth.from_providers, token_provider)

    spec = providers.Singleton(load_spec, settings.provided.openapi_spec)
    # Schemas are checked against the meta-schema on each tool's first call, not at start-up
    # (40 ms for the Ozon spec); `ozon-mcp check` checks them all.
    tools = providers.Singleton(
        build_tools,
        spec,
        output_schemas=settings.provided.ozon_mcp_output_schemas,
        check_schemas=False,
    )
    upstream = providers.Singleton(
        UpstreamClient,
        settings.provided.api_base_url,
        auth,
        max_body_bytes=providers.Callable(
            read_limit_for, settings.provided.ozon_mcp_max_response_bytes
        ),
        tls=tls_context,
    )
    server_hooks = providers.Singleton(make_server_hooks, settings, upstream, token_provider)
    router = providers.Singleton(ToolRouter, tools, server_hooks)
    mcp_server = providers.Singleton(
        build_server, router, name="ozon-mcp", version=providers.Callable(package_version)
    )
