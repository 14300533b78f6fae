"""A local OAuth authorization server for the resource-server tests: key pairs made in the test,
RFC 8414 metadata and a JWKS served on loopback, and a JWT signer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

Key = RSAKey | ECKey


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


@dataclass
class LocalIssuer:
    """What the loopback issuer serves; change `published` to rotate keys."""

    url: str = ""
    published: list[Key] = field(default_factory=list)
    jwks_requests: int = 0

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks"

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.published]}

    def token(
        self,
        key: Key,
        *,
        audience: str | list[str],
        lifetime: float = 300,
        issuer: str | None = None,
        scope: str | None = "mcp",
        algorithm: str = "RS256",
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": issuer or self.url,
            "aud": audience,
            "sub": "user-1",
            "client_id": "agent-1",
            "iat": now,
            "exp": now + int(lifetime),
            **claims,
        }
        if scope is not None:
            payload["scope"] = scope
        header = {"alg": algorithm, "kid": kid if kid is not None else key.kid, "typ": "JWT"}
        return jwt.encode(header, payload, key)


class _Handler(BaseHTTPRequestHandler):
    server: _IssuerServer

    def do_GET(self) -> None:
        issuer = self.server.issuer
        if self.path == "/.well-known/oauth-authorization-server":
            body = {"issuer": issuer.url, "jwks_uri": issuer.jwks_url}
        elif self.path == "/jwks":
            issuer.jwks_requests += 1
            body = issuer.jwks()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _IssuerServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, issuer: LocalIssuer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.issuer = issuer


@contextmanager
def local_issuer(*keys: Key) -> Iterator[LocalIssuer]:
    """A running issuer publishing `keys`."""
    issuer = LocalIssuer(published=list(keys))
    server = _IssuerServer(issuer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    issuer.url = f"http://{host}:{port}"
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
