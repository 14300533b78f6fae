"""The composition root: the one place where ports are wired to adapters.

Tests override providers (`container.clock.override(...)`) instead of patching modules.
"""

from __future__ import annotations

import random

import httpx2
from dependency_injector import containers, providers

from ozon_mcp.adapters.auth import (
    HttpTokenEndpoint,
    InMemoryTokenCache,
    TokenProvider,
    build_token_provider,
)
from ozon_mcp.adapters.mcp.server import ServerHooks, ToolRouter, build_server
from ozon_mcp.adapters.mcp.upstream import UpstreamClient, read_limit_for
from ozon_mcp.adapters.openapi import build_tools, load_spec
from ozon_mcp.app.api_profile import resolve_profile
from ozon_mcp.app.credentials_wiring import (
    operation_credentials,
    profile_endpoint_config,
    with_operation_credentials,
)
from ozon_mcp.app.settings import Settings
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

    spec = providers.Singleton(load_spec, settings.provided.openapi_spec)
    # Schemas are checked against the meta-schema on each tool's first call, not at start-up
    # (40 ms for the Ozon spec); `ozon-mcp check` checks them all.
    tools = providers.Singleton(
        build_tools,
        spec,
        output_schemas=settings.provided.ozon_mcp_output_schemas,
        check_schemas=False,
    )
    # anyspec: the API base URL, token URL, token request and per-tool credential, from the
    # settings and the spec's security schemes (see app/api_profile.py).
    profile = providers.Singleton(resolve_profile, settings, spec, tools)
    endpoint_config = providers.Singleton(profile_endpoint_config, settings, profile)
    # One verifying TLS context for both HTTP clients: loading the CA bundle costs 20-60 ms.
    tls_context = providers.Singleton(httpx2.create_ssl_context)
    token_endpoint = providers.Singleton(
        HttpTokenEndpoint, endpoint_config, clock=clock, tls=tls_context
    )
    token_cache = providers.Singleton(InMemoryTokenCache)
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
    # anyspec: each call gets its operation's credential (none for open operations).
    auth = providers.Singleton(
        operation_credentials,
        profile,
        token_provider,
        endpoint_config,
        endpoint=token_endpoint,
        cache=token_cache,
        clock=clock,
        rng=rng,
        rules=lifetime_rules,
        retry=retry_policy,
    )

    upstream = providers.Singleton(
        UpstreamClient,
        profile.provided.api_base_url,
        auth,
        max_body_bytes=providers.Callable(
            read_limit_for, settings.provided.ozon_mcp_max_response_bytes
        ),
        tls=tls_context,
    )
    server_hooks = providers.Singleton(
        with_operation_credentials,
        providers.Singleton(make_server_hooks, settings, upstream, token_provider),
        auth,
    )
    router = providers.Singleton(ToolRouter, tools, server_hooks)
    mcp_server = providers.Singleton(
        build_server, router, name="ozon-mcp", version=providers.Callable(package_version)
    )
