"""The one shared HTTP client that carries tool calls to the upstream API."""

from __future__ import annotations

import logging
import random
import time
import zlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx2

from ozon_mcp.adapters.auth.endpoint import TrustSource, trust_context
from ozon_mcp.adapters.mcp.body_reading import (
    ACCEPT_ENCODING,
    BodyRead,
    UnsupportedEncoding,
    read_capped,
)
from ozon_mcp.adapters.mcp.request_budget import RequestBudget
from ozon_mcp.adapters.mcp.upstream_retry import RetryStory
from ozon_mcp.adapters.openapi import PreparedRequest
from ozon_mcp.domain.api_retry import RETRIED_STATUSES, ApiRetryPolicy, GiveUp
from ozon_mcp.domain.errors import ConfigurationError
from ozon_mcp.domain.retry import RandomSource, parse_retry_after

log = logging.getLogger("ozon_mcp.upstream")

MIN_READ_BYTES = 16 * 1024 * 1024
MAX_READ_BYTES = 64 * 1024 * 1024
DEFAULT_READ_DEADLINE = 60.0


def read_limit_for(result_limit: int) -> int:
    """How many bytes of an answer to read when results are cut at `result_limit` bytes.

    Far more than the limit, so that the renderer sees the whole answer in the usual case: its
    truncation note then gives the real size, a JSON answer whose compact form fits keeps its
    structured content, and a ZIP report (its index is at the end) stays readable. Bounded, so
    that one huge answer cannot exhaust memory.
    """
    return min(max(result_limit * 16, MIN_READ_BYTES), MAX_READ_BYTES)


TOOL_EXTENSION = "ozon_mcp.tool"  # the request extension naming the tool being called


def form_arguments(
    form: tuple[tuple[str, str], ...], files: tuple[tuple[str, bytes], ...], multipart: bool
) -> dict[str, Any]:
    """The httpx2 keyword arguments of a form body: url-encoded, or multipart (fields as parts
    without a filename, files with their field name as the filename)."""
    if not multipart:
        return {"content": urlencode(form).encode("utf-8")}
    parts: list[tuple[str, tuple[str | None, bytes]]] = [
        (name, (None, value.encode("utf-8"))) for name, value in form
    ]
    parts.extend((name, (name, content)) for name, content in files)
    return {"files": parts}


@dataclass(frozen=True)
class UpstreamRequest:
    """A fully prepared upstream call (path already percent-encoded)."""

    method: str
    target: str  # the path, percent-encoded, with its encoded query string if any
    headers: tuple[tuple[str, str], ...] = ()
    json_body: Any = None
    has_body: bool = False
    # anyspec: a form body ((field, text) pairs) instead of JSON, with multipart file parts.
    form: tuple[tuple[str, str], ...] | None = None
    files: tuple[tuple[str, bytes], ...] = ()
    multipart: bool = False
    # anyspec: the tool being called, so that the auth can pick that operation's credential.
    tool: str | None = None


def upstream_request(prepared: PreparedRequest, *, tool: str | None) -> UpstreamRequest:
    """The upstream call for an operation tool's prepared request (the path relative to the
    client's base URL); `tool` names the operation whose credential the auth should pick (None:
    the default token provider)."""
    return UpstreamRequest(
        method=prepared.method,
        target=prepared.url(""),
        headers=tuple(prepared.headers.items()),
        json_body=prepared.json_body,
        has_body=prepared.json_body is not None,
        form=prepared.form,
        files=prepared.files,
        multipart=prepared.multipart,
        tool=tool,
    )


@dataclass(frozen=True)
class UpstreamResponse:
    """What the upstream answered, with the body read up to a cap."""

    status: int
    content_type: str | None
    body: bytes
    truncated_bytes: int = 0  # known from Content-Length; 0 when unknown
    complete: bool = True
    retry_after: str | None = None  # the Retry-After header, for the reports engine (issue 12)
    retry: RetryStory | None = None  # the attempts it took (429/503 retries of idempotent calls)

    def shortfall_note(self) -> str:
        """A line saying the body was not read to its end (empty when it was)."""
        if self.complete:
            return ""
        read = len(self.body)
        size = f"{read + self.truncated_bytes}" if self.truncated_bytes else f"more than {read}"
        return f"\n[the answer had {size} bytes; ozon-mcp read only the first {read}]"

    def retry_note(self) -> str:
        """A line saying when to retry a 429/503 handed back, or how many attempts it took."""
        return self.retry.note(self.status) if self.retry is not None else ""


# The cancel scope of the call in progress in this task, for the request hook to arm.
_ANSWER_SCOPE: ContextVar[anyio.CancelScope | None] = ContextVar("answer_scope", default=None)


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer in time; the message says what to do."""


class BudgetExhaustedError(UpstreamError):
    """The process used up today's request budget; no call was sent (issue 12)."""


class OffTargetError(UpstreamError):
    """A prepared URL would leave API_BASE_URL (another host, port, scheme or path); not sent."""


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: httpx2.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def check_on_target(base: httpx2.URL, url: httpx2.URL) -> None:
    """Raise `OffTargetError` unless `url` is under `base`: same scheme, host and port, and a
    path (after the client's dot-segment normalisation) inside the base path.

    Checked before the request is handed to the client, so before any token is attached: a
    spec or an argument that slipped past the path checks still cannot carry the bearer to
    another host or to another part of that host.
    """
    base_path = base.path.rstrip("/")
    # The decoded path with its dot segments resolved: a server that decodes `%2E%2E` before
    # normalising must not see the request climb out of the base path either.
    path = _remove_dot_segments(url.path)
    inside = path == base_path or path.startswith(base_path + "/") or not base_path
    if _origin(url) != _origin(base) or not inside:
        raise OffTargetError(
            f"refused to send a request to {url.scheme}://{url.host}{path[:80]}: it is not "
            f"under API_BASE_URL ({base}); no token was sent"
        )


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 on an already decoded path."""
    kept: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    trailing = "/" if path.endswith(("/.", "/..")) else ""
    return "/" + "/".join(kept) + trailing


def _content_length(response: httpx2.Response) -> int | None:
    """The declared size of an identity-encoded body (a compressed one's is not its size)."""
    if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
        return None
    value = response.headers.get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


class UpstreamClient:
    """Sends prepared requests through one pooled, authenticated httpx2.AsyncClient."""

    def __init__(
        self,
        base_url: str,
        auth: httpx2.Auth | None,
        *,
        max_body_bytes: int,
        timeout: httpx2.Timeout | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        tls: TrustSource | None = None,
        budget: RequestBudget | None = None,
        read_deadline: float = DEFAULT_READ_DEADLINE,
        retry_policy: ApiRetryPolicy | None = None,
        rng: RandomSource | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._retry_policy = retry_policy or ApiRetryPolicy()
        self._rng: RandomSource = rng or random.Random()  # jitter, not secrets
        self._wall_clock = wall_clock
        self._budget = budget  # the daily request budget every call counts against
        self._base_url = base_url.rstrip("/")
        self._base = httpx2.URL(self._base_url)
        self._max_body_bytes = max_body_bytes
        self._read_deadline = read_deadline
        self._auth = auth
        self._timeout = timeout or httpx2.Timeout(30.0, connect=5.0)
        self._transport = transport
        self._tls = tls
        self._client: httpx2.AsyncClient | None = None
        self._closed = False

    def prepare(self) -> None:
        """Build the pooled client now. Its verifying TLS context (a CA bundle load, 50-100 ms
        of CPU) is made at the latest here; the server calls this once its first tools/list is
        answered, so neither the listing nor the first tool call waits for it."""
        self._pooled_client()

    def _pooled_client(self) -> httpx2.AsyncClient:
        if self._closed:
            raise RuntimeError("the upstream API client has been closed")
        if self._client is None:
            try:
                tls = trust_context(self._tls) if self._tls is not None else None
            except ConfigurationError as exc:  # e.g. a CA bundle OpenSSL refuses, met here
                raise UpstreamError(f"cannot call the API at {self._base_url}: {exc}") from None
            self._client = httpx2.AsyncClient(
                base_url=self._base_url,
                auth=self._auth,
                timeout=self._timeout,
                follow_redirects=False,
                limits=httpx2.Limits(max_connections=100, max_keepalive_connections=20),
                transport=self._transport,
                verify=tls or True,  # a shared context saves loading the CA bundle twice
                headers={
                    "Accept": "application/json, text/csv;q=0.9, */*;q=0.5",
                    "Accept-Encoding": ACCEPT_ENCODING,  # only what we can inflate within a cap
                },
                event_hooks={"request": [self._start_deadline]},
            )
        return self._client

    @property
    def base_url(self) -> str:
        return self._base_url

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        """Send one request; the body is read up to `max_body_bytes` + 1, within the deadline.

        A 429 or 503 answer to an idempotent method is retried within the retry policy's budget
        (see `ozon_mcp.domain.api_retry`); every attempt counts against the daily budget and has
        its own read deadline. The answer that is handed back carries the retry story (`retry`).
        """
        # --- daily request budget (issue 12): refuse before Ozon answers 429 ---
        if self._budget is not None:
            refusal = self._budget.spend()
            if refusal is not None:
                raise BudgetExhaustedError(refusal)
        # --- end daily request budget ---
        kwargs: dict[str, Any] = {"headers": dict(request.headers)}
        if request.has_body:
            kwargs["json"] = request.json_body
        elif request.form is not None:  # anyspec: form-encoded or multipart
            kwargs.update(form_arguments(request.form, request.files, request.multipart))
        if request.tool is not None:
            kwargs["extensions"] = {TOOL_EXTENSION: request.tool}
        # One absolute URL string: httpx2 parses it once instead of merging base, path and
        # params (three URL parses, about a third of the per-call CPU).
        url = self._base_url + request.target
        if not request.target.startswith("/"):
            raise OffTargetError(f"refused to send a request with the target {request.target!r}")
        try:
            target = httpx2.URL(url)
        except httpx2.InvalidURL as exc:
            raise OffTargetError(f"refused to send a request: invalid URL ({exc})") from None
        check_on_target(self._base, target)
        return await self._send_with_retries(request, target, kwargs)

    async def _send_with_retries(
        self, request: UpstreamRequest, target: httpx2.URL, kwargs: dict[str, Any]
    ) -> UpstreamResponse:
        started = anyio.current_time()
        attempts = 0
        while True:
            response = await self._attempt(request.method, target, kwargs)
            attempts += 1
            if attempts == 1 and response.status not in RETRIED_STATUSES:
                return response  # the usual case: nothing to decide, nothing to tell
            elapsed = anyio.current_time() - started
            retry_after = parse_retry_after(response.retry_after, self._wall_now())
            decision = self._retry_policy.decide(
                method=request.method,
                status=response.status,
                retry_after=retry_after,
                attempts=attempts,
                elapsed=elapsed,
                rng=self._rng,
            )
            story = RetryStory(
                method=request.method,
                attempts=attempts,
                elapsed=elapsed,
                retry_after=retry_after,
                answered_at=self._wall_now(),
                gave_up=decision.gave_up,
                max_total_wait=self._retry_policy.max_total_wait,
            )
            if decision.delay is None:
                return replace(response, retry=story)
            if self._budget is not None and self._budget.spend() is not None:
                # The answer in hand is worth more than the budget's refusal.
                return replace(response, retry=replace(story, gave_up=GiveUp.BUDGET_USED))
            log.info(
                "%s %s answered %d; retry %d of %d in %.2f s",
                request.method,
                request.tool or "request",
                response.status,
                attempts,
                self._retry_policy.max_retries,
                decision.delay,
            )
            # Cancellable: a client that cancels the call stops the wait at once.
            await anyio.sleep(decision.delay)

    def _wall_now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), UTC)

    async def _attempt(
        self, method: str, target: httpx2.URL, kwargs: dict[str, Any]
    ) -> UpstreamResponse:
        """One request and its answer, within the read deadline."""
        # The deadline starts when the request leaves (see `_start_deadline`): waiting for a
        # token is bounded by the token provider, not by this.
        with anyio.CancelScope() as answer_scope:
            reset = _ANSWER_SCOPE.set(answer_scope)
            try:
                return await self._exchange(method, target, kwargs)
            finally:
                _ANSWER_SCOPE.reset(reset)
        raise UpstreamError(
            f"the API at {self._base_url} had not finished its answer after "
            f"{self._read_deadline:g} s (OZON_MCP_READ_DEADLINE_SECONDS); gave up on it"
        )

    async def _start_deadline(self, _request: httpx2.Request) -> None:
        """Request hook: the request (token attached) is about to be sent; the answer, headers
        and body, must be complete within the read deadline from now."""
        scope = _ANSWER_SCOPE.get()
        if scope is not None:
            scope.deadline = anyio.current_time() + self._read_deadline

    async def _exchange(
        self, method: str, target: httpx2.URL, kwargs: dict[str, Any]
    ) -> UpstreamResponse:
        try:
            # The parsed URL itself: the client copies it instead of parsing the text again.
            async with self._pooled_client().stream(method, target, **kwargs) as response:
                read = await self._read(response)
                declared = _content_length(response) if read.complete is False else None
                return UpstreamResponse(
                    status=response.status_code,
                    content_type=response.headers.get("content-type"),
                    body=read.body,
                    truncated_bytes=max(0, declared - len(read.body)) if declared else 0,
                    complete=read.complete,
                    retry_after=response.headers.get("retry-after"),
                )
        except httpx2.TimeoutException:
            raise UpstreamError(
                f"the API at {self._base_url} did not answer in time; try again, and check "
                "API_BASE_URL and your network if it keeps happening"
            ) from None
        except httpx2.TransportError as exc:
            raise UpstreamError(
                f"cannot reach the API at {self._base_url} ({type(exc).__name__}); check "
                "API_BASE_URL, proxies and your network"
            ) from None

    async def _read(self, response: httpx2.Response) -> BodyRead:
        if response.is_stream_consumed:  # an in-memory answer (a test transport): cap only
            content = response.content
            limit = self._max_body_bytes + 1
            return BodyRead(content[:limit], complete=len(content) < limit)
        encoding = response.headers.get("content-encoding")
        try:
            return await read_capped(response.aiter_raw(), encoding, self._max_body_bytes)
        except UnsupportedEncoding as exc:
            raise UpstreamError(
                f"the API at {self._base_url} answered with Content-Encoding {exc}, which "
                "ozon-mcp does not decode (it asks for gzip or deflate)"
            ) from None
        except zlib.error:
            raise UpstreamError(
                f"the API at {self._base_url} sent a corrupt {encoding} body"
            ) from None

    async def aclose(self) -> None:
        """Close the pooled connections; later calls fail (RuntimeError)."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
