"""The one shared HTTP client that carries tool calls to the upstream API."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx2

log = logging.getLogger("ozon_mcp.upstream")

MIN_READ_BYTES = 16 * 1024 * 1024


def read_limit_for(result_limit: int) -> int:
    """How many bytes of an answer to read when results are cut at `result_limit` bytes.

    Far more than the limit, so that the renderer sees the whole answer in the usual case: its
    truncation note then gives the real size, a JSON answer whose compact form fits keeps its
    structured content, and a ZIP report (its index is at the end) stays readable. Bounded, so
    that one huge answer cannot exhaust memory.
    """
    return max(result_limit * 16, MIN_READ_BYTES)


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


@dataclass(frozen=True)
class UpstreamResponse:
    """What the upstream answered, with the body read up to a cap."""

    status: int
    content_type: str | None
    body: bytes
    truncated_bytes: int = 0


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer in time; the message says what to do."""


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
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._max_body_bytes = max_body_bytes
        self._client = httpx2.AsyncClient(
            base_url=self._base_url,
            auth=auth,
            timeout=timeout or httpx2.Timeout(30.0, connect=5.0),
            follow_redirects=False,
            limits=httpx2.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
            verify=tls or True,  # a shared context saves loading the CA bundle twice
            headers={"Accept": "application/json, text/csv;q=0.9, */*;q=0.5"},
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        """Send one request; the body is read up to `max_body_bytes` + 1, the rest counted."""
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
        try:
            async with self._client.stream(request.method, url, **kwargs) as response:
                chunks: list[bytes] = []
                kept = 0
                dropped = 0
                async for chunk in response.aiter_bytes():
                    room = self._max_body_bytes + 1 - kept
                    if room > 0:
                        chunks.append(chunk[:room])
                        kept += min(len(chunk), room)
                    dropped += max(0, len(chunk) - max(room, 0))
                return UpstreamResponse(
                    status=response.status_code,
                    content_type=response.headers.get("content-type"),
                    body=b"".join(chunks),
                    truncated_bytes=dropped,
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

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()
