"""`ClientCredentialsAuth`: OAuth 2.0 client credentials as an `auth=` for httpx2 AND httpx.

    auth = ClientCredentialsAuth(token_url=..., client_id=..., client_secret=...)
    async with httpx.AsyncClient(auth=auth) as client:      # or httpx2, or the sync Clients
        response = await client.get("https://api.example.com/things")

The class derives from both libraries' `Auth`, so each accepts it; both drive the same
`bearer_flow` (see flow.py). Async clients are served by a `TokenProvider`, sync clients by a
`SyncTokenProvider`, each created on first use. The token endpoint is always called with httpx2.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx
import httpx2
from pydantic import SecretStr

from adapters.auth.config import ClientAuthMethod, RequestFormat, TokenEndpointConfig
from adapters.auth.endpoint import HttpTokenEndpoint
from adapters.auth.factory import build_sync_token_provider, build_token_provider
from adapters.auth.flow import BearerFlow, FlowReply, Invalidate, NeedToken, bearer_flow
from adapters.auth.provider import TokenProvider
from adapters.auth.stats import ProviderStats
from adapters.auth.sync_provider import SyncTokenProvider
from domain.clock import Clock, SystemClock
from domain.errors import ConfigurationError
from domain.lifetime import LifetimeRules
from domain.ports import TokenCache
from domain.retry import RandomSource, RetryPolicy

AnyRequest = httpx2.Request | httpx.Request


class ClientCredentialsAuth(httpx2.Auth, httpx.Auth):
    """Adds `Authorization: Bearer <token>` and recovers once from a 401 with a new token.

    Keyword arguments `token_url`, `client_id`, `client_secret` (str or SecretStr),
    `request_format` ("json" | "form"), `client_auth` ("post" | "basic"), `scope` and
    `refresh_margin` (seconds) are the stable contract; the others tune retries, timeouts and
    the lifetime rules, or inject a clock, a random source, a cache or a logger.
    """

    requires_request_body = True  # the body is replayed when a 401 forces a retry
    requires_response_body = False

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
        cache: TokenCache | None = None,
        clock: Clock | None = None,
        rng: RandomSource | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if not isinstance(client_secret, str | SecretStr):
            raise ConfigurationError("client_secret must be a str or a pydantic SecretStr")
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
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
        clock = clock or SystemClock()
        rules = _lifetime_rules(refresh_margin, default_expires_in)
        retry = _retry_policy(retry, max_retries)
        endpoint = HttpTokenEndpoint(config, clock=clock)  # shared: one pair of HTTP clients

        def make_async() -> TokenProvider:
            return build_token_provider(
                config,
                endpoint=endpoint,
                cache=cache,
                clock=clock,
                rng=rng,
                rules=rules,
                retry=retry,
                proactive_refresh=proactive_refresh,
                logger=logger,
            )

        def make_sync() -> SyncTokenProvider:
            return build_sync_token_provider(
                config,
                endpoint=endpoint,
                clock=clock,
                rng=rng,
                rules=rules,
                retry=retry,
                proactive_refresh=proactive_refresh,
                logger=logger,
            )

        self._setup(config.token_url, config.client_id, make_async, make_sync)

    @classmethod
    def from_providers(
        cls,
        provider: TokenProvider | None = None,
        *,
        sync_provider: SyncTokenProvider | None = None,
    ) -> ClientCredentialsAuth:
        """An Auth over providers built elsewhere (the server's container shares its provider)."""
        given = provider or sync_provider
        if given is None:
            raise ConfigurationError("from_providers needs a provider, a sync_provider or both")
        auth = cls.__new__(cls)

        def missing_async() -> TokenProvider:
            raise ConfigurationError("this ClientCredentialsAuth has no async token provider")

        def missing_sync() -> SyncTokenProvider:
            raise ConfigurationError("this ClientCredentialsAuth has no sync token provider")

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
            f"ClientCredentialsAuth(token_url={self._token_url!r}, client_id={self._client_id!r})"
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

    def auth_flow(self, request: AnyRequest) -> Generator[Any, Any, None]:
        """Not used: clients call `sync_auth_flow` or `async_auth_flow`, which fetch tokens."""
        raise RuntimeError(
            "ClientCredentialsAuth is driven by httpx/httpx2 clients through sync_auth_flow or "
            "async_auth_flow; pass it as auth= to a Client or an AsyncClient"
        )

    def sync_auth_flow(self, request: AnyRequest) -> Generator[Any, Any, None]:
        """The flow for `httpx.Client` / `httpx2.Client` (blocking, thread-safe)."""
        if self.requires_request_body:
            request.read()
        provider = self.sync_provider
        flow: BearerFlow = bearer_flow(request)
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
            else:
                reply = yield step.request

    async def async_auth_flow(self, request: AnyRequest) -> AsyncGenerator[Any, Any]:
        """The flow for `httpx.AsyncClient` / `httpx2.AsyncClient` (never blocks the loop)."""
        if self.requires_request_body:
            await request.aread()
        provider = self.provider
        flow: BearerFlow = bearer_flow(request)
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
            else:
                reply = yield step.request


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
