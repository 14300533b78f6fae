"""Who may call the HTTP transport: the exposure rule and the static-bearer check.

A server bound to a non-loopback address is reachable by anyone on the network, and the
DNS-rebinding Host allow-list stops browsers only, not scripts. So such a bind needs client
authentication (a static bearer or OAuth resource-server mode) or an explicit opt-out.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})
# Paths that stay open in every mode: liveness/readiness probes and the RFC 9728 metadata
# (a client must be able to read it to learn where to get a token).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
OPEN_PREFIXES = ("/.well-known/oauth-protected-resource",)
REALM = "ozon-mcp"


def is_loopback(host: str) -> bool:
    """True when `host` (a bind address) is reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything, so treat it as exposed


def exposure_problem(
    host: str, *, bearer_token: bool, oauth: bool, allow_unauthenticated: bool
) -> str | None:
    """Why serving HTTP on `host` must not start, or None when it may."""
    if is_loopback(host) or bearer_token or oauth or allow_unauthenticated:
        return None
    return (
        f"refusing to serve HTTP on {host}: that address is reachable from other machines and "
        "no client authentication is configured, so anyone who can reach the port could use "
        "your Ozon account. Set MCP_HTTP_BEARER_TOKEN (clients send 'Authorization: Bearer "
        "<token>'), or configure OAuth resource-server mode (MCP_HTTP_AUTH_ISSUER and "
        "MCP_HTTP_AUTH_AUDIENCE), or pass --allow-unauthenticated if a proxy in front "
        "authenticates the clients"
    )


def is_open_path(path: str) -> bool:
    """Paths served without client authentication in every mode."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class StaticBearerMiddleware:
    """Requires `Authorization: Bearer <MCP_HTTP_BEARER_TOKEN>` on every path but the open ones.

    Deny by default (every path not listed as open is protected, so a route added later is
    never exposed by mistake); the comparison runs in constant time (`hmac.compare_digest`).
    """

    def __init__(self, app: ASGIApp, token: str, *, open_paths: Collection[str] = ()) -> None:
        self._app = app
        # Digests of equal length: compare_digest is constant-time in the content, and hashing
        # first keeps the token's length from showing either.
        self._expected = hashlib.sha256(token.encode("utf-8")).digest()
        self._open = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open_path(scope["path"]) or scope["path"] in self._open:
            await self._app(scope, receive, send)
            return
        presented = _bearer_from(scope)
        if presented is None:
            await _unauthorized(send, None)
            return
        if not hmac.compare_digest(hashlib.sha256(presented).digest(), self._expected):
            await _unauthorized(send, "invalid_token")
            return
        await self._app(scope, receive, send)


def _bearer_from(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            scheme, _, credentials = bytes(value).strip().partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                return credentials.strip()
            return None
    return None


async def _unauthorized(send: Send, error: str | None) -> None:
    """401 with a `WWW-Authenticate` challenge (RFC 6750 section 3); no hint at the token."""
    challenge = f'Bearer realm="{REALM}"'
    if error is not None:
        challenge += f', error="{error}"'
    body = json.dumps(
        {
            "error": error or "unauthorized",
            "error_description": "this server requires 'Authorization: Bearer <token>'",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", challenge.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
