"""Selects the token cache (TOKEN_CACHE=memory|redis) and, for Redis, the shared endpoint.

The Redis adapters need the `ozon-mcp[redis]` extra, so they are imported only when
TOKEN_CACHE=redis; a plain install keeps working with the in-memory cache.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from ozon_mcp.adapters.auth import HttpTokenEndpoint, InMemoryTokenCache, TokenEndpointConfig
from ozon_mcp.app.settings import Settings
from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import TokenCache, TokenEndpoint

if TYPE_CHECKING:
    from ozon_mcp.adapters.sharing import RedisSharing

REDIS = "redis"
MIN_KEY_CHARS = 32  # the same rule as ozon_mcp.adapters.sharing.keys, checked without importing it
EXTRA_HINT = "TOKEN_CACHE=redis needs the redis extra: pip install 'ozon-mcp[redis]'"


def token_cache_problems(settings: Settings) -> list[str]:
    """What stops TOKEN_CACHE=redis from working, one line per setting (no value echoed)."""
    if settings.token_cache != REDIS:
        return []
    problems = []
    if not all(importlib.util.find_spec(name) for name in ("redis", "cryptography")):
        problems.append(EXTRA_HINT)
    if not settings.redis_url:
        problems.append("REDIS_URL is not set: TOKEN_CACHE=redis needs e.g. redis://redis:6379/0")
    elif not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        problems.append("REDIS_URL must start with redis://, rediss:// or unix://")
    key = settings.token_cache_key
    if key is None and not settings.token_cache_allow_plaintext:
        problems.append(
            "TOKEN_CACHE_KEY is not set: TOKEN_CACHE=redis encrypts tokens at rest with it "
            f"(at least {MIN_KEY_CHARS} characters, the same on every replica); set "
            "TOKEN_CACHE_ALLOW_PLAINTEXT=1 only to accept tokens stored in clear"
        )
    elif key is not None and len(key.get_secret_value()) < MIN_KEY_CHARS:
        problems.append(
            f"TOKEN_CACHE_KEY must be at least {MIN_KEY_CHARS} characters "
            f"(got {len(key.get_secret_value())})"
        )
    return problems


def redis_sharing_for(settings: Settings, clock: Clock) -> RedisSharing | None:
    """The Redis sharing when TOKEN_CACHE=redis, else None."""
    if settings.token_cache != REDIS:
        return None
    try:
        from ozon_mcp.adapters.sharing import build_redis_sharing
    except ImportError:
        raise ConfigurationError(EXTRA_HINT) from None
    return build_redis_sharing(
        settings.redis_url,
        key=settings.token_cache_key,
        allow_plaintext=settings.token_cache_allow_plaintext,
        clock=clock,
    )


def token_cache_for(sharing: RedisSharing | None) -> TokenCache:
    """The Redis cache when sharing, else a process-local one."""
    return sharing.cache if sharing is not None else InMemoryTokenCache()


def token_endpoint_for(
    endpoint: HttpTokenEndpoint,
    sharing: RedisSharing | None,
    config: TokenEndpointConfig,
    rules: LifetimeRules,
) -> TokenEndpoint:
    """The HTTP endpoint, behind the distributed single flight when sharing through Redis."""
    if sharing is None:
        return endpoint
    return sharing.share(
        endpoint, token_url=config.token_url, client_id=config.client_id, rules=rules
    )
