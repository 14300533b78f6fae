"""`ozon-mcp serve` as a real subprocess against an in-test emulator: over stdio (the SDK client,
and raw JSON-RPC lines to prove stdout carries nothing else) and over streamable HTTP (with
DNS-rebinding protection); each process must end cleanly."""

from __future__ import annotations

import json
import logging
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import INVALID_PARAMS
from mcp_support import SERVE, free_port, raw_handshake, result_text, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorHandle

# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True
STARTUP_LIMIT = 30.0  # seconds; imports are slow on a busy 2-core machine
MCP_ACCEPT = "application/json, text/event-stream"


def serve_env(emulator: EmulatorHandle) -> dict[str, str]:
    return subprocess_env({**emulator.env(), "LOG_LEVEL": "INFO"})


def assert_clean_stderr(stderr: str) -> None:
    assert "serving 40 tools" in stderr, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-4000:]


@pytest.mark.anyio
async def test_stdio_serve_with_the_sdk_client(
    emulator: EmulatorHandle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    params = StdioServerParameters(
        command=SERVE[0], args=SERVE[1:], env=serve_env(emulator), cwd=tmp_path
    )
    stderr_path = tmp_path / "stderr.log"
    caplog.set_level(logging.WARNING, logger="mcp")
    with stderr_path.open("w", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            tools = (await client.list_tools()).tools
            limits = await client.call_tool("GetLimitsList", {})
            campaigns = await client.call_tool("ListCampaigns", {"campaignIds": ["1"], "page": 1})
            invalid = await client.call_tool("ListCampaigns", {"page": "one"})
            status = await client.call_tool("auth_status", {})
            with pytest.raises(MCPError) as unknown:
                await client.call_tool("NoSuchOperation", {})
    assert len(tools) == 42  # 40 operations + auth_status + get_campaign_statistics
    assert unknown.value.code == INVALID_PARAMS
    assert "Unknown tool: NoSuchOperation" in unknown.value.message
    assert not limits.is_error
    assert "limits" in (limits.structured_content or {})
    assert not campaigns.is_error, result_text(campaigns)
    assert invalid.is_error
    assert "'page'" in result_text(invalid)
    assert (status.structured_content or {}).get("state") == "valid"
    queries = [r.query for r in emulator.control.requests if r.operation_id == "ListCampaigns"]
    assert queries == ["campaignIds=1&page=1"]
    # The SDK logs (and hands the session) every stdout line that is not JSON-RPC.
    assert not [r for r in caplog.records if "parse" in r.getMessage().lower()]
    assert_clean_stderr(stderr_path.read_text(encoding="utf-8"))


class LineReader:
    """Reads a child's stdout lines on a thread, so a test can wait with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def next_line(self, timeout: float = STARTUP_LIMIT) -> str | None:
        return self.lines.get(timeout=timeout)

    def rest(self, timeout: float = 10.0) -> list[str]:
        self._thread.join(timeout)
        remaining = []
        while not self.lines.empty():
            line = self.lines.get_nowait()
            if line is not None:
                remaining.append(line)
        return remaining


@contextmanager
def child(args: list[str], env: dict[str, str], cwd: Path, stderr: IO[str]) -> Iterator[Any]:
    """A child process that is always gone when the block ends."""
    process = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
        cwd=cwd,
        text=True,
        encoding="utf-8",
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("ending", ["eof", "ctrl-c"])
def test_stdio_stdout_carries_only_protocol_and_the_server_exits_cleanly(
    emulator: EmulatorHandle, tmp_path: Path, ending: str
) -> None:
    """Raw JSON-RPC with the 2025-11-25 handshake, as a client on an older SDK would speak;
    then the client goes away (stdin closed) or the user presses Ctrl-C."""
    stderr_path = tmp_path / "stderr.log"
    requests = [
        *raw_handshake("raw-test"),
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "GetLimitsList", "arguments": {}},
        },
    ]
    answers: dict[int, dict[str, Any]] = {}
    with (
        stderr_path.open("w", encoding="utf-8") as errlog,
        child(SERVE, serve_env(emulator), tmp_path, errlog) as process,
    ):
        reader = LineReader(process.stdout)
        for request in requests:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            if "id" not in request:
                continue
            while request["id"] not in answers:
                line = reader.next_line()
                assert line is not None, "the server closed stdout early"
                message = json.loads(line)  # anything but JSON-RPC on stdout fails here
                assert message["jsonrpc"] == "2.0"
                if "id" in message:
                    answers[message["id"]] = message
        if ending == "eof":
            process.stdin.close()  # the client goes away: the server must exit by itself
        else:
            process.send_signal(signal.SIGINT)  # with stdin still open and idle
        exit_code = process.wait(15)
        for line in reader.rest():
            assert json.loads(line)["jsonrpc"] == "2.0"
    assert exit_code == 0
    assert answers[1]["result"]["serverInfo"]["name"] == "ozon-mcp"
    assert len(answers[2]["result"]["tools"]) == 42
    call = answers[3]["result"]
    assert call["isError"] is False
    assert "limits" in call["structuredContent"]
    stderr = stderr_path.read_text(encoding="utf-8")
    assert_clean_stderr(stderr)
    if ending == "ctrl-c":
        assert "shut down cleanly" in stderr


def wait_for_port(port: int, process: subprocess.Popen[str], stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited early ({process.returncode}): {stderr_path.read_text()}")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"serve did not listen on {port} within {STARTUP_LIMIT} s")


@contextmanager
def http_serve(env: dict[str, str], cwd: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """`ozon-mcp serve --transport http` on a free port, already listening when the block starts,
    its stderr in `cwd`/stderr.log; yields (process, port, stderr path); always gone after."""
    port = free_port()
    stderr_path = cwd / "stderr.log"
    args = [*SERVE, "--transport", "http", "--port", str(port)]
    with (
        stderr_path.open("w", encoding="utf-8") as errlog,
        child(args, env, cwd, errlog) as process,
    ):
        wait_for_port(port, process, stderr_path)
        yield process, port, stderr_path


@pytest.mark.anyio
async def test_streamable_http_serve_with_dns_rebinding_protection(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    with http_serve(serve_env(emulator), tmp_path) as (process, port, stderr_path):
        url = f"http://127.0.0.1:{port}/mcp"
        async with Client(url) as client:
            tools = (await client.list_tools()).tools
            limits = await client.call_tool("GetLimitsList", {})
        async with Client(url, mode="legacy") as client:
            objects = await client.call_tool("ListCampaignObjects", {"campaignId": "9"})
        async with httpx2.AsyncClient() as raw:
            headers = {"Accept": MCP_ACCEPT, "Content-Type": "application/json"}
            rebound = await raw.post(url, json={}, headers={**headers, "Host": "evil.example"})
            foreign = await raw.post(
                url, json={}, headers={**headers, "Origin": "http://evil.example"}
            )
        process.send_signal(signal.SIGINT)  # Ctrl-C
        exit_code = process.wait(15)
    assert len(tools) == 42
    assert not limits.is_error, result_text(limits)
    assert not objects.is_error, result_text(objects)
    assert rebound.status_code == 421
    assert foreign.status_code == 403
    assert exit_code == 0
    stderr = stderr_path.read_text(encoding="utf-8")
    assert_clean_stderr(stderr)
    assert f"http://127.0.0.1:{port}/mcp" in stderr
