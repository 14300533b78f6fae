"""The error types of ozon-mcp: facts from the domain, words chosen by the edge that shows them.

A failure carries what happened (kind, OAuth error code, HTTP status, attempts, when the next
attempt may happen) and which settings could fix it (`Setting`). The domain never writes how a
user spells a setting: the edge passes its names (`SettingNames`) to `worded()`; the server words
them as its environment variables, `ClientCredentialsAuth` as its keyword arguments
(client_secret=). Without names, the settings read as plain words (client_secret).

No message ever contains a client secret or an access token; token endpoint bodies are trimmed
and scrubbed by the adapters before they reach an error.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Self


class FailureKind(Enum):
    """How a failed token request is treated by the lifecycle."""

    TRANSIENT = "transient"  # network error, timeout, 408, 425, 429, 5xx: retried with backoff
    PERMANENT = "permanent"  # 400/401/403 or an OAuth error code: not retried, long cool-down
    MALFORMED = "malformed"  # 2xx without a usable token: not retried, short cool-down


class Setting(Enum):
    """A setting an error may ask the user to check; each edge has its own name for it."""

    CLIENT_ID = "client_id"
    CLIENT_SECRET = "client_secret"  # noqa: S105 (a setting's name, not a secret)
    TOKEN_URL = "token_url"  # noqa: S105
    SCOPE = "scope"
    REQUEST_FORMAT = "request_format"
    CLIENT_AUTH = "client_auth"


SettingNames = Mapping[Setting, str]
PLAIN_NAMES: SettingNames = MappingProxyType({setting: setting.value for setting in Setting})


def _named(template: str, names: SettingNames) -> str:
    """Fill `{client_id}`-style placeholders of one of our own templates with the edge's names."""
    return template.format_map({s.value: names.get(s, s.value) for s in Setting})


class OzonMcpError(Exception):
    """Base class of every error ozon-mcp raises on purpose."""


class ConfigurationError(OzonMcpError):
    """A setting is missing or invalid; the message names the setting and how to fix it."""


class SettingError(ConfigurationError):
    """One setting is invalid: `setting` and `problem` are the facts, `names` the edge's words."""

    def __init__(self, setting: Setting, problem: str, *, names: SettingNames = PLAIN_NAMES):
        self.setting = setting
        self.problem = problem
        self.names = names
        super().__init__(f"{names.get(setting, setting.value)} {problem}")

    def worded(self, names: SettingNames) -> SettingError:
        """The same error, naming the setting as `names` does."""
        return SettingError(self.setting, self.problem, names=names)


# What to check for each OAuth error code of a refused request; `{name}` is a `Setting` value.
_PERMANENT_HINTS: Mapping[str, str] = MappingProxyType(
    {
        "invalid_client": "check {client_id} and {client_secret}",
        "unauthorized_client": "check {client_id} and {client_secret}",
        "invalid_grant": "the server refused the client_credentials grant for this client",
        "unsupported_grant_type": "the server does not offer the client_credentials grant",
        "invalid_scope": "check {scope}: the server refused the requested scope",
        "invalid_request": "check {request_format} (json|form) and {client_auth}",
    }
)
_CREDENTIALS_HINT = _PERMANENT_HINTS["invalid_client"]


class TokenAcquisitionError(OzonMcpError):
    """No valid access token could be obtained from the token endpoint.

    Facts: `kind`, `reason` (the adapter's account of the last answer), `status`, `oauth_error`,
    `attempts`; once the lifecycle knows it, `next_attempt_at` (wall time, UTC) and either
    `remembered_for` (the cool-down during which this error is served again) or `wait_limit`
    (the next attempt is later than one call may wait). `message` words them with `names`.
    """

    kind: FailureKind = FailureKind.TRANSIENT

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        attempts: int = 1,
        oauth_error: str | None = None,
        names: SettingNames = PLAIN_NAMES,
    ) -> None:
        self.reason = reason
        self.status = status
        self.attempts = attempts
        self.oauth_error = oauth_error
        self.names = names
        self.next_attempt_at: datetime | None = None
        self.remembered_for: float | None = None
        self.served_again = False
        self.wait_limit: float | None = None
        super().__init__(reason)

    @property
    def message(self) -> str:
        """What went wrong, what to check and when the next attempt happens, in `names`."""
        return self.summary(self.names) + self._timing()

    def __str__(self) -> str:
        return self.message

    def summary(self, names: SettingNames) -> str:
        """What went wrong and what to check, without the timing."""
        return self.reason

    def worded(self, names: SettingNames) -> Self:
        """A copy for one caller, naming settings as `names` does (no traceback carried over)."""
        clone = self._copy()
        clone.names = names
        return clone

    def scheduled(
        self,
        next_attempt_at: datetime,
        *,
        remembered_for: float | None = None,
        served_again: bool = False,
        wait_limit: float | None = None,
    ) -> Self:
        """A copy that also says when the next attempt happens (and why not sooner)."""
        clone = self._copy()
        clone.next_attempt_at = next_attempt_at
        clone.remembered_for = remembered_for
        clone.served_again = served_again
        clone.wait_limit = wait_limit
        return clone

    def _copy(self) -> Self:
        clone = copy.copy(self)
        clone.__traceback__ = None
        clone.__cause__ = None
        clone.__context__ = None
        return clone

    def _timing(self) -> str:
        if self.next_attempt_at is None:
            return ""
        at = f"next attempt at {self.next_attempt_at:%H:%M:%S} UTC"
        if self.wait_limit is not None:
            return (
                f"; {at}, later than one call waits ({self.wait_limit:g} s); "
                "the token is requested again in the background"
            )
        if self.served_again and self.remembered_for is not None:
            return f"; remembered for {self.remembered_for:.0f} s, {at}"
        return f"; {at}"


class InvalidCredentialsError(TokenAcquisitionError):
    """The token endpoint refused the client credentials or the grant (not retried)."""

    kind = FailureKind.PERMANENT

    def summary(self, names: SettingNames) -> str:
        hint = _PERMANENT_HINTS.get(self.oauth_error or "", _CREDENTIALS_HINT)
        return f"{self.reason}; not retried: {_named(hint, names)}"


class UntrustedEndpointError(TokenAcquisitionError):
    """The token endpoint's TLS certificate did not verify: configuration, so not retried."""

    kind = FailureKind.PERMANENT

    def summary(self, names: SettingNames) -> str:
        check = _named(
            "check that {token_url} names the right host (the certificate must be issued for "
            "it), or make this client trust the server's CA: point SSL_CERT_FILE at a PEM CA "
            "bundle that includes it (or SSL_CERT_DIR at a directory of CA certificates)",
            names,
        )
        return f"{self.reason}; not retried: {check}"


class TokenEndpointUnavailableError(TokenAcquisitionError):
    """The token endpoint did not answer usefully after every allowed attempt."""

    kind = FailureKind.TRANSIENT

    def summary(self, names: SettingNames) -> str:
        check = _named("check {token_url}, proxies and the network, or try again shortly", names)
        return (
            f"token endpoint unavailable after {self.attempts} attempt(s): {self.reason}; {check}"
        )


class MalformedTokenResponseError(TokenAcquisitionError):
    """The token endpoint answered 2xx but not with a usable access token."""

    kind = FailureKind.MALFORMED

    def summary(self, names: SettingNames) -> str:
        check = _named("check {token_url} points at an OAuth 2.0 token endpoint", names)
        return f"unusable token response: {self.reason}; {check}"
