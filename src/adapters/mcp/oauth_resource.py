"""OAuth 2.0 resource-server mode for `/mcp`, as the MCP authorization spec describes it.

The server publishes its protected-resource metadata (RFC 9728, through the mcp SDK's routes)
naming the authorization server, and accepts a request only with a bearer JWT that:

- is signed by a key of the issuer's JWKS with an asymmetric algorithm (RS/PS/ES/EdDSA; never
  `none` or an HMAC, whose "key" would be public);
- has `iss` = `MCP_HTTP_AUTH_ISSUER`, `aud` naming `MCP_HTTP_AUTH_AUDIENCE`, an `exp` in the
  future (and an `nbf`, if present, in the past; 30 s leeway for clock skew);
- carries the required scopes (`scope` or `scp`), if any are configured (checked by the SDK's
  middleware: 403 `insufficient_scope`).

The JWKS is fetched on first use (from `MCP_HTTP_AUTH_JWKS_URL`, or the `jwks_uri` of the
issuer's RFC 8414 / OpenID metadata), cached, and fetched again when a token names a `kid` the
cache does not have (key rotation), at most once per `min_refresh_seconds`. The JWT work is
joserfc's; the SDK does the HTTP side (401 with `WWW-Authenticate: Bearer ...,
resource_metadata="..."`).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from mcp.server.auth.provider import AccessToken

log = logging.getLogger("ozon_mcp.http_auth")

ALLOWED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
CLOCK_LEEWAY_SECONDS = 30
MAX_DOCUMENT_BYTES = 256 * 1024


class JwksUnavailableError(Exception):
    """The issuer's keys could not be fetched; the message says from where and why."""


@dataclass(frozen=True)
class ResourceServerConfig:
    """The resource-server settings (MCP_HTTP_AUTH_*)."""

    issuer: str
    audience: str
    resource_url: str  # this server's /mcp as clients reach it (the RFC 9728 `resource`)
    required_scopes: tuple[str, ...] = field(default=())
    jwks_url: str | None = None


def metadata_urls(issuer: str) -> list[str]:
    """Where the issuer's metadata may live: RFC 8414 (path-aware), then OpenID Connect."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    rfc8414 = urlunsplit(
        (parts.scheme, parts.netloc, f"/.well-known/oauth-authorization-server{path}", "", "")
    )
    openid = urlunsplit(
        (parts.scheme, parts.netloc, f"{path}/.well-known/openid-configuration", "", "")
    )
    return [rfc8414, openid]


class JwksCache:
    """The issuer's key set, fetched on first use and again for an unknown `kid`."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        min_refresh_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._tls = tls
        self._min_refresh = min_refresh_seconds
        self._clock = clock
        self._keys: KeySet | None = None
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many times the JWKS was downloaded (for tests and logs)

    async def keys(self, *, unknown_kid: str | None = None) -> KeySet:
        """The cached key set; fetched first, and again when `unknown_kid` is not in it."""
        async with self._lock:  # single flight: concurrent requests share one download
            if self._keys is None:
                await self._fetch()
            elif unknown_kid is not None and not _has_kid(self._keys, unknown_kid):
                assert self._fetched_at is not None
                if self._clock() - self._fetched_at >= self._min_refresh:
                    log.info(
                        "JWKS: unknown key id %r; fetching the issuer's keys again", unknown_kid
                    )
                    await self._fetch()
            assert self._keys is not None
            return self._keys

    async def _fetch(self) -> None:
        # A client per fetch: fetches are rare (first use, key rotation), and nothing stays
        # open for the server's owner to close.
        async with httpx2.AsyncClient(
            timeout=httpx2.Timeout(10.0), follow_redirects=False, verify=self._tls or True
        ) as client:
            url = self._jwks_url or await self._discover(client)
            document = await _get_json(client, url, "JWKS")
        try:
            self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise JwksUnavailableError(
                f"the JWKS at {url} is not a valid key set ({exc})"
            ) from None
        self._fetched_at = self._clock()
        self.fetches += 1

    async def _discover(self, client: httpx2.AsyncClient) -> str:
        problems = []
        for url in metadata_urls(self._issuer):
            try:
                metadata = await _get_json(client, url, "authorization server metadata")
            except JwksUnavailableError as exc:
                problems.append(str(exc))
                continue
            if metadata.get("issuer") not in (None, self._issuer):
                problems.append(f"{url} names another issuer ({metadata.get('issuer')!r})")
                continue
            jwks_uri = metadata.get("jwks_uri")
            if isinstance(jwks_uri, str) and jwks_uri:
                self._jwks_url = jwks_uri
                return jwks_uri
            problems.append(f"{url} has no jwks_uri")
        raise JwksUnavailableError(
            "cannot find the issuer's JWKS (set MCP_HTTP_AUTH_JWKS_URL): " + "; ".join(problems)
        )


async def _get_json(client: httpx2.AsyncClient, url: str, what: str) -> dict[str, Any]:
    try:
        response = await client.get(url, headers={"Accept": "application/json"})
    except httpx2.HTTPError as exc:
        raise JwksUnavailableError(
            f"cannot fetch the {what} at {url} ({type(exc).__name__})"
        ) from None
    if response.status_code != 200:
        raise JwksUnavailableError(f"the {what} at {url} answered HTTP {response.status_code}")
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise JwksUnavailableError(f"the {what} at {url} is too large")
    try:
        document = response.json()
    except ValueError:
        raise JwksUnavailableError(f"the {what} at {url} is not JSON") from None
    if not isinstance(document, dict):
        raise JwksUnavailableError(f"the {what} at {url} is not a JSON object")
    return document


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


class JwtVerifier:
    """The SDK's `TokenVerifier` for bearer JWTs of one issuer and audience."""

    def __init__(
        self,
        config: ResourceServerConfig,
        keys: JwksCache,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._keys = keys
        self._now = now

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's access info, or None (-> 401) when it must not be accepted."""
        try:
            header = jws.extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError):
            return _refused("not a signed JWT")
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALLOWED_ALGORITHMS:
            return _refused(f"algorithm {algorithm!r} is not accepted")
        try:
            keys = await self._keys.keys(unknown_kid=kid if isinstance(kid, str) else None)
        except JwksUnavailableError as exc:
            log.warning("bearer token not verified: %s", exc)
            return None
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALLOWED_ALGORITHMS))
            self._claims_registry().validate(decoded.claims)
        except JoseError as exc:
            return _refused(f"{type(exc).__name__}: {exc.description or exc.error}")
        return self._access(token, decoded.claims)

    def _claims_registry(self) -> jwt.JWTClaimsRegistry:
        return jwt.JWTClaimsRegistry(
            now=lambda: int(self._now()),
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": self._config.issuer},
            aud={"essential": True, "value": self._config.audience},
            exp={"essential": True},
        )

    def _access(self, token: str, claims: dict[str, Any]) -> AccessToken:
        subject = claims.get("sub")
        client = claims.get("client_id") or claims.get("azp") or subject or "unknown"
        return AccessToken(
            token=token,
            client_id=str(client),
            scopes=_scopes(claims),
            expires_at=int(claims["exp"]),
            resource=self._config.audience,
            subject=str(subject) if subject is not None else None,
            claims={"iss": claims.get("iss")},
        )


def _scopes(claims: dict[str, Any]) -> list[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope.split()
    scp = claims.get("scp")
    if isinstance(scp, list):
        return [str(item) for item in scp]
    if isinstance(scp, str):
        return scp.split()
    return []


def _refused(reason: str) -> AccessToken | None:
    """Log why a token is refused (never the token: it may be someone's valid one); None."""
    log.info("bearer token refused: %s", reason)
    return None


def parse_scopes(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Required scopes from a setting: space- or comma-separated."""
    if value is None:
        return ()
    text = value if isinstance(value, str) else " ".join(value)
    return tuple(dict.fromkeys(part for part in text.replace(",", " ").split() if part))
