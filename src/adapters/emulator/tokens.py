"""Access tokens the emulator issues: JWT-shaped, random, with an expiry it enforces.

A client may read `exp`/`iat` from the payload without verifying the signature (as with real
Ozon tokens); the emulator itself trusts only its own registry of issued tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ozon_mcp.domain.token import token_fingerprint

from .clock import EmulatorClock

ISSUER = "ozon-performance-emulator"


class TokenStatus(Enum):
    """Why a bearer token is (not) accepted; the 401 message is chosen from it."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class IssuedToken:
    """What the emulator remembers about a token it issued (never logged in clear)."""

    fingerprint: str
    client_id: str
    lifetime: int
    expires_at: float  # emulator monotonic clock
    scopes: frozenset[str] = frozenset()  # granted at the token request (`scope` parameter)


class TokenRegistry:
    """Issues tokens and answers whether a presented token is valid; thread-safe."""

    def __init__(self, clock: EmulatorClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._signing_key = secrets.token_bytes(32)
        self._tokens: dict[str, IssuedToken] = {}
        self._revoked: set[str] = set()

    def issue(self, client_id: str, lifetime: int, scopes: frozenset[str] = frozenset()) -> str:
        """Create, remember and return a new token valid for `lifetime` seconds."""
        issued_at = self._clock.wall()
        payload = {
            "iss": ISSUER,
            "sub": client_id,
            "iat": int(issued_at),
            "exp": int(issued_at) + lifetime,
            "jti": uuid.uuid4().hex,
        }
        if scopes:
            payload["scope"] = " ".join(sorted(scopes))
        raw = self._encode(payload)
        record = IssuedToken(
            fingerprint=token_fingerprint(raw),
            client_id=client_id,
            lifetime=lifetime,
            expires_at=self._clock.monotonic() + lifetime,
            scopes=scopes,
        )
        with self._lock:
            self._tokens[raw] = record
        return raw

    def check(self, raw: str) -> tuple[TokenStatus, IssuedToken | None]:
        """Classify a presented token; the record is returned for every token we issued."""
        with self._lock:
            record = self._tokens.get(raw)
            revoked = raw in self._revoked
        if record is None:
            return TokenStatus.UNKNOWN, None
        if revoked:
            return TokenStatus.REVOKED, record
        if self._clock.monotonic() >= record.expires_at:
            return TokenStatus.EXPIRED, record
        return TokenStatus.VALID, record

    def revoke_all(self) -> int:
        """Revoke every token issued so far; returns how many were still unrevoked."""
        with self._lock:
            fresh = set(self._tokens) - self._revoked
            self._revoked |= fresh
        return len(fresh)

    def forget_all(self) -> None:
        """Forget every token issued (they become unknown, as for a restarted server)."""
        with self._lock:
            self._tokens.clear()
            self._revoked.clear()

    def issued(self) -> list[str]:
        """Every raw token issued so far, oldest first (tests check none of them leaks)."""
        with self._lock:
            return list(self._tokens)

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)

    def _encode(self, payload: dict[str, object]) -> str:
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")))
        body = _b64url(json.dumps(payload, separators=(",", ":")))
        signing_input = f"{header}.{body}".encode("ascii")
        signature = hmac.new(self._signing_key, signing_input, hashlib.sha256).digest()
        return f"{header}.{body}.{_b64url(signature)}"


def _b64url(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def read_claims(raw: str) -> dict[str, Any]:
    """Decode a token's payload without verifying it (as a client would, to read `exp`)."""
    parts = raw.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three dot-separated parts")
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(claims, dict):
        raise ValueError("not a JWT: the payload is not a JSON object")
    return claims
