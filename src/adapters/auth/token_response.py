"""Classifies a token endpoint answer into a `TokenGrant` or a `FetchFailure` for the domain.

    status                      | classification
    ----------------------------+-------------------------------------------------------------
    2xx with a JSON access_token| TokenGrant (expires_in and token_type passed on raw: the
                                | domain validates them)
    2xx otherwise               | MALFORMED (not JSON, no access_token, larger than the cap);
                                | an OAuth `error` member is classified like a 4xx
    3xx                         | MALFORMED: redirects are never followed (credentials would be
                                | re-sent elsewhere), the fix is OAUTH_TOKEN_URL
    408, 425, 429, 5xx          | TRANSIENT, with Retry-After
    400, 401, 403               | PERMANENT (or TRANSIENT for the OAuth codes that say so)
    other 4xx                   | PERMANENT with an OAuth error code, else MALFORMED (wrong URL)

Reasons never contain the secret (scrubbed) nor any token (2xx bodies are never quoted).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, SecretStr, StrictStr, ValidationError

from ozon_mcp.adapters.auth.jwt import read_jwt_exp
from ozon_mcp.adapters.auth.redaction import ScrubText
from ozon_mcp.domain.errors import FailureKind
from ozon_mcp.domain.ports import FetchFailure, TokenGrant, TokenResponse
from ozon_mcp.domain.retry import parse_retry_after

TRANSIENT_STATUSES = frozenset({408, 425, 429})
PERMANENT_STATUSES = frozenset({400, 401, 403})
# RFC 6749 5.2 codes plus the ones servers use to say "try again later".
TRANSIENT_OAUTH_ERRORS = frozenset({"temporarily_unavailable", "server_error", "slow_down"})
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True)
class RawTokenResponse:
    """What came back over the wire: status, headers (any case) and at most the capped body."""

    status: int
    headers: Mapping[str, str]
    body: bytes = field(repr=False)
    truncated: bool = False

    def header(self, name: str) -> str | None:
        """A header value, looked up case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


class _TokenBody(BaseModel):
    """The members of a successful token response we use (RFC 6749 5.1)."""

    model_config = ConfigDict(extra="ignore")

    access_token: StrictStr
    token_type: StrictStr | None = None
    expires_in: object | None = None
    scope: object | None = None


class _ErrorBody(BaseModel):
    """An OAuth error response (RFC 6749 5.2)."""

    model_config = ConfigDict(extra="ignore")

    error: StrictStr
    error_description: StrictStr | None = None


def classify_token_response(
    raw: RawTokenResponse, *, scrub: ScrubText, wall_now: datetime
) -> TokenResponse:
    """Turn one token endpoint answer into what the domain lifecycle expects."""
    retry_after = parse_retry_after(raw.header("Retry-After"), wall_now)
    status = raw.status
    if 200 <= status < 300:
        return _classify_success(raw, scrub, retry_after)
    error = _oauth_error(raw.body)
    described = _describe_error(raw, error, scrub)
    if 300 <= status < 400:
        location = scrub(raw.header("Location") or "an unnamed location")
        return FetchFailure(
            FailureKind.MALFORMED,
            f"the token endpoint answered HTTP {status}, a redirect to {location}; redirects are "
            "not followed so that the credentials are never sent to another URL",
            status=status,
        )
    if status in TRANSIENT_STATUSES or status >= 500:
        return _failure(FailureKind.TRANSIENT, described, raw, retry_after, error)
    if error is not None and error.error in TRANSIENT_OAUTH_ERRORS:
        return _failure(FailureKind.TRANSIENT, described, raw, retry_after, error)
    if status in PERMANENT_STATUSES or (400 <= status < 500 and error is not None):
        return _failure(FailureKind.PERMANENT, described, raw, retry_after, error)
    return _failure(
        FailureKind.MALFORMED,
        f"{described} (not an OAuth 2.0 token endpoint answer)",
        raw,
        retry_after,
        error,
    )


def _classify_success(
    raw: RawTokenResponse, scrub: ScrubText, retry_after: float | None
) -> TokenResponse:
    status = raw.status
    if raw.truncated:
        return FetchFailure(
            FailureKind.MALFORMED,
            f"the token endpoint answered HTTP {status} with a body larger than "
            f"{len(raw.body)} bytes",
            status=status,
        )
    document = _json_document(raw.body)
    if not isinstance(document, dict):
        content_type = scrub(raw.header("Content-Type") or "no content type")
        what = "a JSON value that is not an object" if document is not _NOT_JSON else "no JSON"
        return FetchFailure(
            FailureKind.MALFORMED,
            f"the token endpoint answered HTTP {status} with {what} ({content_type})",
            status=status,
        )
    try:
        body = _TokenBody.model_validate(document)
    except ValidationError as exc:
        error = _oauth_error(raw.body)
        if error is not None:
            kind = (
                FailureKind.TRANSIENT
                if error.error in TRANSIENT_OAUTH_ERRORS
                else FailureKind.PERMANENT
            )
            return _failure(kind, _describe_error(raw, error, scrub), raw, retry_after, error)
        return FetchFailure(
            FailureKind.MALFORMED,
            f"the token endpoint answered HTTP {status} with JSON {_what_is_wrong(exc)} "
            f"(members: {_member_names(document, scrub)})",
            status=status,
        )
    return TokenGrant(
        access_token=SecretStr(body.access_token),
        token_type=body.token_type,
        # A JSON null counts as missing, exactly like an absent member.
        expires_in=body.expires_in,
        jwt_exp=read_jwt_exp(body.access_token),
        scope=body.scope if isinstance(body.scope, str) else None,
    )


def _failure(
    kind: FailureKind,
    reason: str,
    raw: RawTokenResponse,
    retry_after: float | None,
    error: _ErrorBody | None,
) -> FetchFailure:
    code = error.error if error is not None and _ERROR_CODE.fullmatch(error.error) else None
    return FetchFailure(kind, reason, status=raw.status, retry_after=retry_after, oauth_error=code)


def _describe_error(raw: RawTokenResponse, error: _ErrorBody | None, scrub: ScrubText) -> str:
    text = f"the token endpoint answered HTTP {raw.status}"
    if error is not None:
        text += f" error={scrub(error.error, limit=64)}"
        if error.error_description:
            text += f": {scrub(error.error_description)}"
        return text
    snippet = scrub(raw.body.decode("utf-8", errors="replace"), limit=120, markup=True)
    return f"{text}: {snippet}" if snippet else text


_NOT_JSON = object()


def _json_document(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _NOT_JSON


def _oauth_error(body: bytes) -> _ErrorBody | None:
    document = _json_document(body)
    if not isinstance(document, dict):
        return None
    try:
        return _ErrorBody.model_validate(document)
    except ValidationError:
        return None


def _what_is_wrong(exc: ValidationError) -> str:
    # Only member names are used: str(exc) would quote the offending values.
    fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
    if not fields or "access_token" in fields:
        return "without a usable access_token (a non-empty string)"
    return f"whose {', '.join(fields)} is not a string"


def _member_names(document: dict[str, object], scrub: ScrubText) -> str:
    names = sorted(str(name) for name in document)[:10]
    return scrub(", ".join(names)) or "none"
