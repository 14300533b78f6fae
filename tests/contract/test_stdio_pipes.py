"""The stdio wire read and written by the event loop: real pipes and real files, in a child.

`ozon-mcp serve` uses `ozon_mcp.adapters.mcp.stdio_pipes` when stdin/stdout are pipes (every MCP
client) and falls back to threads otherwise; both paths are driven here end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp_support import SERVE, raw_handshake, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.mcp.stdio_input import DaemonLineReader

REQUESTS = [*raw_handshake("files"), {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]

# Echoes stdin upper-cased through the pipe writer; a stray write to fd 1 while serving must
# land on stderr, and fd 1 must be the wire again afterwards.
ECHO = """
import asyncio, os, sys
from ozon_mcp.adapters.mcp.stdio_pipes import fileno, pipe_stdin, pipe_stdout

async def main():
    async with pipe_stdin(fileno(sys.stdin)) as lines, pipe_stdout(1, 2) as out:
        sys.stderr.write(f"piped in={lines is not None} out={out is not None}\\n")
        sys.stderr.flush()
        if lines is None or out is None:
            return
        os.write(1, b"stray\\n")
        async for line in lines:
            await out.write(line.upper())
            await out.flush()
    os.write(1, b"after\\n")

asyncio.run(main())
"""


def _echo(stdin: bytes | None, **streams: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", ECHO],
        input=stdin,
        capture_output=not streams,
        timeout=60,
        check=True,
        env=subprocess_env(),
        **streams,  # type: ignore[arg-type]
    )


def test_pipes_carry_every_line_and_stray_fd1_writes_go_to_stderr() -> None:
    big = "é" * 400_000  # 800 KB: more than a pipe buffer, so the writer must wait for us
    wire = "".join(f"{text}\n" for text in ["one", big, "three"]) + "last without newline"
    done = _echo(wire.encode())
    assert done.stdout.decode() == wire.upper() + "after\n"
    assert b"piped in=True out=True" in done.stderr
    assert b"stray" in done.stderr
    assert b"stray" not in done.stdout


def test_a_file_on_stdout_is_left_to_the_sdk(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with out.open("wb") as sink:
        done = _echo(b"x\n", stdout=sink, stderr=subprocess.PIPE)
    assert b"piped in=True out=False" in done.stderr
    assert out.read_bytes() == b""  # nothing written by the pipe path


def test_serve_answers_through_the_sdk_writer_when_stdout_is_a_file(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """stdout is a regular file: the SDK's thread writes it; stdin stays a pipe until both
    answers are in (closing it earlier ends the session, as in every stdio server)."""
    stdout = tmp_path / "out.jsonl"
    with stdout.open("wb") as sink:
        process = subprocess.Popen(
            SERVE,
            stdin=subprocess.PIPE,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env=subprocess_env(emulator.env()),
            cwd=tmp_path,
        )
        assert process.stdin is not None
        try:
            for request in REQUESTS:
                process.stdin.write((json.dumps(request) + "\n").encode())
            process.stdin.flush()
            deadline = time.monotonic() + 60
            while len(_answers(stdout)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            process.stdin.close()
            assert process.wait(30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    answers = _answers(stdout)
    assert answers[1]["result"]["serverInfo"]["name"] == "ozon-mcp"
    assert len(answers[2]["result"]["tools"]) == 42


def _answers(path: Path) -> dict[int, Any]:
    text = path.read_text("utf-8")
    complete = text[: text.rfind("\n") + 1]  # a line being written is not an answer yet
    return {m["id"]: m for m in map(json.loads, complete.splitlines()) if "id" in m}


@pytest.mark.anyio
async def test_the_thread_reader_serves_a_regular_file(tmp_path: Path) -> None:
    """The fallback for stdin that is not a pipe (a terminal, a file)."""
    source = tmp_path / "in.txt"
    source.write_bytes("first\nсекунда\nlast".encode())
    with source.open("rb") as handle:
        lines = [line async for line in DaemonLineReader(handle.fileno())]
    assert lines == ["first\n", "секунда\n", "last"]


def test_a_client_that_stops_reading_ends_the_session_cleanly(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The client closes its end of our stdout and keeps sending: the broken pipe ends the
    session with exit 0 and one INFO line, not a traceback."""
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("w", encoding="utf-8") as errlog:
        process = subprocess.Popen(
            SERVE,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errlog,
            env=subprocess_env({**emulator.env(), "LOG_LEVEL": "INFO"}),
            cwd=tmp_path,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            process.stdin.write((json.dumps(REQUESTS[0]) + "\n").encode())
            process.stdin.flush()
            assert json.loads(process.stdout.readline())["id"] == 1
            process.stdout.close()  # the client stops reading
            for number in range(2, 7):
                listing = {"jsonrpc": "2.0", "id": number, "method": "tools/list"}
                try:
                    process.stdin.write((json.dumps(listing) + "\n").encode())
                    process.stdin.flush()
                except BrokenPipeError:
                    break  # the server is gone already
                time.sleep(0.05)
            assert process.wait(30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    stderr = stderr_path.read_text(encoding="utf-8")
    assert "the client closed the stdio connection" in stderr
    assert "Traceback" not in stderr
