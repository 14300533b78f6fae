"""Support for the fault matrix: the table in docs/reliability.md, a TCP/TLS forwarder, and a
harness that runs one row against the real container over an in-memory MCP session.

- `load_matrix()`: the rows of the fault table in docs/reliability.md (the test asserts them).
- `TcpForwarder`: listens on a loopback port (plain or TLS with a swappable certificate) and
  pipes every connection to the emulator; not listening = connection refused.
- `Harness`: the emulator, an optional forwarder, settings and container overrides for one row.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx2
from dependency_injector import providers
from mcp.types import CallToolResult
from mcp_support import McpSession, emulator_settings, free_port

from ozon_mcp.adapters.emulator import TOKEN_PATH, EmulatorHandle
from ozon_mcp.adapters.mcp.upstream import UpstreamClient, read_limit_for
from ozon_mcp.app.container import Container
from ozon_mcp.domain.retry import RetryPolicy

RELIABILITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
START, END = "<!-- fault-matrix:start -->", "<!-- fault-matrix:end -->"

# The production schedule (OAUTH_MAX_RETRIES=3: four attempts per cycle) with its waits scaled
# down so that a row takes about a second; the counts in the table do not depend on the waits.
COOL_DOWN = 1.0
MATRIX_RETRY = RetryPolicy(
    base=0.02, cap=0.05, max_retries=3, exhausted_cooldown=COOL_DOWN, permanent_cooldown=COOL_DOWN
)
TOKEN_READ_TIMEOUT = 0.5  # the token client's read timeout in the timeout rows (default 10 s)
API_TIMEOUT = 1.0  # the API client's timeout in the timeout rows (default 30 s)


@dataclass(frozen=True)
class Count:
    """An expected number of requests: `low` to `high` inclusive ("3", "≤ 3" or "2–4")."""

    low: int
    high: int

    @classmethod
    def parse(cls, cell: str) -> Count:
        text = cell.strip().replace("≤", "<=").replace("–", "-")
        if text.startswith("<="):
            return cls(0, int(text[2:].strip()))
        if "-" in text:
            low, high = text.split("-", 1)
            return cls(int(low), int(high))
        return cls(int(text), int(text))

    def admits(self, observed: int) -> bool:
        return self.low <= observed <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Row:
    """One row of the fault table."""

    row_id: str
    fault: str
    outcome: str  # "error" or "result"
    fragments: tuple[str, ...]  # text the caller must see (each fragment)
    token_requests: Count
    api_requests: Count
    recovery: str  # "at once", "after the cool-down" / "the Retry-After" / "the back-off"
    awaits_other_branch: bool = False  # marked † ‡ §: the behaviour comes with another branch

    @property
    def waits_for_cool_down(self) -> bool:
        return "cool-down" in self.recovery


def load_matrix(path: Path = RELIABILITY_DOC) -> list[Row]:
    """Parse the markdown table between the fault-matrix markers of docs/reliability.md."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(START), text.index(END)
    lines = [line.strip() for line in text[start:end].splitlines() if line.strip().startswith("|")]
    rows = []
    for line in lines[2:]:  # header and separator
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != 6:
            raise ValueError(f"a fault-matrix row needs 6 cells, got {len(cells)}: {line}")
        row_id, fault, sees, tokens, api, recovery = cells
        outcome = sees.split(":", 1)[0].split()[0].strip("*").lower()
        if outcome not in {"error", "result"}:
            raise ValueError(f"'caller sees' must start with error or result: {line}")
        rows.append(
            Row(
                row_id=re.sub(r"[`†‡§\s]", "", row_id),
                awaits_other_branch=any(mark in row_id for mark in "†‡§"),
                fault=fault,
                outcome=outcome,
                fragments=tuple(re.findall(r"`([^`]+)`", sees)),
                token_requests=Count.parse(tokens),
                api_requests=Count.parse(api),
                recovery=recovery.lower(),
            )
        )
    return rows


class TcpForwarder:
    """A loopback listener that pipes each connection to `target_port`, plain or over TLS.

    `listen(ssl_context)` (re)opens the port with that server context, `close()` stops
    listening (connection refused), `stop()` ends everything.
    """

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def listen(self, ssl_context: ssl.SSLContext | None = None) -> None:
        asyncio.run_coroutine_threadsafe(self._listen(ssl_context), self._loop).result(5)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _listen(self, ssl_context: ssl.SSLContext | None) -> None:
        await self._close()
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, ssl=ssl_context
        )

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _shutdown(self) -> None:
        await self._close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()


@dataclass
class Harness:
    """Everything one row runs against; `container()` builds the product for it."""

    emulator: EmulatorHandle
    forwarder: TcpForwarder | None = None
    token_via_forwarder: str | None = None  # "http" or "https": the token URL uses the forwarder
    api_via_forwarder: bool = False
    token_read_timeout: float | None = None
    api_timeout: float | None = None
    tls_trust: ssl.SSLContext | None = None
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def forward(self) -> TcpForwarder:
        if self.forwarder is None:
            self.forwarder = TcpForwarder(self.emulator.port)
        return self.forwarder

    def container(self) -> Container:
        overrides = dict(self.settings_overrides)
        if self.token_via_forwarder:
            overrides["oauth_token_url"] = self.forward().url(self.token_via_forwarder) + (
                TOKEN_PATH
            )
        if self.api_via_forwarder:
            overrides["api_base_url"] = self.forward().url()
        settings = emulator_settings(self.emulator, **overrides)
        container = Container(settings=settings)
        container.retry_policy.override(providers.Object(MATRIX_RETRY))
        if self.tls_trust is not None:
            container.tls_context.override(providers.Object(self.tls_trust))
        if self.token_read_timeout is not None:
            config = container.endpoint_config()
            container.endpoint_config.override(
                providers.Object(replace(config, read_timeout=self.token_read_timeout))
            )
        if self.api_timeout is not None:
            container.upstream.override(
                providers.Singleton(
                    UpstreamClient,
                    settings.api_base_url,
                    container.auth,
                    max_body_bytes=read_limit_for(settings.ozon_mcp_max_response_bytes),
                    timeout=httpx2.Timeout(self.api_timeout),
                    tls=container.tls_context,
                )
            )
        return container

    def close(self) -> None:
        if self.forwarder is not None:
            self.forwarder.stop()


Act = Callable[[Harness, McpSession], Awaitable[list[CallToolResult]]]
Step = Callable[[Harness], None]
