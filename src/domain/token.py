"""The access token value and its log-safe fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import SecretStr


def token_fingerprint(raw_token: str) -> str:
    """A short, non-reversible label for a token, safe to log and to compare (never the token)."""
    digest = hashlib.sha256(raw_token.encode("utf-8")).hexdigest()
    return f"tok-{digest[:10]}"


@dataclass(frozen=True)
class AccessToken:
    """A bearer token in hand, with the monotonic times that govern its use.

    `obtained_at` is when the request that produced it was SENT, so that a slow token endpoint can
    never make us believe the token lives longer than it does. `issued_wall` is for display only.
    """

    secret: SecretStr = field(repr=False)
    token_type: str
    obtained_at: float
    expires_at: float
    refresh_at: float
    lifetime: float
    issued_wall: datetime
    fingerprint: str

    @classmethod
    def create(
        cls,
        raw_token: str,
        *,
        token_type: str,
        obtained_at: float,
        lifetime: float,
        refresh_after: float,
        issued_wall: datetime,
    ) -> AccessToken:
        """Build a token from the raw value and a lifetime already validated by the lifecycle."""
        return cls(
            secret=SecretStr(raw_token),
            token_type=token_type,
            obtained_at=obtained_at,
            expires_at=obtained_at + lifetime,
            refresh_at=obtained_at + refresh_after,
            lifetime=lifetime,
            issued_wall=issued_wall,
            fingerprint=token_fingerprint(raw_token),
        )

    @property
    def value(self) -> str:
        """The raw token, for the Authorization header only."""
        return self.secret.get_secret_value()

    def is_expired(self, monotonic_now: float) -> bool:
        """Whether the token must no longer be sent."""
        return monotonic_now >= self.expires_at

    def needs_refresh(self, monotonic_now: float) -> bool:
        """Whether a refresh is due (the token may still be valid)."""
        return monotonic_now >= self.refresh_at

    def __str__(self) -> str:
        return f"AccessToken({self.fingerprint})"
