"""Helpers for the MCP and CLI contract tests.

- `emulator_settings(emulator, **overrides)`: `Settings` pointing the product at an emulator
  (never reads a `.env` file).
- `mcp_session(settings, mode=...)`: the real `Container`'s server driven by an in-memory mcp
  `Client`; every result is kept so a test can check that none of them leaks a secret.
- `recording_upstream()`: a loopback HTTP server that records every request byte for byte
  (the emulator's request log has no bodies) and answers `{"ok": true}`.
- `free_port()`, `closed_port_url()`, `subprocess_env(...)`, `result_text(...)`.
- `effective_hints(annotations)`: a tool's hints as an MCP client reads them (MCP's defaults
  for those left out).
- `run_cli(args, cwd, env)`: `python -m ozon_mcp.app.cli ARGS` as a user runs it;
  `run_captured(command, cwd, env, timeout=...)`: any command the same way, with a raw env.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mcp import Client
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import SecretStr

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.app.container import Container, container_open
from ozon_mcp.app.settings import Settings

# Environment variables a child process may inherit; everything else (OAUTH_*, API_BASE_URL,
# a developer's LOG_LEVEL ...) is passed explicitly by each test.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP")


def emulator_settings(emulator: EmulatorHandle, **overrides: Any) -> Settings:
    """Settings that point the product at `emulator`; `overrides` are Settings fields."""
    values: dict[str, Any] = {
        "oauth_client_id": emulator.config.client_id,
        "oauth_client_secret": SecretStr(emulator.config.secret_value),
        "oauth_token_url": emulator.token_url,
        "api_base_url": emulator.base_url,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# MCP's defaults for a hint a tool leaves out (ToolAnnotations in the MCP specification),
# written out here so that a wrong default in the code under test cannot hide itself.
MCP_HINT_DEFAULTS = {
    "readOnlyHint": False,
    "destructiveHint": True,
    "idempotentHint": False,
    "openWorldHint": True,
}


def effective_hints(annotations: ToolAnnotations | None) -> dict[str, bool]:
    """The hints of a listed tool as an MCP client reads them: each value given, else MCP's
    default; destructive/idempotent only for a tool that is not read-only (MCP defines them
    for writes only)."""
    given = annotations.model_dump(by_alias=True, exclude_none=True) if annotations else {}
    effective = {
        name: bool(given.get(name, default)) for name, default in MCP_HINT_DEFAULTS.items()
    }
    if effective["readOnlyHint"]:
        del effective["destructiveHint"], effective["idempotentHint"]
    return effective


def result_text(result: CallToolResult) -> str:
    """All text blocks of a tool result, joined."""
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


@dataclass
class McpSession:
    """An in-memory MCP client on the real container, remembering every result it got."""

    client: Client
    container: Container
    results: list[CallToolResult] = field(default_factory=list)

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        result = await self.client.call_tool(name, arguments or {})
        self.results.append(result)
        return result

    def everything_shown(self) -> str:
        """Every text and structured content returned so far, as one string."""
        parts = []
        for result in self.results:
            parts.append(result_text(result))
            if result.structured_content is not None:
                parts.append(json.dumps(result.structured_content, ensure_ascii=False))
        return "\n".join(parts)


@asynccontextmanager
async def mcp_session(
    settings: Settings, *, mode: str = "auto", container: Container | None = None
) -> AsyncIterator[McpSession]:
    """Build the real container for `settings` (or use `container`), connect an in-memory
    client, and close the container's HTTP clients and token provider afterwards."""
    container = container or Container(settings=settings)
    async with container_open(container), Client(container.mcp_server(), mode=mode) as client:
        yield McpSession(client, container)


@dataclass(frozen=True)
class RecordedCall:
    """One request as the recording upstream received it (raw path, exact body bytes)."""

    method: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.raw_path).path

    def json(self) -> Any:
        return json.loads(self.body)


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the product's pooled client expects
    server: _RecordingServer

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.calls.append(
            RecordedCall(
                method=self.command,
                raw_path=self.path,
                query=parse_qsl(urlsplit(self.path).query, keep_blank_values=True),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
        )
        answer = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `calls`, not a log."""


class _RecordingServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.calls: list[RecordedCall] = []


@dataclass(frozen=True)
class RecordingUpstream:
    """A running recording server: where it listens and what it received."""

    base_url: str
    calls: list[RecordedCall]


@contextmanager
def recording_upstream() -> Iterator[RecordingUpstream]:
    """A loopback API that records every request and answers 200 `{"ok": true}`."""
    server = _RecordingServer()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield RecordingUpstream(f"http://{host}:{port}", server.calls)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def loopback_server(
    handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None
) -> Iterator[ThreadingHTTPServer]:
    """A threaded HTTP server (HTTPS with `tls`) for `handler` on a free loopback port; shut
    down and closed on the way out. Build URLs from `server.server_address[1]`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


SERVE = [sys.executable, "-m", "ozon_mcp.app.cli", "serve"]


def raw_handshake(client: str) -> list[dict[str, Any]]:
    """The first lines a raw stdio client writes: `initialize` (2025-11-25, id 1) and
    `notifications/initialized`."""
    return [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": client, "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]


@asynccontextmanager
async def stdio_serve(env: dict[str, str], stderr_path: Path) -> AsyncIterator[Client]:
    """A real `ozon-mcp serve` over stdio with exactly `env` (build it with `subprocess_env`),
    run in `stderr_path`'s folder, its stderr written to `stderr_path`; an SDK client to it."""
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=SERVE[0], args=SERVE[1:], env=env, cwd=stderr_path.parent
    )
    with stderr_path.open("w", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            yield client


def free_port() -> int:
    """A port nothing listens on right now (bind, read, release)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def closed_port_url() -> str:
    """An http:// URL on loopback where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}"


def subprocess_env(values: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a child `ozon-mcp`: PATH/HOME/... plus `values` only."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(values or {})
    return env


def run_captured(
    command: list[str], cwd: Path, env: dict[str, str], *, timeout: float
) -> subprocess.CompletedProcess[str]:
    """`command` in `cwd` with exactly `env`, no stdin, and its output captured as UTF-8 text;
    a non-zero exit is returned, not raised."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, *, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m ozon_mcp.app.cli ARGS` as a user runs it: `run_captured` with
    `subprocess_env(env)`."""
    command = [sys.executable, "-m", "ozon_mcp.app.cli", *args]
    return run_captured(command, cwd, subprocess_env(env), timeout=timeout)
