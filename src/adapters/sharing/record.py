"""`SharedToken`: a token as it travels between processes, with wall-clock times.

Monotonic clocks are private to a process, so what goes to Redis is the wall-clock expiry; on
load it is turned back into the reading process's monotonic clock. A wall-clock step between the
two processes shifts the expiry by that step (NTP keeps replicas within milliseconds); the
reader never trusts more than the remaining lifetime it computes, and a token whose wall expiry
has passed is never used.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import SecretStr

from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.token import AccessToken, token_fingerprint

FORMAT_VERSION = 1


class MalformedSharedToken(ValueError):
    """The stored bytes are not a token record this version understands."""


@dataclass(frozen=True)
class SharedToken:
    """A token with wall-clock expiry (seconds since the epoch) and its refresh offset."""

    secret: SecretStr = field(repr=False)
    token_type: str
    expires_wall: float
    lifetime: float
    refresh_after: float
    issued_wall: float
    fingerprint: str

    @classmethod
    def from_access_token(cls, token: AccessToken, clock: Clock) -> SharedToken:
        """Translate the monotonic deadlines of `token` to wall time, as of now."""
        remaining = token.expires_at - clock.monotonic()
        return cls(
            secret=token.secret,
            token_type=token.token_type,
            expires_wall=clock.now().timestamp() + remaining,
            lifetime=token.lifetime,
            refresh_after=token.refresh_at - token.obtained_at,
            issued_wall=token.issued_wall.timestamp(),
            fingerprint=token.fingerprint,
        )

    @classmethod
    def issued(
        cls,
        raw_token: str,
        *,
        sent_wall: float,
        lifetime: float,
        refresh_after: float,
        issued_wall: float,
    ) -> SharedToken:
        """A token just granted: it expires `lifetime` after its request was sent."""
        return cls(
            secret=SecretStr(raw_token),
            token_type="Bearer",  # noqa: S106
            expires_wall=sent_wall + lifetime,
            lifetime=lifetime,
            refresh_after=refresh_after,
            issued_wall=issued_wall,
            fingerprint=token_fingerprint(raw_token),
        )

    def remaining(self, clock: Clock) -> float:
        """Seconds of validity left, by this process's wall clock."""
        return self.expires_wall - clock.now().timestamp()

    def to_access_token(self, clock: Clock) -> AccessToken:
        """The same token on this process's monotonic clock (already expired if time is up)."""
        expires_at = clock.monotonic() + self.remaining(clock)
        obtained_at = expires_at - self.lifetime
        return AccessToken(
            secret=self.secret,
            token_type=self.token_type,
            obtained_at=obtained_at,
            expires_at=expires_at,
            refresh_at=obtained_at + self.refresh_after,
            lifetime=self.lifetime,
            issued_wall=datetime.fromtimestamp(self.issued_wall, UTC),
            fingerprint=self.fingerprint,
        )

    def encode(self) -> bytes:
        """The record as JSON bytes (sealed by `TokenCipher` before it leaves the process)."""
        return json.dumps(
            {
                "v": FORMAT_VERSION,
                "token": self.secret.get_secret_value(),
                "type": self.token_type,
                "exp": self.expires_wall,
                "lifetime": self.lifetime,
                "refresh_after": self.refresh_after,
                "issued": self.issued_wall,
            },
            separators=(",", ":"),
        ).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> SharedToken:
        """Read `encode`'s output; raises `MalformedSharedToken` on anything else."""
        try:
            fields = json.loads(data)
            if fields.get("v") != FORMAT_VERSION:
                raise MalformedSharedToken(f"unknown record version {fields.get('v')!r}")
            raw = str(fields["token"])
            numbers = [float(fields[name]) for name in ("exp", "lifetime", "refresh_after")]
            issued = float(fields["issued"])
            token_type = str(fields["type"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedSharedToken(f"unreadable token record ({type(exc).__name__})") from None
        if not raw or not all(math.isfinite(n) for n in [*numbers, issued]):
            raise MalformedSharedToken("token record with an empty token or a non-finite time")
        expires_wall, lifetime, refresh_after = numbers
        if lifetime <= 0 or not 0 < refresh_after <= lifetime:
            raise MalformedSharedToken("token record with an impossible lifetime")
        return cls(
            secret=SecretStr(raw),
            token_type=token_type,
            expires_wall=expires_wall,
            lifetime=lifetime,
            refresh_after=refresh_after,
            issued_wall=issued,
            fingerprint=token_fingerprint(raw),
        )
