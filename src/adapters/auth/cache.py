"""`InMemoryTokenCache`: the embedded `TokenCache`, one process, any number of keys."""

from __future__ import annotations

import threading

from ozon_mcp.domain.ports import CacheKey
from ozon_mcp.domain.token import AccessToken


class InMemoryTokenCache:
    """Keeps the current token per `CacheKey` in a dict (safe to share between threads).

    The lock only guards dict operations of a few microseconds, so holding it on an event loop
    never blocks the loop noticeably.
    """

    def __init__(self) -> None:
        self._tokens: dict[CacheKey, AccessToken] = {}
        self._lock = threading.Lock()

    def load_sync(self, key: CacheKey) -> AccessToken | None:
        """The token stored for `key`, possibly expired (callers check), or None."""
        with self._lock:
            return self._tokens.get(key)

    def store_sync(self, key: CacheKey, token: AccessToken) -> None:
        """Make `token` the current one for `key`."""
        with self._lock:
            self._tokens[key] = token

    def discard_sync(self, key: CacheKey, fingerprint: str) -> None:
        """Forget the token for `key` if it is still the one with `fingerprint`."""
        with self._lock:
            current = self._tokens.get(key)
            if current is not None and current.fingerprint == fingerprint:
                del self._tokens[key]

    # The async side does the same dict operations: they never wait on I/O.
    async def load(self, key: CacheKey) -> AccessToken | None:
        """The token stored for `key`, possibly expired (callers check), or None."""
        return self.load_sync(key)

    async def store(self, key: CacheKey, token: AccessToken) -> None:
        """Make `token` the current one for `key`."""
        self.store_sync(key, token)

    async def discard(self, key: CacheKey, fingerprint: str) -> None:
        """Forget the token for `key` if it is still the one with `fingerprint`."""
        self.discard_sync(key, fingerprint)

    @property
    def size(self) -> int:
        """How many keys hold a token (a method, not `__len__`: an empty cache is not falsy)."""
        with self._lock:
            return len(self._tokens)

    def __repr__(self) -> str:
        return f"InMemoryTokenCache({self.size} token(s))"
