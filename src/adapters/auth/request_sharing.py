"""The port through which `ClientCredentialsAuth` shares token requests with other processes.

A cache shares tokens that were obtained; sharing the *requests* as well (a distributed single
flight, `ozon_mcp.adapters.sharing.SharedTokenEndpoint`) is what makes N processes ask the token
endpoint once. The Auth only knows these protocols, so it never imports Redis: a
`RedisSharing` (from `build_redis_sharing`) and a `RedisTokenCache` both satisfy them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import SyncTokenCache, SyncTokenEndpoint, TokenCache, TokenEndpoint


class DualTokenEndpoint(TokenEndpoint, SyncTokenEndpoint, Protocol):
    """A token endpoint with both sides (`HttpTokenEndpoint`, `SharedTokenEndpoint`)."""


@runtime_checkable
class SharesTokenRequests(Protocol):
    """A token cache that can also wrap a token endpoint in its distributed single flight."""

    def share(
        self,
        endpoint: DualTokenEndpoint,
        *,
        token_url: str,
        client_id: str,
        rules: LifetimeRules | None = None,
    ) -> DualTokenEndpoint:
        """`endpoint`, asking the other processes (and the shared cache) before each request."""
        ...


@runtime_checkable
class TokenSharing(SharesTokenRequests, Protocol):
    """A bundle of a shared cache and the single flight over it (`RedisSharing`)."""

    @property
    def cache(self) -> TokenCache | SyncTokenCache:
        """The shared token cache."""
        ...
