"""The ports the adapters implement: how the domain reaches a token endpoint and a token cache.

They are deliberately small (one or three methods), so that a second implementation (a Redis
cache shared by replicas, a token endpoint for another vendor) is easy to write and to test.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import SecretStr

from ozon_mcp.domain.errors import FailureKind
from ozon_mcp.domain.token import AccessToken


@dataclass(frozen=True)
class ScopeSet:
    """The scopes one token is requested for; one token (and one cache entry) per scope set."""

    scopes: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> ScopeSet:
        """Read a space- or comma-separated scope list."""
        if not text:
            return cls()
        return cls(frozenset(part for part in text.replace(",", " ").split() if part))

    def as_parameter(self) -> str | None:
        """The OAuth `scope` parameter value (sorted, so the same set always reads the same)."""
        return " ".join(sorted(self.scopes)) or None


@dataclass(frozen=True)
class TokenGrant:
    """What a token endpoint answered when it answered with a token (validated by the domain)."""

    access_token: SecretStr = field(repr=False)
    token_type: str | None
    expires_in: object | None
    jwt_exp: float | None = None
    scope: str | None = None


@dataclass(frozen=True)
class FetchFailure:
    """A token request that did not produce a token, classified by the adapter."""

    kind: FailureKind
    reason: str
    status: int | None = None
    retry_after: float | None = None
    oauth_error: str | None = None
    # The endpoint's TLS certificate did not verify: a setting to fix (trust its CA, or the
    # right URL), not a moment to wait; reported as an `UntrustedEndpointError`.
    certificate_unverified: bool = False


TokenResponse = TokenGrant | FetchFailure


class TokenEndpoint(Protocol):
    """Asks an OAuth 2.0 token endpoint for a client-credentials token (async)."""

    async def request_token(self, scopes: ScopeSet) -> TokenResponse:
        """One attempt; expected failures are returned as `FetchFailure`, never raised."""
        ...


class SyncTokenEndpoint(Protocol):
    """The same as `TokenEndpoint`, for threaded programs."""

    def request_token_sync(self, scopes: ScopeSet) -> TokenResponse:
        """One blocking attempt; expected failures are returned as `FetchFailure`."""
        ...


@dataclass(frozen=True)
class CacheKey:
    """Identifies the token of one client at one token endpoint for one scope set."""

    token_url: str
    client_id: str
    scopes: ScopeSet = ScopeSet()

    @property
    def digest(self) -> str:
        """A stable opaque key, safe to use as a cache key or a log field."""
        scope = self.scopes.as_parameter() or ""
        # JSON keeps the fields apart: joining with a separator would let ("a\nb", "c") and
        # ("a", "b\nc") share a key, and so a token, across two clients.
        material = json.dumps([self.token_url, self.client_id, scope]).encode("utf-8")
        return hashlib.sha256(material).hexdigest()[:32]


class TokenCache(Protocol):
    """Where tokens are kept between uses: in memory by default, shareable across replicas later."""

    async def load(self, key: CacheKey) -> AccessToken | None:
        """The cached token for `key`, or None; expired tokens may be returned (callers check)."""
        ...

    async def store(self, key: CacheKey, token: AccessToken) -> None:
        """Keep `token` as the current one for `key`."""
        ...

    async def discard(self, key: CacheKey, fingerprint: str) -> None:
        """Forget the token for `key`, only if it is still the one with `fingerprint`."""
        ...


class SyncTokenCache(Protocol):
    """The same as `TokenCache`, for threaded programs (one cache object may implement both)."""

    def load_sync(self, key: CacheKey) -> AccessToken | None:
        """The cached token for `key`, or None; expired tokens may be returned (callers check)."""
        ...

    def store_sync(self, key: CacheKey, token: AccessToken) -> None:
        """Keep `token` as the current one for `key`."""
        ...

    def discard_sync(self, key: CacheKey, fingerprint: str) -> None:
        """Forget the token for `key`, only if it is still the one with `fingerprint`."""
        ...
