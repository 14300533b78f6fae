"""Builds the Redis token sharing from the operator's settings, refusing unsafe combinations."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import SecretStr

from ozon_mcp.adapters.sharing.cache import RedisTokenCache
from ozon_mcp.adapters.sharing.keys import TokenCipher
from ozon_mcp.adapters.sharing.single_flight import SharedTokenEndpoint
from ozon_mcp.adapters.sharing.store import RedisTokenStore
from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import SyncTokenEndpoint, TokenEndpoint


def make_cipher(key: SecretStr | str | None, *, allow_plaintext: bool) -> TokenCipher:
    """The cipher for TOKEN_CACHE_KEY; without a key only if plaintext was explicitly allowed."""
    if key is not None and (key.get_secret_value() if isinstance(key, SecretStr) else key):
        return TokenCipher.from_passphrase(key)
    if allow_plaintext:
        return TokenCipher.plaintext()
    raise ConfigurationError(
        "TOKEN_CACHE=redis needs TOKEN_CACHE_KEY (at least 32 characters, the same on every "
        "replica) so that a Redis reader gets no usable token; set TOKEN_CACHE_ALLOW_PLAINTEXT=1 "
        "only if you accept tokens stored in clear"
    )


@dataclass(frozen=True)
class RedisSharing:
    """A store plus the two things built on it: the cache and the endpoint decorator.

    `ClientCredentialsAuth(cache=<a RedisSharing>)` uses both: the cache for tokens obtained,
    `share` for the requests. The sharing is the caller's: close it after the Auths using it.
    """

    store: RedisTokenStore
    cache: RedisTokenCache

    def share(
        self,
        endpoint: TokenEndpoint | SyncTokenEndpoint,
        *,
        token_url: str,
        client_id: str,
        rules: LifetimeRules | None = None,
        lock_ttl: float = 20.0,
    ) -> SharedTokenEndpoint:
        """Wrap `endpoint` in the distributed single flight over this store."""
        return self.cache.share(
            endpoint, token_url=token_url, client_id=client_id, rules=rules, lock_ttl=lock_ttl
        )

    def close(self) -> None:
        """Close the blocking Redis connections (after the Auths or providers that use them)."""
        self.store.close()

    async def aclose(self) -> None:
        """Close the connections of both Redis clients (asyncio: the running loop's)."""
        await self.store.aclose()
        self.store.close()


def build_redis_sharing(
    redis_url: str | None,
    *,
    key: SecretStr | str | None,
    allow_plaintext: bool = False,
    clock: Clock | None = None,
    timeout: float = 1.0,
    retry_after: float = 5.0,
    prefix: str = "ozon-mcp",
    logger: logging.Logger | None = None,
) -> RedisSharing:
    """A `RedisSharing` for REDIS_URL; raises `ConfigurationError` naming the setting to fix."""
    if not redis_url or not redis_url.strip():
        raise ConfigurationError(
            "TOKEN_CACHE=redis needs REDIS_URL, e.g. redis://redis:6379/0 "
            "(rediss:// for TLS; a password goes in the URL)"
        )
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            "REDIS_URL must start with redis://, rediss:// or unix:// (got a value that does not)"
        )
    cipher = make_cipher(key, allow_plaintext=allow_plaintext)
    store = RedisTokenStore(
        redis_url.strip(),
        cipher,
        clock=clock,
        timeout=timeout,
        retry_after=retry_after,
        prefix=prefix,
        logger=logger,
    )
    return RedisSharing(store, RedisTokenCache(store))
