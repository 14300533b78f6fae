"""`TokenEndpointConfig`: where and how to ask for a client-credentials token."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from ozon_mcp.adapters.auth.urls import validate_token_url
from ozon_mcp.domain.errors import ConfigurationError, Setting, SettingError
from ozon_mcp.domain.ports import CacheKey, ScopeSet

RequestFormat = Literal["json", "form"]
ClientAuthMethod = Literal["post", "basic"]

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
_REQUEST_FORMATS = ("json", "form")
_CLIENT_AUTH_METHODS = ("post", "basic")


@dataclass(frozen=True)
class TokenEndpointConfig:
    """Everything the token endpoint adapter needs; validated on construction.

    A bad value raises a `SettingError` naming the `Setting`, which the caller words in its own
    names (`SettingError.worded`): environment variables in the server, keyword arguments in
    `ClientCredentialsAuth`.

    `request_format` is the body encoding: "json" (what Ozon documents) or "form" (RFC 6749
    application/x-www-form-urlencoded). `client_auth` is where the credentials go: "post" (in the
    body, client_secret_post) or "basic" (an HTTP Basic header, client_secret_basic).
    """

    token_url: str
    client_id: str
    client_secret: SecretStr = field(repr=False)
    request_format: RequestFormat = "json"
    client_auth: ClientAuthMethod = "post"
    scope: ScopeSet | str | None = None
    audience: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "token_url", validate_token_url(self.token_url))
        secret: object = self.client_secret  # a plain str is accepted and wrapped
        if not isinstance(secret, SecretStr):
            object.__setattr__(self, "client_secret", SecretStr(str(secret)))
        if not isinstance(self.client_id, str) or not self.client_id.strip():
            raise SettingError(Setting.CLIENT_ID, "is empty: set the OAuth client id")
        if not self.client_secret.get_secret_value().strip():
            raise SettingError(Setting.CLIENT_SECRET, "is empty: set the OAuth client secret")
        if self.request_format not in _REQUEST_FORMATS:
            raise SettingError(
                Setting.REQUEST_FORMAT,
                f"must be 'json' or 'form', got {str(self.request_format)[:40]!r}",
            )
        if self.client_auth not in _CLIENT_AUTH_METHODS:
            raise SettingError(
                Setting.CLIENT_AUTH,
                f"must be 'post' or 'basic', got {str(self.client_auth)[:40]!r}",
            )
        for name in ("connect_timeout", "read_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigurationError(f"{name} must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigurationError(f"{name} must be a positive number of seconds")
        if self.max_response_bytes < 1024:
            raise ConfigurationError("max_response_bytes must be at least 1024")

    @property
    def scopes(self) -> ScopeSet:
        """The configured scope as a `ScopeSet` (empty when none is configured)."""
        if isinstance(self.scope, ScopeSet):
            return self.scope
        return ScopeSet.parse(self.scope)

    @property
    def cache_key(self) -> CacheKey:
        """The cache key of the token this configuration obtains."""
        return CacheKey(self.token_url, self.client_id, self.scopes)

    @property
    def secret_value(self) -> str:
        """The client secret in clear, for the token request only."""
        return self.client_secret.get_secret_value()
