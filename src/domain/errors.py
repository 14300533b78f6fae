"""The error types of ozon-mcp: each message says what went wrong and what to fix.

No message ever contains a client secret or an access token; token endpoint bodies are trimmed
and scrubbed by the adapters before they reach an error.
"""

from __future__ import annotations

from enum import Enum


class FailureKind(Enum):
    """How a failed token request is treated by the lifecycle."""

    TRANSIENT = "transient"  # network error, timeout, 408, 425, 429, 5xx: retried with backoff
    PERMANENT = "permanent"  # 400/401/403 or an OAuth error code: not retried, long cool-down
    MALFORMED = "malformed"  # 2xx without a usable token: not retried, short cool-down


class OzonMcpError(Exception):
    """Base class of every error ozon-mcp raises on purpose."""


class ConfigurationError(OzonMcpError):
    """A setting is missing or invalid; the message names the setting and how to fix it."""


class TokenAcquisitionError(OzonMcpError):
    """No valid access token could be obtained from the token endpoint."""

    kind: FailureKind = FailureKind.TRANSIENT

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.attempts = attempts


class InvalidCredentialsError(TokenAcquisitionError):
    """The token endpoint refused the client credentials or the grant (not retried)."""

    kind = FailureKind.PERMANENT


class TokenEndpointUnavailableError(TokenAcquisitionError):
    """The token endpoint did not answer usefully after every allowed attempt."""

    kind = FailureKind.TRANSIENT


class MalformedTokenResponseError(TokenAcquisitionError):
    """The token endpoint answered 2xx but not with a usable access token."""

    kind = FailureKind.MALFORMED
