"""A minimal MCP client over stdio: raw newline-delimited JSON-RPC, the same for every server.

Using raw JSON-RPC keeps the client's own cost small and identical across contenders, gives the
exact size of each answer on the wire (M4) and the server's pid (M3).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
from typing import Any

PROTOCOL_VERSION = "2025-11-25"
_LINE_LIMIT = 64 * 1024 * 1024
_CLOSE_TIMEOUT = 5.0
# The product's settings in the caller's environment (a developer's OAUTH_* or OZON_MCP_*) are
# not passed on: every server runs with the benchmark's settings only.
_SETTINGS_PREFIXES = (
    "OAUTH_",
    "OZON_MCP_",
    "OPENAPI_",
    "API_BASE_URL",
    "TOKEN_CACHE",
    "REDIS_URL",
    "MCP_HTTP_",
    "LOG_",
)


def child_environment(overrides: dict[str, str]) -> dict[str, str]:
    """This process's environment without the product's settings, plus `overrides`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_SETTINGS_PREFIXES)}
    return {**inherited, **overrides}


class RpcError(RuntimeError):
    """The server answered a request with a JSON-RPC error."""


class StdioSession:
    """One server process and the requests in flight to it."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        self._argv, self._env, self._cwd = argv, env, cwd
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[tuple[dict[str, Any], int]]] = {}
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def start(self) -> None:
        """Spawn the server; its stderr is discarded."""
        self._process = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=child_environment(self._env),
            cwd=self._cwd,
            limit=_LINE_LIMIT,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            message = json.loads(line)
            waiter = self._pending.pop(message.get("id"), None) if "id" in message else None
            if waiter is not None and not waiter.done():
                waiter.set_result((message, len(line)))
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(RpcError("the server closed its stdout"))

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\n")
        await self._process.stdin.drain()

    async def request(self, method: str, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Send a request; the result and the byte size of the answer line."""
        request_id = next(self._ids)
        waiter = asyncio.get_running_loop().create_future()
        self._pending[request_id] = waiter
        await self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        message, size = await waiter
        if "error" in message:
            raise RpcError(f"{method}: {message['error']}")
        return message["result"], size

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        await self._send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    async def initialize(self) -> None:
        """The handshake: initialize, then notifications/initialized."""
        await self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "ozon-mcp-bench", "version": "1"},
            },
        )
        await self.notify("notifications/initialized")

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> bool:
        """Call a tool; True when the result is not an error."""
        result, _ = await self.request("tools/call", {"name": name, "arguments": arguments})
        return not result.get("isError", False)

    async def close(self) -> None:
        """Close stdin and wait for the server to exit (kill it after 5 s)."""
        process = self._process
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), _CLOSE_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
