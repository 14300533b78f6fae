"""The bearer flow shared by sync and async clients of both httpx2 and httpx.

A driver sends each request at once with the token in hand (`authorized`); only when the answer
is a 401 does it hand the request, that token and the answer to `bearer_flow`, a generator that
says what it needs and is told what happened:

    yield Invalidate(fp)         -> the driver invalidates that token and sends back None
    yield NeedToken()            -> the driver sends back an AccessToken
    yield Send(request)          -> the driver sends the request and sends back the response
    yield Accepted(fp)           -> the driver reports that token accepted and sends back None

The rule it encodes: on a 401, invalidate exactly the token that was rejected, get a new one and
send the request once more (the body was read before the first send, so it is replayed); never a
second retry. The retry's verdict is reported too: a replacement refused as well makes the
lifecycle keep it and pause replacing (the API refuses new tokens: no token request per call),
an accepted one ends that pause. Any other answer needs nothing, so the hot path (a request
answered without a 401) never creates the generator.
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
    request: OutgoingRequest, token: AccessToken, response: IncomingResponse
) -> BearerFlow:
    """Recover once from the 401 `response` to `request`, sent with `token` (any other answer
    needs nothing)."""
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
