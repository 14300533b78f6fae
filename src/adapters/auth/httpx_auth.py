"""`ClientCredentialsAuth`: OAuth 2.0 client credentials as an `auth=` for httpx2 AND httpx.

    auth = ClientCredentialsAuth(token_url=..., client_id=..., client_secret=...)
    async with httpx.AsyncClient(auth=auth) as client:      # or httpx2, or the sync Clients
        response = await client.get("https://api.example.com/things")

The class derives from both libraries' `Auth`, so each accepts it; both drive the same
`bearer_flow` (see flow.py). Async clients are served by a `TokenProvider`, sync clients by a
`SyncTokenProvider`, each created on first use; both use the same token cache (`cache=`, an
in-memory one by default), so a token one of them obtained serves the other. The token endpoint
is always called with httpx2.

Across processes: `cache=build_redis_sharing(redis_url, key=...)` (or a `RedisTokenCache`)
shares the tokens AND the token requests (a distributed single flight wraps the endpoint), so
every process, threaded or asyncio, makes one token request per lifetime between them.
"""

from __future__ import annotations

import logging
from types import MappingProxyType

import httpx
from pydantic import SecretStr

from ozon_mcp.adapters.auth.bearer_auth import ProviderBearerAuth
from ozon_mcp.adapters.auth.cache import InMemoryTokenCache
from ozon_mcp.adapters.auth.config import ClientAuthMethod, RequestFormat, TokenEndpointConfig
from ozon_mcp.adapters.auth.endpoint import HttpTokenEndpoint
from ozon_mcp.adapters.auth.factory import build_sync_token_provider, build_token_provider
from ozon_mcp.adapters.auth.provider import Sleep, TokenProvider
from ozon_mcp.adapters.auth.request_sharing import (
    DualTokenEndpoint,
    SharesTokenRequests,
    TokenSharing,
)
from ozon_mcp.adapters.auth.sync_provider import ConditionWait, SyncTokenProvider
from ozon_mcp.domain.clock import Clock, SystemClock
from ozon_mcp.domain.errors import ConfigurationError, Setting, SettingError, SettingNames
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import SyncTokenCache, TokenCache
from ozon_mcp.domain.retry import RandomSource, RetryPolicy

# Errors name what a library user passed: keyword arguments, not the server's variables.
KEYWORD_NAMES: SettingNames = MappingProxyType(
    {setting: f"{setting.value}=" for setting in Setting}
)


class ClientCredentialsAuth(ProviderBearerAuth, httpx.Auth):
    """Adds `Authorization: Bearer <token>` and recovers once from a 401 with a new token.

    Keyword arguments `token_url`, `client_id`, `client_secret` (str or SecretStr),
    `request_format` ("json" | "form"), `client_auth` ("post" | "basic"), `scope` and
    `refresh_margin` (seconds) are the stable contract; the others tune retries, timeouts and
    the lifetime rules, or inject a clock, a random source, a cache or a logger. `max_wait`
    (seconds, default 30) bounds how long one request waits for a token endpoint that asked
    to be left alone (Retry-After); past it the request fails, naming the next attempt. A `cache`
    serves async clients through its `TokenCache` side (`load`/`store`/`discard`) and sync
    clients through its `SyncTokenCache` side (`load_sync`/...); one object may offer both.
    A cache that shares token requests too (`RedisSharing` from `build_redis_sharing`, or a
    `RedisTokenCache`) also wraps the token endpoint in its distributed single flight.
    A test that injects a `clock` also injects how waiting passes on it: `sleep` (an async
    `sleep(seconds)`, for async clients) and `wait` (`wait(condition, timeout)`, for threads).
    """

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str | SecretStr,
        request_format: RequestFormat = "json",
        client_auth: ClientAuthMethod = "post",
        scope: str | None = None,
        refresh_margin: float = 60.0,
        audience: str | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        default_expires_in: float = 1800.0,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        proactive_refresh: bool = True,
        max_wait: float = 30.0,
        cache: TokenCache | SyncTokenCache | TokenSharing | None = None,
        clock: Clock | None = None,
        rng: RandomSource | None = None,
        logger: logging.Logger | None = None,
        sleep: Sleep | None = None,
        wait: ConditionWait | None = None,
    ) -> None:
        if not isinstance(client_secret, str | SecretStr):
            raise ConfigurationError("client_secret must be a str or a pydantic SecretStr")
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        try:
            config = TokenEndpointConfig(
                token_url=token_url,
                client_id=client_id,
                client_secret=secret,
                request_format=request_format,
                client_auth=client_auth,
                scope=scope,
                audience=audience,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
            )
        except SettingError as exc:
            raise exc.worded(KEYWORD_NAMES) from None
        if isinstance(max_wait, bool) or not isinstance(max_wait, int | float) or not max_wait >= 0:
            raise ConfigurationError(f"max_wait must be a number of seconds >= 0, got {max_wait!r}")
        clock = clock or SystemClock()
        rules = _lifetime_rules(refresh_margin, default_expires_in)
        retry = _retry_policy(retry, max_retries)
        # One endpoint (one pair of HTTP clients) for both providers, so that the single flight
        # across processes also covers this process's threads and its event loop.
        endpoint: DualTokenEndpoint = HttpTokenEndpoint(config, clock=clock)
        shared: TokenCache | SyncTokenCache
        if isinstance(cache, TokenSharing):
            shared = cache.cache
        else:
            shared = cache if cache is not None else InMemoryTokenCache()
        if isinstance(cache, SharesTokenRequests):
            endpoint = cache.share(
                endpoint, token_url=config.token_url, client_id=config.client_id, rules=rules
            )

        def make_async() -> TokenProvider:
            return build_token_provider(
                config,
                endpoint=endpoint,
                cache=_async_side(shared),
                clock=clock,
                rng=rng,
                rules=rules,
                retry=retry,
                proactive_refresh=proactive_refresh,
                sleep=sleep,
                logger=logger,
                setting_names=KEYWORD_NAMES,
                max_wait=max_wait,
            )

        def make_sync() -> SyncTokenProvider:
            return build_sync_token_provider(
                config,
                endpoint=endpoint,
                cache=_sync_side(shared),
                clock=clock,
                rng=rng,
                rules=rules,
                retry=retry,
                proactive_refresh=proactive_refresh,
                wait=wait,
                logger=logger,
                setting_names=KEYWORD_NAMES,
                max_wait=max_wait,
            )

        self._setup(config.token_url, config.client_id, make_async, make_sync)


def _async_side(cache: TokenCache | SyncTokenCache) -> TokenCache:
    _require_side(cache, "async", ("load", "store", "discard"), "AsyncClient")
    return cache  # type: ignore[return-value]


def _sync_side(cache: TokenCache | SyncTokenCache) -> SyncTokenCache:
    _require_side(cache, "sync", ("load_sync", "store_sync", "discard_sync"), "Client")
    return cache  # type: ignore[return-value]


def _require_side(cache: object, side: str, methods: tuple[str, ...], client: str) -> None:
    """Refuse a cache without the methods of one side of the port, naming what is missing."""
    missing = [name for name in methods if not callable(getattr(cache, name, None))]
    if missing:
        raise ConfigurationError(
            f"cache={type(cache).__name__} has no {side} side ({'/'.join(methods)}; missing "
            f"{', '.join(missing)}), which httpx.{client} and httpx2.{client} need"
        )


def _lifetime_rules(refresh_margin: float, default_expires_in: float) -> LifetimeRules:
    try:
        return LifetimeRules(refresh_margin=refresh_margin, default_expires_in=default_expires_in)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid token lifetime setting: {exc}") from None


def _retry_policy(retry: RetryPolicy | None, max_retries: int | None) -> RetryPolicy | None:
    if max_retries is None:
        return retry
    if retry is not None:
        raise ConfigurationError("pass either max_retries or retry, not both")
    try:
        return RetryPolicy(max_retries=max_retries)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"invalid max_retries: {exc}") from None
