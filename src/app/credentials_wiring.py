"""Container helpers that put the per-call credential chooser between the server and the API.

Kept out of container.py so that the composition root stays a list of providers.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ozon_mcp.adapters.auth import TokenEndpointConfig, TokenProvider
from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.adapters.auth.stats import ProviderStats, token_not_used_stats
from ozon_mcp.adapters.mcp.credentials import OperationCredentials
from ozon_mcp.adapters.mcp.server import ServerHooks
from ozon_mcp.app.api_profile import ApiProfile, endpoint_config, with_scopes
from ozon_mcp.app.settings import Settings
from ozon_mcp.domain.ports import ScopeSet

log = logging.getLogger("ozon_mcp.profile")


def profile_endpoint_config(settings: Settings, profile: ApiProfile) -> TokenEndpointConfig:
    """The token endpoint configuration the profile resolved (a clear error without a URL)."""
    return endpoint_config(settings, profile)


# What `auth_status` adds when no exposed tool needs a client-credentials token.
OAUTH_NOT_USED = (
    "not used: no exposed tool needs an OAuth client-credentials token (every one is open or "
    "uses an OPENAPI_CREDENTIAL_* credential), so no token is ever requested"
)


def token_provider_if_used(
    profile: ApiProfile, make_provider: Callable[[], TokenProvider]
) -> TokenProvider | None:
    """The default token provider when an exposed tool is called with a client-credentials
    token; None otherwise, and then no token endpoint, configuration or provider is built (the
    OAUTH_* variables may be unset) and no token is ever requested."""
    if not profile.oauth_needed():
        log.info("no exposed tool needs an OAuth client-credentials token; none is requested")
        return None
    return make_provider()


def token_stats_source(provider: TokenProvider | None) -> Callable[[], ProviderStats]:
    """Where `auth_status`, /readyz and /metrics read the token's state (`not_used` stats
    when no token is used)."""
    return provider.stats if provider is not None else token_not_used_stats


def operation_credentials(
    profile: ApiProfile,
    default_provider: TokenProvider | None,
    config: Callable[[], TokenEndpointConfig],
    provider_for: Callable[[TokenEndpointConfig], TokenProvider],
) -> OperationCredentials:
    """The upstream client's Auth; per-operation providers are built by `provider_for` (the
    container's, so they share the endpoint and the cache; the cache key differs by scope set)
    but each has its own lifecycle and refresher. `config` and `provider_for` are only called
    when a token is used (they need OAUTH_*)."""

    def make_provider(scopes: ScopeSet) -> TokenProvider:
        return provider_for(with_scopes(config(), scopes))

    return OperationCredentials(
        profile.tool_auth,
        default_provider,
        static=profile.static,
        per_operation=profile.per_operation,
        make_provider=make_provider,
    )


def with_operation_credentials(hooks: ServerHooks, auth: OperationCredentials) -> ServerHooks:
    """The server hooks, also refusing unavailable tools, scrubbing every held secret, and
    counting every token provider in `auth_status` (per-operation strategy)."""
    base_secrets = hooks.secrets
    base_status = hooks.auth_status

    def secrets() -> Sequence[str] | Scrubber:
        base = base_secrets()
        if isinstance(base, Scrubber):  # the product's scrubber learns them for good
            for value in auth.secret_values():
                base.remember(value)
            return base
        return [*base, *auth.secret_values()]

    def auth_status() -> Mapping[str, Any]:
        providers = auth.providers()
        if len(providers) <= 1:  # one provider, or none: no token is used
            return base_status()
        combined = providers[0].stats()
        for provider in providers[1:]:
            combined = combined.merged_with(provider.stats())
        return {**base_status(), **combined.as_dict(), "token_providers": len(providers)}

    return dataclasses.replace(
        hooks, secrets=secrets, unavailable=auth.unavailable, auth_status=auth_status
    )
