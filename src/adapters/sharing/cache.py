"""`RedisTokenCache`: the token cache ports (async and sync) backed by Redis, shared by replicas.

A process-local `InMemoryTokenCache` sits behind it: every token is also kept there, and when
Redis is unavailable the cache answers from it, so a provider never notices the outage. When
Redis answers "nothing", the local copy is NOT used: another replica may have discarded the token
after a 401, and resurrecting it would cost a second 401.
"""

from __future__ import annotations

import asyncio
import contextlib

from ozon_mcp.adapters.auth.cache import InMemoryTokenCache
from ozon_mcp.adapters.sharing.record import SharedToken
from ozon_mcp.adapters.sharing.single_flight import SharedTokenEndpoint
from ozon_mcp.adapters.sharing.store import RedisTokenStore, SharingUnavailable
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import CacheKey, SyncTokenEndpoint, TokenEndpoint
from ozon_mcp.domain.token import AccessToken


class RedisTokenCache:
    """Implements `TokenCache` and `SyncTokenCache` over a `RedisTokenStore`.

    Tokens cross the process boundary with wall-clock expiry and come back on the reader's
    monotonic clock; entries expire in Redis with the token (TTL = remaining lifetime) and are
    encrypted at rest unless the store's cipher is the explicit plaintext one.
    """

    def __init__(self, store: RedisTokenStore) -> None:
        self.backend = store
        self._local = InMemoryTokenCache()
        self._loading: dict[CacheKey, asyncio.Task[AccessToken | None]] = {}

    def __repr__(self) -> str:
        return f"RedisTokenCache({self.backend!r})"

    # --- TokenCache ------------------------------------------------------------------------------

    async def load(self, key: CacheKey) -> AccessToken | None:
        """The shared token for `key` (on this process's clock), else None; local if Redis fails.

        Concurrent loads of one key share one Redis round trip: a cold provider lets every
        waiting caller look in the cache, and 200 simultaneous reads (and connections) would
        only make a busy process miss the Redis timeout.
        """
        loop = asyncio.get_running_loop()
        task = self._loading.get(key)
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(self._load_once(key))
            self._loading[key] = task
        # A cancelled caller never cancels the read the others wait for.
        return await asyncio.shield(task)

    async def _load_once(self, key: CacheKey) -> AccessToken | None:
        try:
            shared = await self.backend.load(key)
        except SharingUnavailable:
            return await self._local.load(key)
        return self._adopted(key, shared)

    async def store(self, key: CacheKey, token: AccessToken) -> None:
        """Keep `token` locally and share it (unless Redis already has a later one)."""
        await self._local.store(key, token)
        with contextlib.suppress(SharingUnavailable):  # reported by the store
            await self.backend.save(key, SharedToken.from_access_token(token, self.backend.clock))

    async def discard(self, key: CacheKey, fingerprint: str) -> None:
        """Forget the token with `fingerprint` here and for every replica (compare-and-delete)."""
        await self._local.discard(key, fingerprint)
        with contextlib.suppress(SharingUnavailable):  # reported by the store
            await self.backend.discard(key, fingerprint)

    # --- SyncTokenCache --------------------------------------------------------------------------

    def load_sync(self, key: CacheKey) -> AccessToken | None:
        """The shared token for `key` (on this process's clock), else None; local if Redis fails."""
        try:
            shared = self.backend.load_sync(key)
        except SharingUnavailable:
            return self._local.load_sync(key)
        return self._adopted(key, shared)

    def store_sync(self, key: CacheKey, token: AccessToken) -> None:
        """Keep `token` locally and share it (unless Redis already has a later one)."""
        self._local.store_sync(key, token)
        with contextlib.suppress(SharingUnavailable):  # reported by the store
            self.backend.save_sync(key, SharedToken.from_access_token(token, self.backend.clock))

    def discard_sync(self, key: CacheKey, fingerprint: str) -> None:
        """Forget the token with `fingerprint` here and for every replica (compare-and-delete)."""
        self._local.discard_sync(key, fingerprint)
        with contextlib.suppress(SharingUnavailable):  # reported by the store
            self.backend.discard_sync(key, fingerprint)

    # --- the single flight over the same store --------------------------------------------------

    def share(
        self,
        endpoint: TokenEndpoint | SyncTokenEndpoint,
        *,
        token_url: str,
        client_id: str,
        rules: LifetimeRules | None = None,
        lock_ttl: float = 20.0,
    ) -> SharedTokenEndpoint:
        """Wrap `endpoint` in the distributed single flight over this cache's store.

        `ClientCredentialsAuth(cache=<this cache>)` calls it, so that processes sharing the
        cache also share their token requests (one per lifetime for all of them).
        """
        return SharedTokenEndpoint(
            endpoint,
            self.backend,
            token_url=token_url,
            client_id=client_id,
            rules=rules,
            lock_ttl=lock_ttl,
        )

    def _adopted(self, key: CacheKey, shared: SharedToken | None) -> AccessToken | None:
        if shared is None:
            return None
        token = shared.to_access_token(self.backend.clock)
        self._local.store_sync(key, token)
        return token
