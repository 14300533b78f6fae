"""The 40 operations of the spec: authenticate, count, inject faults, validate, answer.

Order of checks for a routed request: bearer token (401), daily budget (429), armed fault,
parameters and body against the spec (400), then the operation itself.
"""

from __future__ import annotations

import logging
import secrets

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ozon_mcp.domain.token import token_fingerprint

from .errors import ApiError, json_response
from .faults import OperationFault, Received, build_response
from .requestlog import BodyFormat, RecordedRequest
from .spec_index import Match, Operation, OperationRole
from .state import EmulatorState, Pauses
from .statistics import ReportOperations
from .tokens import IssuedToken, TokenStatus
from .transport import DROP, Outcome, deliver

log = logging.getLogger("ozon_mcp.emulator")

_UNAUTHORIZED = {
    None: "missing Authorization header: send 'Authorization: Bearer <access token>'",
    TokenStatus.UNKNOWN: "invalid access token",
    TokenStatus.EXPIRED: "access token has expired; get a new one from /api/client/token",
    TokenStatus.REVOKED: "access token has been revoked; get a new one from /api/client/token",
}


class OperationsEndpoint:
    """ASGI app for every path that is not the token endpoint or the control surface."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._reports = ReportOperations(state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._state.log.arrived()
        try:
            await self._serve(scope, receive, send)
        finally:
            self._state.log.departed()

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        match = self._state.index.match(request.method, request.url.path)
        if not isinstance(match, Match):
            response = _unrouted(request, match)
            self._record(request, None, None, response.status_code, kind="other")
            await response(scope, receive, send)
            return
        try:
            outcome, fingerprint = await self._answer(request, match)
        except ClientDisconnect:
            # The client gave up (its timeout during injected latency): nobody to answer, but
            # the call was received and counts.
            self._record(request, match.operation, None, None)
            return
        status = outcome.status_code if isinstance(outcome, Response) else None
        self._record(request, match.operation, fingerprint, status, scope=self._scope_of(request))
        if isinstance(outcome, Response):
            outcome.headers["x-o3-trace-id"] = secrets.token_hex(8)
        await deliver(outcome, scope, receive, send)

    async def _answer(self, request: Request, match: Match) -> tuple[Outcome, str | None]:
        operation = match.operation
        header = request.headers.get("authorization", "")
        scheme, _, raw_token = header.partition(" ")
        raw_token = raw_token.strip() if scheme.lower() == "bearer" else ""
        fingerprint = token_fingerprint(raw_token) if raw_token else None
        try:
            account = self._admit(request, operation, raw_token)
            decision = self._state.budget.spend(account)
            if not decision.allowed:
                raise ApiError(
                    429,
                    f"daily request limit exceeded: {decision.limit} requests per day",
                    headers={"Retry-After": str(decision.retry_after)},
                )
            fault = self._state.faults.take_operation_fault(operation.operation_id)
            if fault is not None:
                injected = await _inject(fault, self._state.pauses, request)
                if injected is not None:
                    return injected, fingerprint
            return await self._perform(request, match, account), fingerprint
        except ApiError as exc:
            return exc.to_response(), fingerprint

    def _admit(self, request: Request, operation: Operation, raw_token: str) -> str:
        """The account the call counts against, once the spec's security admits it (anyspec:
        open operations need nothing; scopes are checked)."""
        security = self._state.security.of(operation.method, operation.path)
        admission = self._state.security.admit(security, request, raw_token, self._state.tokens)
        if admission is None:  # the spec declares no security (Ozon's): a valid bearer token
            return self._authenticate(raw_token).client_id
        return admission.account

    def _scope_of(self, request: Request) -> str | None:
        """The scopes of the bearer token presented, if the emulator issued it."""
        scheme, _, raw_token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not raw_token.strip():
            return None
        _status, record = self._state.tokens.check(raw_token.strip())
        return " ".join(sorted(record.scopes)) if record is not None else None

    def _authenticate(self, raw_token: str) -> IssuedToken:
        if not raw_token:
            raise _unauthorized(None)
        status, record = self._state.tokens.check(raw_token)
        if status is not TokenStatus.VALID or record is None:
            raise _unauthorized(status)
        return record

    async def _perform(self, request: Request, match: Match, account: str) -> Response:
        operation, state = match.operation, self._state
        query = {key: request.query_params.getlist(key) for key in request.query_params}
        params = state.validator.parameters(operation, match.path_params, query)
        raw = await request.body()
        body = state.validator.body(operation, raw, request.headers.get("content-type", ""))
        role = operation.role
        if role is OperationRole.REPORT_SUBMIT:
            return self._reports.submit(operation, body, account)
        if role is OperationRole.REPORT_CHECK:
            return self._reports.check(operation, params, account)
        if role is OperationRole.REPORT_DOWNLOAD:
            return self._reports.download(params, account)
        if role is OperationRole.REPORT_LIST:
            return self._reports.listing(operation, params, account)
        body = state.canned_json[operation.operation_id]
        return Response(body, operation.response_status, media_type="application/json")

    def _record(
        self,
        request: Request,
        operation: Operation | None,
        fingerprint: str | None,
        status: int | None,
        kind: str = "api",
        scope: str | None = None,
    ) -> None:
        entry = RecordedRequest(
            time=self._state.clock.wall(),
            method=request.method,
            path=request.url.path,
            operation_id=operation.operation_id if operation else None,
            token_fingerprint=fingerprint,
            body_format=_body_format(request.headers.get("content-type", "")),
            client_auth=None,
            status=status,
            query=request.url.query,
            kind="other" if kind == "other" else "api",
            scope=scope,
        )
        self._state.log.record(entry)
        log.info(
            "%s %s -> %s (%s, %s)",
            request.method,
            request.url.path,
            status or "dropped",
            entry.operation_id or "unrouted",
            fingerprint or "no token",
        )


async def _inject(fault: OperationFault, pauses: Pauses, request: Request) -> Outcome | None:
    """Apply a fault; None means "latency only, now answer normally"."""
    if not await pauses.sleep(fault.latency) or fault.drop_connection:
        return DROP
    if fault.status is None:
        return None
    received = None
    if fault.echo:
        raw = await request.body()
        received = Received(raw.decode("utf-8", errors="replace"), dict(request.headers))
    body, headers = fault.render(received)
    return build_response(
        body, fault.status, headers, fault.content_type, fault.delivery, pauses.sleep
    )


def _unauthorized(status: TokenStatus | None) -> ApiError:
    headers = {"WWW-Authenticate": 'Bearer realm="ozon-performance-emulator"'}
    if status is not None:
        headers["WWW-Authenticate"] += ', error="invalid_token"'
    return ApiError(401, _UNAUTHORIZED[status], headers=headers)


def _unrouted(request: Request, allowed: list[str] | None) -> Response:
    if allowed:
        message = f"method {request.method} is not allowed here; use {', '.join(allowed)}"
        return json_response({"error": message}, 405, {"Allow": ", ".join(allowed)})
    return json_response({"error": f"no operation at {request.url.path}"}, 404)


def _body_format(content_type: str) -> BodyFormat | None:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media == "application/json" or media.endswith("+json"):
        return "json"
    return None
