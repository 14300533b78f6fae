"""`SharedTokenEndpoint`: one token request per lifetime for N processes (a distributed
single flight).

It decorates a `TokenEndpoint` / `SyncTokenEndpoint`, so the providers do not change. When a
provider asks for a token, it:

1. returns the token another process shared, if it outlives what this process would refresh
   (remaining lifetime > refresh margin + slack, the slack being min(5 s, lifetime / 10)), as
   a grant whose `expires_in` is that remaining lifetime measured from when the provider asked;
2. else takes a short lock (SET NX PX, a unique value), checks once more, asks the real endpoint,
   shares the token and releases the lock (compare-and-delete: only its owner can);
3. else (another process holds the lock) polls for the token to appear; when the lock vanishes
   without a token it tries to take it; after `wait_timeout` it asks the endpoint itself.

The lock expires by itself (`lock_ttl`) when its holder dies. Whenever Redis is unavailable the
real endpoint is asked directly: sharing is an optimisation, never a new way to fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from typing import Protocol, runtime_checkable

from ozon_mcp.adapters.sharing.record import SharedToken
from ozon_mcp.adapters.sharing.store import RedisTokenStore, SharingUnavailable
from ozon_mcp.domain.errors import MalformedTokenResponseError
from ozon_mcp.domain.lifetime import LifetimeRules, resolve_lifetime
from ozon_mcp.domain.ports import (
    CacheKey,
    ScopeSet,
    SyncTokenEndpoint,
    TokenEndpoint,
    TokenGrant,
    TokenResponse,
)


@runtime_checkable
class _Async(Protocol):
    async def request_token(self, scopes: ScopeSet) -> TokenResponse: ...


@runtime_checkable
class _Sync(Protocol):
    def request_token_sync(self, scopes: ScopeSet) -> TokenResponse: ...


@runtime_checkable
class _AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


@runtime_checkable
class _Closable(Protocol):
    def close(self) -> None: ...


class SharedTokenEndpoint:
    """A token endpoint that asks Redis (and other replicas) first; see the module docstring.

    `token_url` and `client_id` name the token (with the scopes of each call) exactly as the
    provider's `CacheKey` does, so `RedisTokenCache` and this endpoint share entries.
    """

    def __init__(
        self,
        inner: TokenEndpoint | SyncTokenEndpoint,
        store: RedisTokenStore,
        *,
        token_url: str,
        client_id: str,
        rules: LifetimeRules | None = None,
        lock_ttl: float = 20.0,
        wait_timeout: float | None = None,
        poll_interval: float = 0.05,
        fresh_slack: float = 5.0,
    ) -> None:
        for name, value in (("lock_ttl", lock_ttl), ("poll_interval", poll_interval)):
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        self._inner = inner
        self._store = store
        self._clock = store.clock
        self._token_url = token_url
        self._client_id = client_id
        self._rules = rules or LifetimeRules()
        self._lock_ttl = lock_ttl
        self._wait_timeout = wait_timeout if wait_timeout is not None else 2 * lock_ttl
        self._poll = poll_interval
        self._fresh_slack = max(0.0, fresh_slack)
        self._log = store.log

    def __repr__(self) -> str:
        return f"SharedTokenEndpoint({self._inner!r}, {self._store!r})"

    def key_for(self, scopes: ScopeSet) -> CacheKey:
        """The cache key of the token requested for `scopes`."""
        return CacheKey(self._token_url, self._client_id, scopes)

    # --- TokenEndpoint ---------------------------------------------------------------------------

    async def request_token(self, scopes: ScopeSet) -> TokenResponse:
        """A shared token if one is fresh enough, else one request for all replicas."""
        inner = self._inner
        if not isinstance(inner, _Async):
            raise TypeError(f"{inner!r} has no async request_token")
        asked_at = self._clock.monotonic()
        key = self.key_for(scopes)
        owner = uuid.uuid4().hex
        deadline = asked_at + self._wait_timeout
        try:
            while True:
                grant = self._fresh_grant(await self._store.load(key), asked_at)
                if grant is not None:
                    return grant
                if await self._store.try_lock(key, owner, self._lock_ttl):
                    break
                if self._clock.monotonic() >= deadline:
                    self._waited_too_long()
                    return await inner.request_token(scopes)
                await asyncio.sleep(self._poll)
        except SharingUnavailable:
            return await inner.request_token(scopes)
        try:
            # Another process may have shared a token between our load and our lock.
            grant = self._fresh_grant(await self._store.load(key), asked_at)
            if grant is not None:
                return grant
        except SharingUnavailable:
            pass
        try:
            sent_wall = self._clock.now().timestamp()
            response = await inner.request_token(scopes)
            shared = self._shareable(response, sent_wall)
            if shared is not None:
                # A failure is reported by the store; the caller gets its token all the same.
                with contextlib.suppress(SharingUnavailable):
                    await self._store.save(key, shared)
            return response
        finally:
            await self._release(key, owner)

    async def aclose(self) -> None:
        """Close the wrapped endpoint (the store is shared and closed by its owner)."""
        if isinstance(self._inner, _AsyncClosable):
            await self._inner.aclose()

    # --- SyncTokenEndpoint -----------------------------------------------------------------------

    def request_token_sync(self, scopes: ScopeSet) -> TokenResponse:
        """The blocking twin of `request_token`."""
        inner = self._inner
        if not isinstance(inner, _Sync):
            raise TypeError(f"{inner!r} has no request_token_sync")
        asked_at = self._clock.monotonic()
        key = self.key_for(scopes)
        owner = uuid.uuid4().hex
        deadline = asked_at + self._wait_timeout
        try:
            while True:
                grant = self._fresh_grant(self._store.load_sync(key), asked_at)
                if grant is not None:
                    return grant
                if self._store.try_lock_sync(key, owner, self._lock_ttl):
                    break
                if self._clock.monotonic() >= deadline:
                    self._waited_too_long()
                    return inner.request_token_sync(scopes)
                time.sleep(self._poll)
        except SharingUnavailable:
            return inner.request_token_sync(scopes)
        try:
            grant = self._fresh_grant(self._store.load_sync(key), asked_at)
            if grant is not None:
                return grant
        except SharingUnavailable:
            pass
        try:
            sent_wall = self._clock.now().timestamp()
            response = inner.request_token_sync(scopes)
            shared = self._shareable(response, sent_wall)
            if shared is not None:
                # A failure is reported by the store; the caller gets its token all the same.
                with contextlib.suppress(SharingUnavailable):
                    self._store.save_sync(key, shared)
            return response
        finally:
            self._release_sync(key, owner)

    def close(self) -> None:
        """Close the wrapped endpoint's blocking client."""
        if isinstance(self._inner, _Closable):
            self._inner.close()

    # --- helpers ---------------------------------------------------------------------------------

    def _fresh_grant(self, shared: SharedToken | None, asked_at: float) -> TokenGrant | None:
        """`shared` as a grant, if it lives longer than this process would keep it before
        refreshing. Its lifetime counts from when the provider asked (the provider dates the
        token from then), so time spent waiting for another replica is not counted twice.
        """
        if shared is None:
            return None
        remaining = shared.remaining(self._clock) - (self._clock.monotonic() - asked_at)
        # A process refreshes when min(margin, lifetime / 2) is left; the slack (at most a tenth
        # of the lifetime, so short-lived tokens still qualify) keeps a token that is about to
        # be refreshed from being handed out as if it were new.
        slack = min(self._fresh_slack, shared.lifetime / 10)
        # Never below the lifecycle's minimum lifetime, which would reject the grant.
        if remaining <= max(self._rules.refresh_margin + slack, self._rules.min_lifetime + 1):
            return None
        return TokenGrant(access_token=shared.secret, token_type="Bearer", expires_in=remaining)  # noqa: S106

    def _shareable(self, response: TokenResponse, sent_wall: float) -> SharedToken | None:
        """The token of a successful response as the lifecycle will see it, else None."""
        if not isinstance(response, TokenGrant):
            return None
        raw = response.access_token.get_secret_value()
        if not raw.strip() or (response.token_type or "Bearer").strip().lower() != "bearer":
            return None  # the lifecycle will reject it: do not hand it to the other replicas
        try:
            lifetime = resolve_lifetime(
                response.expires_in,
                jwt_exp=response.jwt_exp,
                wall_now=self._clock.now(),
                rules=self._rules,
            )
        except MalformedTokenResponseError:
            return None
        return SharedToken.issued(
            raw,
            sent_wall=sent_wall,
            lifetime=lifetime.seconds,
            refresh_after=self._rules.refresh_after(lifetime.seconds),
            issued_wall=self._clock.now().timestamp(),
        )

    async def _release(self, key: CacheKey, owner: str) -> None:
        with contextlib.suppress(SharingUnavailable):  # the lock expires by itself
            await self._store.unlock(key, owner)

    def _release_sync(self, key: CacheKey, owner: str) -> None:
        with contextlib.suppress(SharingUnavailable):
            self._store.unlock_sync(key, owner)

    def _waited_too_long(self) -> None:
        self._log.warning(
            "another process held the token lock for %g s without sharing a token: "
            "asking the token endpoint directly",
            self._wait_timeout,
            extra={"auth_event": "shared_lock_timeout"},
        )
