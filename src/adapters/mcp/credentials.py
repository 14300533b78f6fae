"""The per-call credential chooser: each tool call gets exactly the credential its operation needs.

`OperationCredentials` is the upstream client's `httpx2.Auth`. It reads the tool name the server
puts in the request's extensions (`TOOL_EXTENSION`) and, from what was resolved at start-up:

- an open operation is sent as is (no Authorization header);
- a client-credentials operation goes through the bearer flow of the token provider for its
  scope set (one provider for the union of scopes by default; with the per-operation strategy,
  one provider per distinct scope set, each with its own lifecycle, single flight and refresh);
- an apiKey / HTTP bearer / HTTP basic operation gets its static credential;
- a request without a tool name (none is sent today) uses the default token provider.

An operation whose requirement cannot be met is refused by the server before any request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from typing import Any

import httpx2

from ozon_mcp.adapters.auth import ProviderBearerAuth, TokenProvider
from ozon_mcp.adapters.auth.static_credentials import StaticCredential
from ozon_mcp.adapters.mcp.upstream import TOOL_EXTENSION
from ozon_mcp.adapters.openapi.security import (
    CombinedAuth,
    NoAuth,
    OAuthAuth,
    StaticAuth,
    ToolAuth,
    Unavailable,
)
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.ports import ScopeSet

log = logging.getLogger("ozon_mcp.upstream")

ProviderFactory = Callable[[ScopeSet], TokenProvider]


class OperationCredentials(httpx2.Auth):
    """Chooses and applies the credential of each upstream call (see the module docstring).

    `default_provider` serves client-credentials operations under the union strategy (and any
    request that names no tool; None when no exposed tool uses a token); with
    `per_operation=True`, `make_provider` builds one more provider per distinct scope set on
    first use (the default provider is reused for its own scope set). `scope_override`
    (OAUTH_SCOPE) sends every token request with that scope.
    """

    requires_request_body = True  # the bearer flow replays the body after a 401
    requires_response_body = False

    def __init__(
        self,
        tool_auth: Mapping[str, ToolAuth],
        default_provider: TokenProvider | None,
        *,
        static: Mapping[str, StaticCredential] | None = None,
        per_operation: bool = False,
        make_provider: ProviderFactory | None = None,
    ) -> None:
        self._tool_auth = dict(tool_auth)
        self._static = dict(static or {})
        self._default = default_provider
        self._per_operation = per_operation and make_provider is not None
        self._make_provider = make_provider
        self._bearers: dict[ScopeSet, ProviderBearerAuth] = {}
        self._providers: dict[ScopeSet, TokenProvider] = {}
        if default_provider is not None:  # None: no exposed tool uses a token
            scopes = default_provider.key.scopes
            self._bearers[scopes] = ProviderBearerAuth.from_providers(default_provider)
            self._providers[scopes] = default_provider

    # --- what the server and the container ask -----------------------------------------------

    def unavailable(self, tool: str) -> str | None:
        """Why calling `tool` cannot work with the configured credentials (None: it can)."""
        auth = self._tool_auth.get(tool)
        return auth.reason if isinstance(auth, Unavailable) else None

    def providers(self) -> list[TokenProvider]:
        """Every token provider in use so far (the default one first)."""
        return list(self._providers.values())

    def secret_values(self) -> list[str]:
        """Every secret this chooser holds: static credentials and current tokens."""
        values = [v for credential in self._static.values() for v in credential.secret_values()]
        for provider in self._providers.values():
            token = provider.lifecycle.current_token()
            if token is not None:
                values.append(token.value)
        return values

    async def aclose(self) -> None:
        """Close the providers this chooser created (the default one belongs to its owner)."""
        extra = [p for p in self._providers.values() if p is not self._default]
        await asyncio.gather(*(p.aclose() for p in extra))

    # --- the httpx2 Auth protocol -------------------------------------------------------------

    def sync_auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, Any, None]:
        raise RuntimeError("the upstream client is asynchronous; OperationCredentials is too")

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        tool = request.extensions.get(TOOL_EXTENSION)
        auth: ToolAuth = (
            self._tool_auth.get(tool, OAuthAuth(None, ()))
            if isinstance(tool, str)
            else OAuthAuth(None, ())
        )
        if isinstance(auth, Unavailable):
            raise ConfigurationError(f"{tool}: cannot be called: {auth.reason}")
        parts = auth.parts if isinstance(auth, CombinedAuth) else (auth,)
        bearer: ProviderBearerAuth | None = None
        for part in parts:
            if isinstance(part, StaticAuth):
                self._static[part.scheme].apply(request)
            elif isinstance(part, OAuthAuth):
                bearer = self._bearer_for(part)
        if bearer is None or isinstance(auth, NoAuth):
            yield request
            return
        flow = bearer.async_auth_flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            return

    def _bearer_for(self, auth: OAuthAuth) -> ProviderBearerAuth:
        if self._default is None:  # the profile resolved no tool to a token: a wiring error
            raise ConfigurationError("no OAuth client-credentials token is configured")
        if not self._per_operation or self._make_provider is None:
            return self._bearers[self._default.key.scopes]
        scopes = ScopeSet(frozenset(auth.scopes))
        bearer = self._bearers.get(scopes)
        if bearer is None:  # no await since the lookup: one provider per scope set
            provider = self._make_provider(scopes)
            self._providers[scopes] = provider
            bearer = ProviderBearerAuth.from_providers(provider)
            self._bearers[scopes] = bearer
            log.info("token provider added for scopes %s", scopes.as_parameter() or "(none)")
        return bearer
