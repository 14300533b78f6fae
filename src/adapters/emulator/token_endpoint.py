"""`POST /api/client/token`: the Ozon token endpoint (spec tag `Token`), plus RFC 6749 in
generic mode (form-encoded bodies and HTTP Basic client authentication)."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ozon_mcp.domain.token import token_fingerprint

from .errors import json_response
from .faults import Received, ScriptedResponse, build_response
from .requestlog import BodyFormat, ClientAuth, RecordedRequest
from .state import EmulatorState
from .transport import DROP, Outcome, deliver

TOKEN_PATH = "/api/client/token"  # noqa: S105 - a URL path, not a secret
GRANT_TYPE = "client_credentials"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
REALM = 'Basic realm="ozon-performance-emulator"'

log = logging.getLogger("ozon_mcp.emulator")


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error answer."""

    def __init__(
        self, status: int, error: str, description: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = dict(headers or {})

    def to_response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status, {**NO_STORE, **self.headers})


@dataclass(frozen=True)
class TokenRequest:
    """The parts of a token request the endpoint acts on."""

    fields: dict[str, object]
    body_format: BodyFormat | None
    basic: tuple[str, str] | None


class TokenEndpoint:
    """ASGI app answering token requests, honouring scripted faults and latency."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._state.log.arrived()
        try:
            await deliver(await self._answer(Request(scope, receive)), scope, receive, send)
        except ClientDisconnect:
            pass  # the client gave up (e.g. its timeout during injected latency): nobody to answer
        finally:
            self._state.log.departed()

    async def _answer(self, request: Request) -> Outcome:
        state = self._state
        raw = await request.body()
        if not await state.pauses.sleep(state.faults.token_latency):
            self._record(request, None, None, None, None)
            return DROP  # shutting down
        body_format = _body_format(request.headers.get("content-type", ""), raw)
        client_auth = _client_auth(request.headers.get("authorization", ""), raw, body_format)
        scripted = state.faults.next_token_response()
        if scripted is not None:
            return await self._scripted(request, raw, scripted, body_format, client_auth)
        issued: str | None = None
        granted: str | None = None
        try:
            if request.method != "POST":
                raise OAuthError(405, "invalid_request", "use POST", {"Allow": "POST"})
            token_request = _parse(request, raw, body_format, state.accepts_rfc6749)
            client_id = self._authenticate(token_request)
            lifetime = state.token_settings.get()
            scope = token_request.fields.get("scope")
            scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
            issued = state.tokens.issue(client_id, lifetime, scopes)
            answer: dict[str, object] = {
                "access_token": issued,
                "expires_in": lifetime,
                "token_type": "Bearer",
            }
            if scopes:  # RFC 6749 section 5.1: the scope granted
                granted = " ".join(sorted(scopes))
                answer["scope"] = granted
            response = json_response(answer, 200, NO_STORE)
        except OAuthError as exc:
            response = exc.to_response()
        self._record(request, response.status_code, body_format, client_auth, issued, granted)
        return response

    async def _scripted(
        self,
        request: Request,
        raw: bytes,
        scripted: ScriptedResponse,
        body_format: BodyFormat | None,
        client_auth: ClientAuth | None,
    ) -> Outcome:
        """Answer as the test scripted: late, dropped, echoing, compressed, trickled or cut."""
        state = self._state
        if not await state.pauses.sleep(scripted.latency):
            self._record(request, None, body_format, client_auth, None)
            return DROP  # shutting down
        minted = None
        if scripted.mint_access_token and not scripted.drop_connection:
            minted = state.tokens.issue(state.config.client_id, state.token_settings.get())
        status = None if scripted.drop_connection else scripted.status
        self._record(request, status, body_format, client_auth, minted)
        if scripted.drop_connection:
            return DROP
        received = Received(raw.decode("utf-8", errors="replace"), dict(request.headers))
        body, content_type = scripted.render(minted, received)
        return build_response(
            body,
            scripted.status,
            scripted.response_headers(received),
            content_type,
            scripted.delivery,
            state.pauses.sleep,
        )

    def _authenticate(self, token_request: TokenRequest) -> str:
        """Check the grant and the client credentials; return the client id."""
        fields, basic = token_request.fields, token_request.basic
        for name in ("grant_type", "client_id", "client_secret", "scope"):
            value = fields.get(name)
            if value is not None and not isinstance(value, str):
                raise OAuthError(400, "invalid_request", f"field '{name}' must be a string")
        grant_type = fields.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "field 'grant_type' is required")
        if grant_type != GRANT_TYPE:
            raise OAuthError(
                400,
                "unsupported_grant_type",
                f"grant_type must be '{GRANT_TYPE}', got {grant_type!r}",
            )
        if basic is not None:
            if "client_secret" in fields:
                raise OAuthError(
                    400,
                    "invalid_request",
                    "the client authenticated twice (HTTP Basic and client_secret)",
                )
            if fields.get("client_id") not in (None, basic[0]):
                raise OAuthError(
                    400, "invalid_request", "client_id differs from the HTTP Basic user"
                )
            client_id, client_secret = basic
        else:
            for name in ("client_id", "client_secret"):
                if not fields.get(name):
                    raise OAuthError(400, "invalid_request", f"field '{name}' is required")
            client_id, client_secret = str(fields["client_id"]), str(fields["client_secret"])
        config = self._state.config
        good_id = hmac.compare_digest(client_id.encode(), config.client_id.encode())
        good_secret = hmac.compare_digest(client_secret.encode(), config.secret_value.encode())
        if not (good_id and good_secret):
            headers = {"WWW-Authenticate": REALM} if basic is not None else None
            raise OAuthError(401, "invalid_client", "client authentication failed", headers)
        return client_id

    def _record(
        self,
        request: Request,
        status: int | None,
        body_format: BodyFormat | None,
        client_auth: ClientAuth | None,
        issued: str | None,
        scope: str | None = None,
    ) -> None:
        fingerprint = token_fingerprint(issued) if issued else None
        entry = RecordedRequest(
            time=self._state.clock.wall(),
            method=request.method,
            path=request.url.path,
            operation_id=None,
            token_fingerprint=fingerprint,
            body_format=body_format,
            client_auth=client_auth,
            status=status,
            query=request.url.query,
            kind="token",
            scope=scope,
        )
        self._state.log.record(entry, issued_token=issued is not None)
        log.info(
            "%s %s -> %s%s",
            request.method,
            request.url.path,
            status or "dropped",
            f" (issued {fingerprint})" if fingerprint else "",
        )


def _body_format(content_type: str, raw: bytes) -> BodyFormat | None:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media == "application/json" or media.endswith("+json"):
        return "json"
    if not media and raw.lstrip().startswith(b"{"):
        return "json"  # JSON sent without a Content-Type: read it as the Go server would
    return None


def _client_auth(
    authorization: str, raw: bytes, body_format: BodyFormat | None
) -> ClientAuth | None:
    """How the client tried to authenticate (for the log, even when the request is refused)."""
    if authorization[:6].lower() == "basic ":
        return "basic"
    fields: object = {}
    try:
        if body_format == "json":
            fields = json.loads(raw)
        elif body_format == "form":
            fields = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError):
        return None
    return "post" if isinstance(fields, dict) and "client_secret" in fields else None


def _parse(
    request: Request, raw: bytes, body_format: BodyFormat | None, generic: bool
) -> TokenRequest:
    """Read the body and the HTTP Basic credentials; refuse what this mode does not accept."""
    if body_format == "json":
        try:
            document = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(400, "invalid_request", "the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise OAuthError(400, "invalid_request", "the JSON body must be an object")
        fields: dict[str, object] = document
    elif body_format == "form" and generic:
        fields = _form_fields(raw)
    elif body_format == "form":
        raise OAuthError(
            400,
            "invalid_request",
            "send a JSON body (Content-Type: application/json) as Ozon documents; start the "
            "emulator with --generic to accept form-encoded bodies",
        )
    elif not raw.strip() and generic:
        fields = {}
    else:
        media = request.headers.get("content-type", "(none)")
        raise OAuthError(400, "invalid_request", f"unsupported Content-Type {media!r}")
    basic = None
    authorization = request.headers.get("authorization", "")
    if authorization[:6].lower() == "basic " and generic:
        basic = _basic_credentials(authorization[6:].strip())
    elif authorization[:6].lower() == "basic " and "client_secret" not in fields:
        raise OAuthError(
            400,
            "invalid_request",
            "HTTP Basic client authentication is not accepted; send client_id and client_secret "
            "in the JSON body (or start the emulator with --generic)",
        )
    return TokenRequest(fields, body_format, basic)


def _form_fields(raw: bytes) -> dict[str, object]:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (ValueError, UnicodeDecodeError):
        raise OAuthError(400, "invalid_request", "the form body is malformed") from None
    fields: dict[str, object] = {}
    for name, value in pairs:
        if name in fields:  # RFC 6749 section 3.2: parameters must not repeat
            raise OAuthError(400, "invalid_request", f"parameter '{name}' is repeated")
        fields[name] = value
    return fields


def _basic_credentials(encoded: str) -> tuple[str, str]:
    """RFC 6749 section 2.3.1: base64 of form-encoded `client_id:client_secret`."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if ":" not in decoded:
        raise OAuthError(
            401, "invalid_client", "malformed HTTP Basic credentials", {"WWW-Authenticate": REALM}
        )
    user, _, password = decoded.partition(":")
    return unquote_plus(user), unquote_plus(password)
