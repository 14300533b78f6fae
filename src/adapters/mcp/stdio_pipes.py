"""The stdio wire read and written by the event loop itself when stdin and stdout are pipes.

The SDK's `stdio_server()` hands every line it reads and every message it writes to a worker
thread (three thread hand-overs per tool call, a fifth of a small call's CPU). When the client
connects through pipes or sockets, as every MCP client does, the event loop can wait on the
descriptors directly: reads and writes never block it, Ctrl-C never waits for a thread, and a
slow reader of our stdout holds back only the writer (its buffer is drained before the next
message). Anything else (a terminal, a regular file, a loop without pipe support) falls back to
the daemon-thread reader and the SDK's own writer.

While serving, descriptor 1 points at stderr, as the SDK does when it claims stdout itself: a
stray `print()` or a C library writing to fd 1 cannot corrupt the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from collections import deque
from collections.abc import AsyncIterator
from typing import IO

from ozon_mcp.adapters.mcp.stdio_input import LineSplitter

log = logging.getLogger("ozon_mcp.stdio")

READ_CHUNK = 64 * 1024


def is_pipe(fd: int | None) -> bool:
    """True for a FIFO or a socket on a POSIX system: descriptors the event loop can watch
    (Windows keeps the SDK's threads)."""
    if fd is None or os.name != "posix":
        return False
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class PipeLines:
    """An async iterator over the decoded lines arriving on a pipe (the last may lack `\\n`)."""

    def __init__(self, reader: asyncio.StreamReader, *, encoding: str = "utf-8") -> None:
        self._reader = reader
        self._splitter = LineSplitter(encoding)
        self._lines: deque[str] = deque()
        self._ended = False

    def __aiter__(self) -> PipeLines:
        return self

    async def __anext__(self) -> str:
        while not self._lines:
            if self._ended:
                raise StopAsyncIteration
            chunk = await self._reader.read(READ_CHUNK)
            if chunk:
                self._lines.extend(self._splitter.feed(chunk))
            else:
                self._ended = True
                last = self._splitter.finish()
                if last is not None:
                    self._lines.append(last)
        return self._lines.popleft()


class PipeWriter:
    """The `write`/`flush` pair `stdio_server()` needs, over a non-blocking pipe transport."""

    def __init__(self, writer: asyncio.StreamWriter, *, encoding: str = "utf-8") -> None:
        self._writer = writer
        self._encoding = encoding

    async def write(self, text: str) -> None:
        """Queue `text` on the transport (never blocks)."""
        self._writer.write(text.encode(self._encoding))

    async def flush(self) -> None:
        """Wait only while the reader is behind (the transport's buffer is above its limit)."""
        await self._writer.drain()


def fileno(stream: IO[str]) -> int | None:
    """The descriptor behind a standard stream; None when it has none (a replaced stream)."""
    try:
        return stream.fileno()
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is an OSError
        return None


@contextlib.asynccontextmanager
async def pipe_stdin(fd: int | None = 0) -> AsyncIterator[PipeLines | None]:
    """Lines of `fd` read by the running asyncio loop; None when `fd` is not a pipe or the loop
    cannot watch it (then use a thread)."""
    if fd is None or not is_pipe(fd):
        yield None
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2 * READ_CHUNK, loop=loop)
    source = os.fdopen(fd, "rb", buffering=0, closefd=False)
    try:
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop), source
        )
    except (NotImplementedError, OSError, ValueError) as exc:
        log.debug("stdin is read by a thread: %s", exc)
        source.close()
        yield None
        return
    try:
        yield PipeLines(reader)
    finally:
        transport.close()
        with contextlib.suppress(OSError):
            os.set_blocking(fd, True)  # the descriptor is shared with whoever reads it next


@contextlib.asynccontextmanager
async def pipe_stdout(
    fd: int | None = 1, divert_to: int | None = 2
) -> AsyncIterator[PipeWriter | None]:
    """A writer of `fd` driven by the running asyncio loop, with `fd` itself pointing at
    `divert_to` while serving; None when `fd` is not a pipe or cannot be claimed."""
    if fd is None or divert_to is None or not is_pipe(fd):
        yield None
        return
    loop = asyncio.get_running_loop()
    try:
        wire_fd = os.dup(fd)  # the wire, private to this writer (close-on-exec)
    except OSError:
        yield None
        return
    sink: IO[bytes] = os.fdopen(wire_fd, "wb", buffering=0, closefd=False)
    try:
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, sink)
        os.dup2(divert_to, fd)
    except (NotImplementedError, OSError, ValueError) as exc:
        log.debug("stdout is written by the SDK's thread: %s", exc)
        sink.close()
        os.close(wire_fd)
        yield None
        return
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    try:
        yield PipeWriter(writer)
    finally:
        with contextlib.suppress(OSError, ConnectionError, RuntimeError):
            await writer.drain()  # what was answered reaches the client before we let go
        transport.close()
        with contextlib.suppress(OSError):
            os.set_blocking(wire_fd, True)
            os.dup2(wire_fd, fd)  # fd 1 is the wire again
        with contextlib.suppress(OSError):
            os.close(wire_fd)
