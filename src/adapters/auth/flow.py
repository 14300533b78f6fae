"""The bearer flow shared by sync and async clients of both httpx2 and httpx.

`bearer_flow` is a generator that says what it needs and is told what happened:

    yield NeedToken()            -> the driver sends back an AccessToken
    yield Send(request)          -> the driver sends the request and sends back the response
    yield Invalidate(fp)         -> the driver invalidates that token and sends back None
    yield Accepted(fp)           -> the driver reports that token accepted and sends back None

The rule it encodes: send with `Authorization: Bearer <token>`; on a 401, invalidate exactly the
token that was rejected, get a new one and send the request once more (the body was read before
the first send, so it is replayed); never a second retry. The retry's verdict is reported too:
a replacement refused as well makes the lifecycle keep it and pause replacing (the API refuses
new tokens: no token request per call), an accepted one ends that pause. A request without a
401 reports nothing, so the hot path costs no extra step.
"""

from __future__ import annotations

from collections.abc import Generator, MutableMapping
from dataclasses import dataclass
from typing import Protocol

from ozon_mcp.domain.token import AccessToken

UNAUTHORIZED = 401


class OutgoingRequest(Protocol):
    """The part of an httpx / httpx2 request the flow touches."""

    @property
    def headers(self) -> MutableMapping[str, str]: ...


class IncomingResponse(Protocol):
    """The part of an httpx / httpx2 response the flow looks at."""

    @property
    def status_code(self) -> int: ...


@dataclass(frozen=True)
class NeedToken:
    """The flow needs a valid access token."""


@dataclass(slots=True)
class Send:
    """Send this request and hand back the response (a plain slotted message: one per call)."""

    request: OutgoingRequest


@dataclass(frozen=True)
class Invalidate:
    """The token with this fingerprint was rejected by the resource server."""

    fingerprint: str


@dataclass(frozen=True)
class Accepted:
    """The token with this fingerprint, fetched after a 401, was accepted by the retry."""

    fingerprint: str


NEED_TOKEN = NeedToken()  # stateless, so one instance serves every flow

FlowStep = NeedToken | Send | Invalidate | Accepted
FlowReply = AccessToken | IncomingResponse | None
BearerFlow = Generator[FlowStep, FlowReply, None]


def bearer_flow(
    request: OutgoingRequest, first_try: tuple[AccessToken, IncomingResponse] | None = None
) -> BearerFlow:
    """Authorize `request`, and recover once from a 401 caused by a rejected token.

    `first_try`: the token a driver already sent `request` with and the answer it got (the
    drivers' hot path sends at once with a token in hand and needs the flow only after a 401).
    """
    if first_try is None:
        token = _expect_token((yield NEED_TOKEN))
        response = _expect_response((yield Send(authorized(request, token))))
    else:
        token, response = first_try
    if response.status_code != UNAUTHORIZED:
        return
    yield Invalidate(token.fingerprint)
    replacement = _expect_token((yield NEED_TOKEN))
    if replacement.fingerprint == token.fingerprint:
        return  # the same token again (or kept while replacing pauses): a retry would fail too
    retried = _expect_response((yield Send(authorized(request, replacement))))
    if retried.status_code == UNAUTHORIZED:
        yield Invalidate(replacement.fingerprint)
    else:
        yield Accepted(replacement.fingerprint)


def authorized(request: OutgoingRequest, token: AccessToken) -> OutgoingRequest:
    """`request` carrying `token` (its Authorization header set)."""
    request.headers["Authorization"] = f"Bearer {token.value}"
    return request


def _expect_token(reply: FlowReply) -> AccessToken:
    if not isinstance(reply, AccessToken):
        raise TypeError(f"the bearer flow expected an AccessToken, got {type(reply).__name__}")
    return reply


def _expect_response(reply: FlowReply) -> IncomingResponse:
    if reply is None or isinstance(reply, AccessToken):
        raise TypeError("the bearer flow expected the response to the request it sent")
    return reply
