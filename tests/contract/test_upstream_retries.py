"""UpstreamClient retries of 429/503 over loopback: methods, Retry-After as an HTTP-date, the daily
budget, the per-attempt read deadline and cancellation of a wait (the fault matrix covers the
MCP-level rows; these look at what only the client itself shows)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import anyio
import pytest
from mcp_support import loopback_server

from ozon_mcp.adapters.mcp.request_budget import RequestBudget
from ozon_mcp.adapters.mcp.upstream import UpstreamClient, UpstreamRequest
from ozon_mcp.domain.api_retry import GiveUp

pytestmark = pytest.mark.anyio

Step = tuple[float, int, dict[str, str]]  # delay before answering, status, headers


class Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next scripted step for its path (then 200 `{}`)."""

    script: ClassVar[dict[str, list[Step]]] = {}
    seen: ClassVar[dict[str, list[tuple[str, float]]]] = {}  # path -> (method, arrival time)
    lock = threading.Lock()

    def _answer(self) -> None:
        with self.lock:
            self.seen.setdefault(self.path, []).append((self.command, time.monotonic()))
            steps = self.script.get(self.path) or []
            delay, status, headers = steps.pop(0) if steps else (0.0, 200, {})
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        time.sleep(delay)
        body = b"{}" if status == 200 else b'{"error": "busy"}'
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    Scripted.script, Scripted.seen = {}, {}
    with loopback_server(Scripted) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"


def busy(status: int = 503, retry_after: str | None = "0", delay: float = 0.0) -> Step:
    return (delay, status, {"Retry-After": retry_after} if retry_after is not None else {})


def arrivals(path: str) -> list[float]:
    return [moment for _method, moment in Scripted.seen.get("/api" + path, [])]


@pytest.mark.parametrize(("method", "retried"), [("PUT", True), ("DELETE", True), ("PATCH", False)])
async def test_only_idempotent_methods_are_retried(api: str, method: str, retried: bool) -> None:
    Scripted.script["/api/x"] = [busy(429)]
    client = UpstreamClient(api, None, max_body_bytes=10_000)
    try:
        response = await client.send(UpstreamRequest(method, "/x"))
    finally:
        await client.aclose()
    assert len(arrivals("/x")) == (2 if retried else 1)
    assert response.status == (200 if retried else 429)
    if not retried:
        assert f"not retried: a {method} may already have taken effect" in response.retry_note()


async def test_a_retry_after_as_an_http_date_is_obeyed(api: str) -> None:
    when = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    Scripted.script["/api/x"] = [busy(503, format_datetime(when, usegmt=True))]
    client = UpstreamClient(api, None, max_body_bytes=10_000)
    try:
        response = await client.send(UpstreamRequest("GET", "/x"))
    finally:
        await client.aclose()
    first, second = arrivals("/x")
    assert response.status == 200
    assert time.time() >= when.timestamp() - 0.1  # not retried before the date
    assert second - first >= 0.9  # the date is 1-2 s ahead in whole seconds


async def test_every_retry_counts_against_the_daily_budget(api: str) -> None:
    Scripted.script["/api/x"] = [busy(503)] * 5
    budget = RequestBudget(2)
    client = UpstreamClient(api, None, max_body_bytes=10_000, budget=budget)
    try:
        response = await client.send(UpstreamRequest("GET", "/x"))
    finally:
        await client.aclose()
    assert len(arrivals("/x")) == 2  # the third attempt found the budget spent
    assert budget.status()["daily_requests_used"] == 2
    assert response.status == 503
    assert response.retry is not None
    assert response.retry.gave_up is GiveUp.BUDGET_USED
    assert "OZON_MCP_DAILY_REQUEST_BUDGET" in response.retry_note()


async def test_each_attempt_has_its_own_read_deadline(api: str) -> None:
    # Two answers of 1 s each: 2 s in all, past a 1.5 s deadline that applied to the whole call.
    Scripted.script["/api/x"] = [busy(503, delay=1.0), (1.0, 200, {})]
    client = UpstreamClient(api, None, max_body_bytes=10_000, read_deadline=1.5)
    try:
        response = await client.send(UpstreamRequest("GET", "/x"))
    finally:
        await client.aclose()
    assert response.status == 200
    assert response.retry is not None
    assert response.retry.attempts == 2
    assert "sent this request 2 times" in response.retry_note()


async def test_cancelling_the_call_stops_a_retry_wait_at_once(api: str) -> None:
    Scripted.script["/api/x"] = [busy(503, "9")]  # within the 10 s budget: waited
    client = UpstreamClient(api, None, max_body_bytes=10_000)
    started = time.monotonic()
    try:
        with anyio.move_on_after(0.5) as scope:
            await client.send(UpstreamRequest("GET", "/x"))
    finally:
        await client.aclose()
    assert scope.cancelled_caught
    assert time.monotonic() - started < 3
    assert len(arrivals("/x")) == 1


async def test_a_retry_after_past_the_budget_is_answered_at_once(api: str) -> None:
    Scripted.script["/api/x"] = [busy(429, "11")]
    client = UpstreamClient(api, None, max_body_bytes=10_000)
    started = time.monotonic()
    try:
        response = await client.send(UpstreamRequest("GET", "/x"))
    finally:
        await client.aclose()
    assert time.monotonic() - started < 3
    assert response.status == 429
    assert len(arrivals("/x")) == 1
    assert "retry after 11 s" in response.retry_note()
