"""`ProviderBearerAuth`: the bearer flow over token providers, as an httpx2 `Auth`.

It drives the one `bearer_flow` (see flow.py) for sync and async clients. The product's own
upstream client uses it directly (httpx2 only, so the server never imports httpx);
`ClientCredentialsAuth` adds httpx 0.28 support and builds the providers from credentials.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, Self

import httpx2

from ozon_mcp.adapters.auth.flow import (
    UNAUTHORIZED,
    Accepted,
    BearerFlow,
    FlowReply,
    Invalidate,
    NeedToken,
    authorized,
    bearer_flow,
)
from ozon_mcp.adapters.auth.provider import TokenProvider
from ozon_mcp.adapters.auth.stats import ProviderStats
from ozon_mcp.adapters.auth.sync_provider import SyncTokenProvider
from ozon_mcp.domain.errors import ConfigurationError


class ProviderBearerAuth(httpx2.Auth):
    """Adds `Authorization: Bearer <token>` from token providers; recovers once from a 401."""

    requires_request_body = True  # the body is replayed when a 401 forces a retry
    requires_response_body = False

    @classmethod
    def from_providers(
        cls,
        provider: TokenProvider | None = None,
        *,
        sync_provider: SyncTokenProvider | None = None,
    ) -> Self:
        """An Auth over providers built elsewhere (the server's container shares its provider)."""
        given = provider or sync_provider
        if given is None:
            raise ConfigurationError("from_providers needs a provider, a sync_provider or both")
        auth = cls.__new__(cls)

        def missing_async() -> TokenProvider:
            raise ConfigurationError("this auth has no async token provider")

        def missing_sync() -> SyncTokenProvider:
            raise ConfigurationError("this auth has no sync token provider")

        auth._setup(given.key.token_url, given.key.client_id, missing_async, missing_sync)
        auth._async_provider = provider
        auth._sync_provider = sync_provider
        return auth

    def _setup(
        self,
        token_url: str,
        client_id: str,
        make_async: Callable[[], TokenProvider],
        make_sync: Callable[[], SyncTokenProvider],
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._make_async = make_async
        self._make_sync = make_sync
        self._async_provider: TokenProvider | None = None
        self._sync_provider: SyncTokenProvider | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(token_url={self._token_url!r}, client_id={self._client_id!r})"
        )

    # --- providers, stats, closing -----------------------------------------------------------

    @property
    def provider(self) -> TokenProvider:
        """The asyncio token provider (created on first use)."""
        existing = self._async_provider
        if existing is not None:  # every request passes here: no lock once it exists
            return existing
        with self._lock:
            if self._async_provider is None:
                self._async_provider = self._make_async()
            return self._async_provider

    @property
    def sync_provider(self) -> SyncTokenProvider:
        """The threaded token provider (created on first use)."""
        with self._lock:
            if self._sync_provider is None:
                self._sync_provider = self._make_sync()
            return self._sync_provider

    def stats(self) -> ProviderStats | None:
        """Counters and token facts of the providers used so far (None before any use)."""
        found = [p.stats() for p in (self._async_provider, self._sync_provider) if p is not None]
        if not found:
            return None
        combined = found[0]
        for other in found[1:]:
            combined = combined.merged_with(other)
        return combined

    async def aclose(self) -> None:
        """Stop background refreshes and close the token endpoint clients (both providers)."""
        if self._async_provider is not None:
            await self._async_provider.aclose()
        if self._sync_provider is not None:
            # Joining the refresher thread must not block the event loop.
            await asyncio.to_thread(self._sync_provider.close)

    def close(self) -> None:
        """Stop the threaded provider's refresher (sync programs; async ones use `aclose`)."""
        if self._sync_provider is not None:
            self._sync_provider.close()

    # --- the httpx / httpx2 Auth protocol ------------------------------------------------------

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        """Not used: clients call `sync_auth_flow` or `async_auth_flow`, which fetch tokens."""
        raise RuntimeError(
            "ClientCredentialsAuth is driven by httpx/httpx2 clients through sync_auth_flow or "
            "async_auth_flow; pass it as auth= to a Client or an AsyncClient"
        )

    def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        """The flow for `httpx.Client` / `httpx2.Client` (blocking, thread-safe)."""
        if self.requires_request_body:
            request.read()
        provider = self.sync_provider
        # The first send needs no flow: the token, then the request; the flow takes over only
        # after a 401 (no generator for a request answered without one).
        token = provider.get_token()
        response = yield authorized(request, token)
        if response.status_code != UNAUTHORIZED:
            return
        flow: BearerFlow = bearer_flow(request, token, response)
        reply: FlowReply = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration:
                return
            if isinstance(step, NeedToken):
                reply = provider.get_token()
            elif isinstance(step, Invalidate):
                provider.invalidate(step.fingerprint)
                reply = None
            elif isinstance(step, Accepted):
                provider.accepted(step.fingerprint)
                reply = None
            else:
                reply = yield step.request

    async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
        """The flow for `httpx.AsyncClient` / `httpx2.AsyncClient` (never blocks the loop)."""
        if self.requires_request_body:
            await request.aread()
        provider = self.provider
        # As in `sync_auth_flow`; a token in hand is taken without awaiting (the hot path).
        token = provider.token_in_hand()
        if token is None:
            token = await provider.get_token()
        response = yield authorized(request, token)
        if response.status_code != UNAUTHORIZED:
            return
        flow: BearerFlow = bearer_flow(request, token, response)
        reply: FlowReply = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration:
                return
            if isinstance(step, NeedToken):
                reply = await provider.get_token()
            elif isinstance(step, Invalidate):
                await provider.invalidate(step.fingerprint)
                reply = None
            elif isinstance(step, Accepted):
                await provider.accepted(step.fingerprint)
                reply = None
            else:
                reply = yield step.request
