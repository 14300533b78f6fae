"""Credentials that are not OAuth tokens: an API key, an HTTP bearer token, HTTP basic.

Each is read from environment variables named after its security scheme (see
`read_static_credential`) and applied to one outgoing httpx2 request; the values are
`SecretStr` from the moment they are read and never appear in a repr or a log line.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

import httpx2
from pydantic import SecretStr

StaticKind = Literal["api_key", "http_bearer", "http_basic"]
KeyLocation = Literal["header", "query", "cookie"]


@dataclass(frozen=True)
class StaticCredential:
    """One configured credential of a security scheme.

    `secret` is the API key, the bearer token or the basic password; `username` is set for
    HTTP basic only; `key_name`/`key_in` say where an API key goes.
    """

    scheme: str
    kind: StaticKind
    secret: SecretStr = field(repr=False)
    username: str | None = None
    key_name: str | None = None
    key_in: KeyLocation | None = None

    def secret_values(self) -> list[str]:
        """The forms of the secret that must never reach a client (for scrubbing results)."""
        value = self.secret.get_secret_value()
        values = [value]
        if self.kind == "http_basic" and self.username is not None:
            values.append(_basic(self.username, value))
        return values

    def apply(self, request: httpx2.Request) -> None:
        """Put the credential on `request` (header, query parameter or cookie)."""
        value = self.secret.get_secret_value()
        if self.kind == "http_bearer":
            request.headers["Authorization"] = f"Bearer {value}"
        elif self.kind == "http_basic":
            request.headers["Authorization"] = f"Basic {_basic(self.username or '', value)}"
        elif self.key_in == "query" and self.key_name:
            request.url = request.url.copy_add_param(self.key_name, value)
        elif self.key_in == "cookie" and self.key_name:
            pair = f"{self.key_name}={quote(value, safe='')}"
            existing = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{existing}; {pair}" if existing else pair
        elif self.key_name:
            request.headers[self.key_name] = value


def _basic(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


def read_static_credential(
    scheme: str,
    kind: StaticKind,
    prefix: str,
    environ: Mapping[str, str],
    *,
    key_name: str | None = None,
    key_in: KeyLocation | None = None,
) -> StaticCredential | None:
    """The credential of `scheme` from `environ`, or None when its variables are not set.

    apiKey and HTTP bearer: `<prefix>` holds the key or token. HTTP basic: `<prefix>_USERNAME`
    and `<prefix>_PASSWORD` (both needed). Blank values count as not set.
    """
    if kind == "http_basic":
        username = (environ.get(f"{prefix}_USERNAME") or "").strip()
        password = environ.get(f"{prefix}_PASSWORD") or ""
        if not username or not password.strip():
            return None
        return StaticCredential(scheme, kind, SecretStr(password), username=username)
    value = (environ.get(prefix) or "").strip()
    if not value:
        return None
    return StaticCredential(scheme, kind, SecretStr(value), key_name=key_name, key_in=key_in)
