"""Over loopback: a trickled body meets the overall read deadline, a huge body is not downloaded
past the cap, and ten concurrent gzip bombs neither exhaust memory nor stall the event loop."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import anyio
import httpx2
import pytest
from mcp_support import loopback_server

from ozon_mcp.adapters.mcp.upstream import (
    UpstreamClient,
    UpstreamError,
    UpstreamRequest,
    read_limit_for,
)

HUGE = 200 * 1024 * 1024
BOMB = gzip.compress(b"\x00" * (256 * 1024 * 1024), compresslevel=9)


class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sent: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        if self.path == "/api/trickle":
            self._headers(1000, {})
            for _ in range(1000):
                if not self._write(b"x"):
                    return
                time.sleep(0.2)
        elif self.path == "/api/slow-headers":
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"s" * 500:
                if not self._write(bytes([byte])):
                    return
                time.sleep(0.2)
        elif self.path == "/api/huge":
            self._headers(HUGE, {"Content-Type": "text/plain"})
            chunk = b"y" * 65536
            for _ in range(HUGE // len(chunk)):
                if not self._write(chunk):
                    return
        elif self.path == "/api/bomb":
            self._headers(len(BOMB), {"Content-Encoding": "gzip", "Content-Type": "text/csv"})
            self._write(BOMB)
        else:
            self._headers(2, {"Content-Type": "application/json"})
            self._write(b"{}")

    def _headers(self, length: int, extra: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(length))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            return False
        Hostile.sent[self.path] = Hostile.sent.get(self.path, 0) + len(data)
        return True

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_api() -> Iterator[str]:
    Hostile.sent.clear()
    with loopback_server(Hostile) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"


@pytest.mark.anyio
async def test_a_trickled_body_fails_at_the_overall_deadline(hostile_api: str) -> None:
    client = UpstreamClient(
        hostile_api,
        None,
        max_body_bytes=100_000,
        timeout=httpx2.Timeout(30.0, connect=5.0),  # each byte arrives well within this
        read_deadline=1.5,
    )
    started = time.monotonic()
    try:
        with pytest.raises(UpstreamError, match="OZON_MCP_READ_DEADLINE_SECONDS"):
            await client.send(UpstreamRequest("GET", "/trickle"))
    finally:
        await client.aclose()
    assert time.monotonic() - started < 20  # 1000 bytes at 0.2 s each would take 200 s


@pytest.mark.anyio
async def test_trickled_headers_fail_at_the_same_deadline(hostile_api: str) -> None:
    client = UpstreamClient(hostile_api, None, max_body_bytes=100_000, read_deadline=1.5)
    started = time.monotonic()
    try:
        with pytest.raises(UpstreamError, match=r"had not finished its answer after 1\.5 s"):
            await client.send(UpstreamRequest("GET", "/slow-headers"))
    finally:
        await client.aclose()
    assert time.monotonic() - started < 20


@pytest.mark.anyio
async def test_reading_stops_at_the_cap(hostile_api: str) -> None:
    client = UpstreamClient(hostile_api, None, max_body_bytes=100_000)
    try:
        response = await client.send(UpstreamRequest("GET", "/huge"))
    finally:
        await client.aclose()
    assert len(response.body) == 100_001
    assert not response.complete
    assert f"the answer had {HUGE} bytes; ozon-mcp read only the first 100001" in (
        response.shortfall_note()
    )
    await anyio.sleep(0.5)  # let the server notice the closed connection
    # The client hung up: far less than the 200 MB was ever sent (socket buffers aside).
    assert Hostile.sent.get("/api/huge", 0) < 32 * 1024 * 1024


@pytest.mark.anyio
async def test_ten_gzip_bombs_are_capped_and_do_not_stall_other_work(hostile_api: str) -> None:
    cap = read_limit_for(100_000)
    client = UpstreamClient(hostile_api, None, max_body_bytes=cap)
    lags: list[float] = []

    async def ticker(stop: anyio.Event) -> None:
        while not stop.is_set():
            before = time.monotonic()
            await anyio.sleep(0.05)
            lags.append(time.monotonic() - before - 0.05)

    results: list[Any] = []

    async def bomb() -> None:
        results.append(await client.send(UpstreamRequest("GET", "/bomb")))

    try:
        stop = anyio.Event()
        async with anyio.create_task_group() as outer:
            outer.start_soon(ticker, stop)
            async with anyio.create_task_group() as bombs:
                for _ in range(10):
                    bombs.start_soon(bomb)
            small = await client.send(UpstreamRequest("GET", "/small"))
            stop.set()
    finally:
        await client.aclose()
    assert small.body == b"{}"
    assert len(results) == 10
    for response in results:
        assert len(response.body) == cap + 1
        assert not response.complete
        assert "more than" in response.shortfall_note()
    # Inflating happened in worker threads: the loop kept ticking (it stalled for 22 s before).
    assert max(lags) < 2.0, max(lags)
