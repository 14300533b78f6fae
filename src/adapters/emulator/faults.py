"""Fault injection: scripted token responses, token latency, random token faults and
per-operation faults, with the ways a body can travel badly (compressed, trickled, cut short)
and an echo of what the emulator received (to prove clients never leak it)."""

from __future__ import annotations

import asyncio
import gzip as gziplib
import json as jsonlib
import random
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .transport import TRANSPORT_KEY

ECHO_MARK = "{echo}"  # in scripted headers and JSON strings: replaced by what was received


def _check_status(status: int) -> None:
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code between 100 and 599, got {status!r}")


def _check_latency(seconds: float, name: str = "latency") -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError(f"{name} must be a number of seconds >= 0, got {seconds!r}")


@dataclass(frozen=True)
class Delivery:
    """How a faulty body travels: gzip-compressed, trickled chunk by chunk, or cut short.

    `trickle` is the pause in seconds before each `chunk_size`-byte chunk after the first;
    `cut_after` sends the headers (with the full Content-Length) and that many body bytes, then
    drops the connection. The defaults deliver the body at once.
    """

    gzip: bool = False
    trickle: float = 0.0
    chunk_size: int = 1024
    cut_after: int | None = None

    def __post_init__(self) -> None:
        _check_latency(self.trickle, "trickle")
        if isinstance(self.chunk_size, bool) or self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size!r}")
        if self.cut_after is not None and self.cut_after < 0:
            raise ValueError(f"cut_after must be None or >= 0, got {self.cut_after!r}")

    @property
    def plain(self) -> bool:
        """Whether the body goes out in one piece, untouched."""
        return not self.gzip and self.trickle == 0 and self.cut_after is None


PLAIN = Delivery()


@dataclass(frozen=True)
class Received:
    """What a faulted request carried, for echoing: the body text and the headers."""

    body: str
    headers: Mapping[str, str]

    @property
    def text(self) -> str:
        """Everything received as one line: the Authorization header first (clients trim long
        texts; the credentials must come before the cut), the body, then the other headers."""
        authorization = self.headers.get("authorization")
        first = f"authorization: {authorization} " if authorization is not None else ""
        shown = " ".join(f"{k}: {v}" for k, v in self.headers.items() if k != "authorization")
        return f"{first}{self.body} {shown}"


def echo_headers(received: Received, headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` with {echo} replaced by the percent-encoded request, plus X-Echo-* headers
    carrying the body (percent-encoded) and the Authorization header (as sent)."""
    encoded = quote(received.text, safe="")
    echoed = {name: value.replace(ECHO_MARK, encoded) for name, value in headers.items()}
    echoed["X-Echo-Body"] = quote(received.body, safe="")
    authorization = received.headers.get("authorization")
    if authorization is not None:
        echoed["X-Echo-Authorization"] = authorization
    return echoed


def echo_document(received: Received, document: Any) -> Any:
    """A JSON document with {echo} in its top-level strings replaced by the raw request; a
    non-object (or None) becomes an OAuth-style error quoting the request."""
    if not isinstance(document, dict):
        return {"error": "invalid_request", "error_description": f"you sent {received.text}"}
    return {
        key: value.replace(ECHO_MARK, received.text) if isinstance(value, str) else value
        for key, value in document.items()
    }


@dataclass(frozen=True)
class ScriptedResponse:
    """One answer the token endpoint gives instead of its normal one.

    Give `json` (serialized for you) or raw `body` bytes (anything, even malformed), or set
    `drop_connection` to close the connection without answering. With `mint_access_token` the
    emulator puts a freshly issued, valid token into `json["access_token"]` when it answers, so a
    test can send odd companions (`"expires_in": "1800.0"`) around a token that really works.
    `latency` delays this answer only (longer than the client's read timeout: a timeout);
    `delivery` compresses, trickles or cuts the body; `echo` reflects the request (body and
    headers) into the answer: `{echo}` in header values (a `Location`, say) and in the JSON's
    top-level strings, plus X-Echo-Body / X-Echo-Authorization headers.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    json: Any = None
    content_type: str | None = None
    drop_connection: bool = False
    mint_access_token: bool = False
    latency: float = 0.0
    delivery: Delivery = PLAIN
    echo: bool = False

    def __post_init__(self) -> None:
        _check_status(self.status)
        _check_latency(self.latency)
        if self.body is not None and self.json is not None:
            raise ValueError("give either body (raw bytes) or json, not both")
        if self.mint_access_token and not isinstance(self.json, dict):
            raise ValueError("mint_access_token needs a json object to put the token into")

    def render(
        self, minted_token: str | None = None, received: Received | None = None
    ) -> tuple[bytes, str]:
        """The body bytes and content type to send (echoing `received` if asked to)."""
        document = self.json
        if self.echo and received is not None and self.body is None:
            document = echo_document(received, document)
        if document is not None:
            if minted_token is not None and isinstance(document, dict):
                document = {**document, "access_token": minted_token}
            data = jsonlib.dumps(document, ensure_ascii=False).encode("utf-8")
            return data, self.content_type or "application/json"
        return self.body or b"", self.content_type or "application/json"

    def response_headers(self, received: Received | None = None) -> dict[str, str]:
        """The headers to send (echoing `received` if asked to)."""
        if self.echo and received is not None:
            return echo_headers(received, self.headers)
        return dict(self.headers)


@dataclass(frozen=True)
class OperationFault:
    """A fault applied to authenticated calls of one operation.

    `status=None` adds only latency. `count=None` keeps the fault until it is cleared; otherwise
    it affects that many calls and disappears. `delivery` compresses, trickles or cuts the body;
    `echo` reflects the request (its Authorization header included) as ScriptedResponse does.
    """

    status: int | None = 500
    latency: float = 0.0
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    count: int | None = None
    drop_connection: bool = False
    content_type: str = "application/json"
    delivery: Delivery = PLAIN
    echo: bool = False

    def __post_init__(self) -> None:
        if self.status is not None:
            _check_status(self.status)
        _check_latency(self.latency)
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise ValueError(f"count must be None (until cleared) or >= 1, got {self.count!r}")

    def default_body(self) -> bytes:
        """The Ozon-style error body sent when the test gave none."""
        message = f"injected fault: HTTP {self.status}"
        return jsonlib.dumps({"error": message}).encode("utf-8")

    def render(self, received: Received | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers to send (echoing `received` if asked to)."""
        if self.echo and received is not None:
            body = jsonlib.dumps(
                {"error": f"injected fault: you sent {received.text}"}, ensure_ascii=False
            ).encode("utf-8")
            return body, echo_headers(received, self.headers)
        body = self.default_body() if self.body is None else self.body
        return body, dict(self.headers)


@dataclass(frozen=True)
class RandomTokenFaults:
    """Token requests that fail at random (when no scripted answer is queued): a share answers
    503, a share 429 with `Retry-After: retry_after`, a share hangs for `hang_seconds` (longer
    than the client's read timeout: a timeout) and then answers 503. Seeded: reproducible."""

    status_503: float = 0.0
    status_429: float = 0.0
    timeout: float = 0.0
    retry_after: int = 1
    hang_seconds: float = 12.0
    seed: int = 0

    def __post_init__(self) -> None:
        shares = (self.status_503, self.status_429, self.timeout)
        if any(not 0 <= share <= 1 for share in shares) or sum(shares) > 1:
            raise ValueError(f"fault shares must lie in [0, 1] and sum to <= 1, got {shares}")
        if self.retry_after < 0:
            raise ValueError(f"retry_after must be >= 0, got {self.retry_after}")
        _check_latency(self.hang_seconds, "hang_seconds")

    def draw(self, rng: random.Random) -> tuple[str, ScriptedResponse] | None:
        """The fault for one token request (its kind and answer), or None to answer normally."""
        roll = rng.random()
        if roll < self.status_503:
            return "503", ScriptedResponse(status=503, json={"error": "temporarily_unavailable"})
        roll -= self.status_503
        if roll < self.status_429:
            headers = {"Retry-After": str(self.retry_after)}
            return "429", ScriptedResponse(status=429, headers=headers, json={"error": "slow"})
        roll -= self.status_429
        if roll < self.timeout:
            return "timeout", ScriptedResponse(status=503, latency=self.hang_seconds)
        return None


Pause = Callable[[float], Awaitable[bool]]


class FaultyBodyResponse(Response):
    """A response whose body is gzip-compressed, trickled or cut short as `delivery` says."""

    def __init__(
        self,
        body: bytes,
        status: int,
        headers: Mapping[str, str],
        media_type: str,
        delivery: Delivery,
        pause: Pause,
    ) -> None:
        headers = dict(headers)
        if delivery.gzip:
            body = gziplib.compress(body, compresslevel=9)
            headers["Content-Encoding"] = "gzip"
        super().__init__(body, status, headers, media_type=media_type)
        self._delivery = delivery
        self._pause = pause

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        delivery, body = self._delivery, bytes(self.body)
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        limit = len(body) if delivery.cut_after is None else min(delivery.cut_after, len(body))
        step = delivery.chunk_size
        transport: Any = scope.get(TRANSPORT_KEY)
        for start in range(0, limit, step):
            if start and not await self._pause(delivery.trickle):
                break  # shutting down
            if transport is not None and transport.is_closing():
                return  # the client gave up: stop trickling into a closed connection
            chunk = body[start : min(start + step, limit)]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if delivery.cut_after is not None and delivery.cut_after < len(body):
            if transport is not None:
                transport.abort()
            for _ in range(3):
                await asyncio.sleep(0)  # let the server notice before the app returns
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def build_response(
    body: bytes,
    status: int,
    headers: Mapping[str, str],
    media_type: str,
    delivery: Delivery,
    pause: Pause,
) -> Response:
    """A plain starlette Response, or a FaultyBodyResponse when the delivery is not plain."""
    if delivery.plain:
        return Response(body, status, dict(headers), media_type=media_type)
    return FaultyBodyResponse(body, status, headers, media_type, delivery, pause)


class FaultBoard:
    """The faults currently armed; thread-safe, consumed by the request handlers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token_script: deque[ScriptedResponse] = deque()
        self._token_latency = 0.0
        self._operation_faults: dict[str, OperationFault] = {}
        self._random: RandomTokenFaults | None = None
        self._rng = random.Random(0)
        self._random_drawn: Counter[str] = Counter()

    def script_token_responses(self, responses: list[ScriptedResponse]) -> None:
        """Queue answers for the next token requests, in order (appended to any queued)."""
        for response in responses:
            if not isinstance(response, ScriptedResponse):
                raise TypeError(f"expected ScriptedResponse, got {type(response).__name__}")
        with self._lock:
            self._token_script.extend(responses)

    def next_token_response(self) -> ScriptedResponse | None:
        """Pop the next scripted token answer, else draw a random fault if they are armed."""
        with self._lock:
            if self._token_script:
                return self._token_script.popleft()
            if self._random is None:
                return None
            drawn = self._random.draw(self._rng)
            if drawn is None:
                return None
            kind, response = drawn
            self._random_drawn[kind] += 1
            return response

    def set_random_token_faults(self, faults: RandomTokenFaults | None) -> None:
        """Make token requests fail at random (None to stop); the counts start again at zero."""
        with self._lock:
            self._random = faults
            self._rng = random.Random(faults.seed if faults else 0)
            self._random_drawn.clear()

    def random_faults_drawn(self) -> dict[str, int]:
        """How many random token faults of each kind were served since they were armed."""
        with self._lock:
            return dict(self._random_drawn)

    def pending_token_responses(self) -> int:
        """How many scripted token answers are still queued."""
        with self._lock:
            return len(self._token_script)

    def set_token_latency(self, seconds: float) -> None:
        """Delay every token answer by `seconds`."""
        _check_latency(seconds)
        with self._lock:
            self._token_latency = float(seconds)

    @property
    def token_latency(self) -> float:
        """The current added token latency in seconds."""
        with self._lock:
            return self._token_latency

    def set_operation_fault(self, operation_id: str, fault: OperationFault) -> None:
        """Arm `fault` for `operation_id`, replacing any fault armed for it."""
        with self._lock:
            self._operation_faults[operation_id] = fault

    def take_operation_fault(self, operation_id: str) -> OperationFault | None:
        """The fault for one call of `operation_id`, counting it down."""
        with self._lock:
            fault = self._operation_faults.get(operation_id)
            if fault is None or fault.count is None:
                return fault
            if fault.count <= 1:
                del self._operation_faults[operation_id]
            else:
                self._operation_faults[operation_id] = replace(fault, count=fault.count - 1)
            return fault

    def operation_faults(self) -> dict[str, OperationFault]:
        """A snapshot of the armed operation faults."""
        with self._lock:
            return dict(self._operation_faults)

    def clear(self) -> None:
        """Disarm everything: scripted token answers, token latency, random token faults and
        operation faults."""
        with self._lock:
            self._token_script.clear()
            self._token_latency = 0.0
            self._operation_faults.clear()
            self._random = None
