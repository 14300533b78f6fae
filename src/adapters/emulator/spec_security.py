"""Who may call what, read from the spec the emulator serves (`--spec PATH`).

The token endpoint listens at the path of the spec's client-credentials tokenUrl (Ozon's
`/api/client/token` for the bundled spec, or a spec without one). Each operation is admitted
by the same rules the client uses (`ozon_mcp.adapters.openapi.security`): an open operation
needs nothing; a client-credentials requirement needs a valid token issued here whose scopes
include the operation's (else 403 `insufficient_scope`); an apiKey requirement is met by any
non-empty key where the scheme says, HTTP basic / bearer by any such header (the emulator only
checks that the client sent the credential the spec asks for); a spec that declares no security
at all needs a valid token, as Ozon's does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from ozon_mcp.adapters.openapi.security import (
    OperationSecurity,
    Requirement,
    SecurityScheme,
    detect_schemes,
    operation_security,
)
from ozon_mcp.adapters.openapi.spec import LoadedSpec

from .errors import ApiError
from .tokens import IssuedToken, TokenRegistry, TokenStatus

OZON_TOKEN_PATH = "/api/client/token"  # noqa: S105 - a URL path, not a secret
_UNSPECIFIED = OperationSecurity("unspecified", "none")


@dataclass(frozen=True)
class Admission:
    """A request let in: the account it counts against and the token it carried (if any)."""

    account: str
    token: IssuedToken | None


class SpecSecurity:
    """The spec's security, per routed operation (keyed by method and path template)."""

    def __init__(self, spec: LoadedSpec) -> None:
        self.schemes: Mapping[str, SecurityScheme] = detect_schemes(spec.document)
        self.token_path = token_path_of(self.schemes)
        self._rules: dict[tuple[str, str], OperationSecurity] = {}
        for method, path, _item, operation in spec.operations():
            self._rules[(method.upper(), path)] = operation_security(
                spec.document, operation, self.schemes
            )

    def of(self, method: str, path: str) -> OperationSecurity:
        """The requirement of the operation routed at (method, path template)."""
        return self._rules.get((method.upper(), path), _UNSPECIFIED)

    def admit(
        self,
        security: OperationSecurity,
        request: Request,
        raw_token: str,
        tokens: TokenRegistry,
    ) -> Admission | None:
        """Admit the request or raise ApiError (403 insufficient_scope when only scopes were
        missing); None means "check the bearer token the usual way" (no security declared)."""
        if security.kind == "unspecified":
            return None
        if security.is_open:
            return Admission("anonymous", None)
        status, record = tokens.check(raw_token) if raw_token else (None, None)
        valid = record if status is TokenStatus.VALID else None
        lacking: set[str] = set()
        for alternative in security.alternatives:
            missing_scopes = self._unmet(alternative, request, raw_token, valid)
            if missing_scopes is None:
                continue
            if not missing_scopes:
                account = valid.client_id if valid is not None else "credential"
                return Admission(account, valid)
            lacking |= missing_scopes
        if lacking and valid is not None:
            needed = " ".join(sorted(lacking))
            raise ApiError(
                403,
                f"insufficient_scope: the access token lacks the scope(s) {needed}",
                headers={
                    "WWW-Authenticate": (f'Bearer error="insufficient_scope", scope="{needed}"')
                },
            )
        raise _unauthorized(status)

    def _unmet(
        self,
        alternative: Requirement,
        request: Request,
        raw_token: str,
        valid: IssuedToken | None,
    ) -> set[str] | None:
        """The scopes this alternative still lacks (empty: met), or None when it cannot be met
        for another reason."""
        lacking: set[str] = set()
        for name, scopes in alternative.schemes:
            scheme = self.schemes.get(name)
            if scheme is None or scheme.kind == "unsupported":
                return None
            if scheme.kind in ("oauth2_client_credentials", "oauth2_other"):
                if valid is None:
                    return None
                lacking |= set(scopes) - valid.scopes
            elif scheme.kind == "api_key":
                if not _api_key(request, scheme):
                    return None
            elif scheme.kind == "http_basic":
                if request.headers.get("authorization", "")[:6].lower() != "basic ":
                    return None
            elif not raw_token:  # http_bearer: any bearer credential
                return None
        return lacking


def _api_key(request: Request, scheme: SecurityScheme) -> bool:
    name = scheme.key_name or ""
    if scheme.key_in == "query":
        return bool(request.query_params.get(name))
    if scheme.key_in == "cookie":
        return bool(request.cookies.get(name))
    return bool(request.headers.get(name))


def _unauthorized(status: TokenStatus | None) -> ApiError:
    messages = {
        None: "missing credentials: send 'Authorization: Bearer <access token>'",
        TokenStatus.UNKNOWN: "invalid access token",
        TokenStatus.EXPIRED: "access token has expired; get a new one",
        TokenStatus.REVOKED: "access token has been revoked; get a new one",
        TokenStatus.VALID: "the credentials do not meet the operation's security requirement",
    }
    header = 'Bearer realm="ozon-mcp-emulator"'
    if status not in (None, TokenStatus.VALID):
        header += ', error="invalid_token"'
    return ApiError(401, messages[status], headers={"WWW-Authenticate": header})


def token_path_of(schemes: Mapping[str, SecurityScheme]) -> str:
    """The path of the first client-credentials tokenUrl (absolute or relative), else Ozon's."""
    for scheme in schemes.values():
        if scheme.kind == "oauth2_client_credentials" and scheme.token_url:
            path = urlsplit(scheme.token_url).path or "/"
            return path if path.startswith("/") else "/" + path
    return OZON_TOKEN_PATH
