"""`RedisTokenStore`: the Redis side of token sharing (entries, locks), sync and asyncio.

Every Redis call has a short socket timeout and is never retried after a timeout: a Redis that
is down or slow costs a caller at most one timeout, after which `RedisHealth` keeps Redis out of
the way for `retry_after` seconds (one warning), then tries again and says when it is back.
Callers get `SharingUnavailable` and carry on without Redis; nothing here fails a tool call.

Entries are hashes: `fp` (the token's log-safe fingerprint), `exp` (wall expiry, ms), `kid`
(which TOKEN_CACHE_KEY wrote it) and `data` (the sealed record). The first three are not secret
and let the Lua scripts compare-and-delete and keep the later token without decrypting.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from ozon_mcp.adapters.sharing.keys import CacheKeyMismatchError, TokenCipher
from ozon_mcp.adapters.sharing.record import MalformedSharedToken, SharedToken
from ozon_mcp.domain.clock import Clock, SystemClock
from ozon_mcp.domain.ports import CacheKey

LOGGER_NAME = "ozon_mcp.sharing"

# Keep the later token: an entry is replaced only by one that expires later, and never by a
# writer with another TOKEN_CACHE_KEY while it lives (status -1). KEYS[2] remembers which key id
# wrote last (for a day): entry names are keyed hashes, so replicas with different keys would
# otherwise silently stop sharing; the writer learns the previous key id and can say so.
_SAVE = """
local previous = redis.call('GET', KEYS[2]) or ''
redis.call('SET', KEYS[2], ARGV[3], 'PX', 86400000)
local kid = redis.call('HGET', KEYS[1], 'kid')
if kid and kid ~= ARGV[3] then return {-1, previous} end
local exp = tonumber(redis.call('HGET', KEYS[1], 'exp') or '0')
if exp and exp > tonumber(ARGV[2]) then return {0, previous} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'exp', ARGV[2], 'kid', ARGV[3], 'data', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, previous}
"""
_DISCARD = """
if redis.call('HGET', KEYS[1], 'fp') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


# A pooled connection that Redis closed (restart, idle timeout) fails on first use: one immediate
# reconnect hides that. Timeouts are never retried: a slow Redis costs one timeout, not several.
_RECONNECT_ONCE: tuple[type[redis.RedisError], ...] = (redis.ConnectionError,)


class SharingUnavailable(Exception):
    """Redis could not be used just now (already logged); go on without it."""


class RedisHealth:
    """Remembers that Redis failed, so that callers skip it for a while instead of timing out.

    Thread-safe: the sync and asyncio sides of one store share it.
    """

    def __init__(self, clock: Clock, logger: logging.Logger, *, retry_after: float) -> None:
        self._clock = clock
        self._log = logger
        self._retry_after = retry_after
        self._down_until: float | None = None
        self._lock = threading.Lock()

    def usable(self) -> bool:
        """Whether to try Redis now (always, unless it failed less than `retry_after` ago)."""
        with self._lock:
            return self._down_until is None or self._clock.monotonic() >= self._down_until

    @property
    def down(self) -> bool:
        """Whether the last Redis operation failed."""
        with self._lock:
            return self._down_until is not None

    def failed(self, operation: str, exc: BaseException) -> None:
        """Record a failure; the first one after a healthy period is logged as a warning."""
        with self._lock:
            first = self._down_until is None
            self._down_until = self._clock.monotonic() + self._retry_after
        if first:
            self._log.warning(
                "Redis is unavailable for the shared token cache (%s during %s): this process "
                "fetches and keeps its own tokens meanwhile and tries Redis again every %g s",
                type(exc).__name__,
                operation,
                self._retry_after,
                extra={"auth_event": "shared_cache_down"},
            )

    def succeeded(self) -> None:
        """Record a success; after a failure, say that tokens are shared again."""
        with self._lock:
            was_down = self._down_until is not None
            self._down_until = None
        if was_down:
            self._log.warning(
                "Redis is back: tokens are shared between processes again",
                extra={"auth_event": "shared_cache_up"},
            )


class RedisTokenStore:
    """Reads and writes shared token entries and single-flight locks in one Redis database."""

    def __init__(
        self,
        url: str,
        cipher: TokenCipher,
        *,
        clock: Clock | None = None,
        prefix: str = "ozon-mcp",
        timeout: float = 1.0,
        retry_after: float = 5.0,
        logger: logging.Logger | None = None,
    ) -> None:
        if timeout <= 0 or retry_after <= 0:
            raise ValueError("timeout and retry_after must be positive numbers of seconds")
        self.cipher = cipher
        self.clock = clock or SystemClock()
        self.log = logger or logging.getLogger(LOGGER_NAME)
        self.health = RedisHealth(self.clock, self.log, retry_after=retry_after)
        self._url = url
        self._prefix = prefix
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sync: redis.Redis | None = None
        self._async: tuple[asyncio.AbstractEventLoop, aioredis.Redis] | None = None
        self._reported: set[str] = set()
        self._marker = f"{prefix}:key-id"

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self._prefix!r}, {self.cipher!r})"

    # --- names -----------------------------------------------------------------------------------

    def entry_name(self, key: CacheKey) -> str:
        """The Redis key of the token entry for `key`."""
        return f"{self._prefix}:token:{self.cipher.entry_name(key)}"

    def lock_name(self, key: CacheKey) -> str:
        """The Redis key of the single-flight lock for `key`."""
        return f"{self._prefix}:lock:{self.cipher.entry_name(key)}"

    # --- sync side -------------------------------------------------------------------------------

    def load_sync(self, key: CacheKey) -> SharedToken | None:
        """The shared token for `key`, or None (nothing stored, or not readable by us)."""
        name = self.entry_name(key)
        with self._guard("load"):
            fields = self._sync_client().hgetall(name)
        return self._decode(name, fields)

    def save_sync(self, key: CacheKey, token: SharedToken) -> None:
        """Share `token`, unless a later one is stored already."""
        name = self.entry_name(key)
        args = self._save_args(name, token)
        if args is None:
            return
        with self._guard("store"):
            outcome = self._sync_client().eval(_SAVE, 2, name, self._marker, *args)
        self._after_save(outcome)

    def discard_sync(self, key: CacheKey, fingerprint: str) -> bool:
        """Delete the shared token for `key` if it is still the one with `fingerprint`."""
        with self._guard("discard"):
            return bool(self._sync_client().eval(_DISCARD, 1, self.entry_name(key), fingerprint))

    def try_lock_sync(self, key: CacheKey, owner: str, ttl: float) -> bool:
        """Take the single-flight lock for `key` for `ttl` seconds, if nobody holds it."""
        with self._guard("lock"):
            return bool(self._sync_client().set(self.lock_name(key), owner, nx=True, px=_ms(ttl)))

    def unlock_sync(self, key: CacheKey, owner: str) -> None:
        """Release the lock if `owner` still holds it (an expired lock may be someone else's)."""
        with self._guard("unlock"):
            self._sync_client().eval(_UNLOCK, 1, self.lock_name(key), owner)

    def close(self) -> None:
        """Close the blocking client's connections."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    # --- asyncio side ----------------------------------------------------------------------------

    async def load(self, key: CacheKey) -> SharedToken | None:
        """The shared token for `key`, or None (nothing stored, or not readable by us)."""
        name = self.entry_name(key)
        with self._guard("load"):
            fields = await self._async_client().hgetall(name)
        return self._decode(name, fields)

    async def save(self, key: CacheKey, token: SharedToken) -> None:
        """Share `token`, unless a later one is stored already."""
        name = self.entry_name(key)
        args = self._save_args(name, token)
        if args is None:
            return
        with self._guard("store"):
            outcome = await self._async_client().eval(_SAVE, 2, name, self._marker, *args)
        self._after_save(outcome)

    async def discard(self, key: CacheKey, fingerprint: str) -> bool:
        """Delete the shared token for `key` if it is still the one with `fingerprint`."""
        with self._guard("discard"):
            client = self._async_client()
            deleted = await client.eval(_DISCARD, 1, self.entry_name(key), fingerprint)
        return bool(deleted)

    async def try_lock(self, key: CacheKey, owner: str, ttl: float) -> bool:
        """Take the single-flight lock for `key` for `ttl` seconds, if nobody holds it."""
        with self._guard("lock"):
            client = self._async_client()
            return bool(await client.set(self.lock_name(key), owner, nx=True, px=_ms(ttl)))

    async def unlock(self, key: CacheKey, owner: str) -> None:
        """Release the lock if `owner` still holds it."""
        with self._guard("unlock"):
            await self._async_client().eval(_UNLOCK, 1, self.lock_name(key), owner)

    async def aclose(self) -> None:
        """Close the asyncio client of the running event loop, if any."""
        with self._lock:
            held, self._async = self._async, None
        if held is not None and held[0] is asyncio.get_running_loop():
            await held[1].aclose()

    # --- shared helpers --------------------------------------------------------------------------

    @contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        if not self.health.usable():
            raise SharingUnavailable(operation)
        try:
            yield
        except (redis.RedisError, OSError) as exc:
            self.health.failed(operation, exc)
            raise SharingUnavailable(operation) from exc
        self.health.succeeded()

    def _sync_client(self) -> redis.Redis:
        with self._lock:
            if self._sync is None:
                self._sync = redis.Redis.from_url(
                    self._url,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                    retry=Retry(NoBackoff(), 1, supported_errors=_RECONNECT_ONCE),
                )
            return self._sync

    def _async_client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        with self._lock:
            # asyncio connections belong to one event loop: a new loop gets its own client.
            if self._async is None or self._async[0] is not loop:
                client = aioredis.Redis.from_url(
                    self._url,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                    retry=AsyncRetry(NoBackoff(), 1, supported_errors=_RECONNECT_ONCE),
                )
                self._async = (loop, client)
            return self._async[1]

    def _save_args(self, name: str, token: SharedToken) -> list[Any] | None:
        ttl = _ms(token.remaining(self.clock))
        if ttl <= 0:
            return None  # already expired: nothing worth sharing
        sealed = self.cipher.seal(token.encode(), bound_to=name)
        expires_ms = int(token.expires_wall * 1000)
        return [token.fingerprint, expires_ms, self.cipher.key_id, sealed, ttl]

    def _after_save(self, outcome: object) -> None:
        status, previous = outcome if isinstance(outcome, list) else (outcome, b"")
        previous_kid = _text(previous)
        if previous_kid and previous_kid != self.cipher.key_id:
            self._report_once(
                f"kid:{previous_kid}",
                f"another process shares tokens in this Redis with a different TOKEN_CACHE_KEY "
                f"(key id {previous_kid[:16]!r}, this process has {self.cipher.key_id!r}), so "
                "the two do not share tokens: give every replica the same TOKEN_CACHE_KEY "
                "(after a key rotation, this is said once and can be ignored)",
            )
        if status == -1:
            self._report_once(
                "foreign-save",
                "the shared token in Redis was written with another TOKEN_CACHE_KEY, so this "
                "process does not replace it: give every replica the same TOKEN_CACHE_KEY",
            )

    def _decode(self, name: str, raw: Mapping[Any, Any]) -> SharedToken | None:
        if not raw:
            return None
        fields = {_text(k): v for k, v in raw.items()}
        kid = _text(fields.get("kid", b""))
        if kid != self.cipher.key_id:
            self._report_once(
                f"kid:{kid}",
                f"the shared token in Redis was written with another TOKEN_CACHE_KEY (key id "
                f"{kid[:16]!r}, this process has {self.cipher.key_id!r}): give every replica the "
                "same TOKEN_CACHE_KEY; this process fetches its own tokens meanwhile",
            )
            return None
        try:
            return SharedToken.decode(
                self.cipher.open(_bytes(fields.get("data", b"")), bound_to=name)
            )
        except (CacheKeyMismatchError, MalformedSharedToken) as exc:
            self._report_once(f"bad:{kid}", f"an unreadable shared token entry was ignored: {exc}")
            return None

    def _report_once(self, topic: str, message: str) -> None:
        with self._lock:
            if topic in self._reported:
                return
            self._reported.add(topic)
        self.log.error(message, extra={"auth_event": "shared_cache_misconfigured"})


def _ms(seconds: float) -> int:
    return max(0, int(seconds * 1000))


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")
