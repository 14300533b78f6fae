"""Builds token providers from a `TokenEndpointConfig` (used by the app container and the Auth)."""

from __future__ import annotations

import logging
import random

from ozon_mcp.adapters.auth.cache import InMemoryTokenCache
from ozon_mcp.adapters.auth.config import TokenEndpointConfig
from ozon_mcp.adapters.auth.endpoint import HttpTokenEndpoint
from ozon_mcp.adapters.auth.provider import Sleep, TokenProvider
from ozon_mcp.adapters.auth.sync_provider import ConditionWait, SyncTokenProvider
from ozon_mcp.domain.clock import Clock, SystemClock
from ozon_mcp.domain.errors import SettingNames
from ozon_mcp.domain.lifecycle import TokenLifecycle
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import SyncTokenCache, SyncTokenEndpoint, TokenCache, TokenEndpoint
from ozon_mcp.domain.retry import RandomSource, RetryPolicy


def build_token_provider(
    config: TokenEndpointConfig,
    *,
    endpoint: TokenEndpoint | None = None,
    cache: TokenCache | None = None,
    clock: Clock | None = None,
    rng: RandomSource | None = None,
    rules: LifetimeRules | None = None,
    retry: RetryPolicy | None = None,
    proactive_refresh: bool = True,
    sleep: Sleep | None = None,
    logger: logging.Logger | None = None,
    setting_names: SettingNames | None = None,
    max_wait: float = 30.0,
) -> TokenProvider:
    """An asyncio `TokenProvider` for `config`, with an in-memory cache unless one is given."""
    clock = clock or SystemClock()
    rng = rng if rng is not None else random.Random()
    lifecycle = TokenLifecycle(clock, rng, rules=rules, retry=retry, max_wait=max_wait)
    extra: dict[str, Sleep] = {"sleep": sleep} if sleep is not None else {}
    return TokenProvider(
        endpoint if endpoint is not None else HttpTokenEndpoint(config, clock=clock),
        lifecycle,
        cache if cache is not None else InMemoryTokenCache(),
        config.cache_key,
        clock,
        proactive_refresh=proactive_refresh,
        logger=logger,
        setting_names=setting_names,
        **extra,
    )


def build_sync_token_provider(
    config: TokenEndpointConfig,
    *,
    endpoint: SyncTokenEndpoint | None = None,
    cache: SyncTokenCache | None = None,
    clock: Clock | None = None,
    rng: RandomSource | None = None,
    rules: LifetimeRules | None = None,
    retry: RetryPolicy | None = None,
    proactive_refresh: bool = True,
    wait: ConditionWait | None = None,
    logger: logging.Logger | None = None,
    setting_names: SettingNames | None = None,
    max_wait: float = 30.0,
) -> SyncTokenProvider:
    """A threaded `SyncTokenProvider` for `config`, with an in-memory cache unless one is given."""
    clock = clock or SystemClock()
    rng = rng if rng is not None else random.Random()
    lifecycle = TokenLifecycle(clock, rng, rules=rules, retry=retry, max_wait=max_wait)
    return SyncTokenProvider(
        endpoint if endpoint is not None else HttpTokenEndpoint(config, clock=clock),
        lifecycle,
        cache if cache is not None else InMemoryTokenCache(),
        config.cache_key,
        clock,
        proactive_refresh=proactive_refresh,
        wait=wait,
        logger=logger,
        setting_names=setting_names,
    )
