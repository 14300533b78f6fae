"""Reading the stdio wire on a daemon thread, so that Ctrl-C never waits for the next line.

The SDK's `stdio_server()` reads stdin in an anyio worker thread that cannot be cancelled and
that the interpreter joins at exit: after Ctrl-C the server would hang until the client sent
another line or closed stdin. Here a daemon thread reads the lines and hands them to the event
loop one at a time; cancelling the reader returns at once and an exit never waits for it. The
thread reads the file descriptor with `os.read`, never through `sys.stdin`: a daemon thread
blocked inside a buffered reader's lock aborts the interpreter at shutdown.
"""

from __future__ import annotations

import contextlib
import os
import threading

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream


class LineSplitter:
    """The decoded lines in a stream of byte chunks, each with its `\\n`; invalid UTF-8 is
    replaced, never fatal."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self._encoding = encoding
        self._pending = bytearray()

    def feed(self, chunk: bytes) -> list[str]:
        """The lines that `chunk` completes."""
        searched = len(self._pending)  # a long line arrives in many chunks: scan each once
        self._pending += chunk
        lines: list[str] = []
        start = 0
        while (end := self._pending.find(b"\n", searched)) >= 0:
            lines.append(self._pending[start : end + 1].decode(self._encoding, "replace"))
            start = searched = end + 1
        del self._pending[:start]
        return lines

    def finish(self) -> str | None:
        """At the end of the stream: its last line if it lacks a newline, else None."""
        if not self._pending:
            return None
        last = self._pending.decode(self._encoding, "replace")
        self._pending.clear()
        return last


class DaemonLineReader:
    """An async iterator over the decoded lines of a file descriptor, read on a daemon thread."""

    def __init__(self, fd: int, *, encoding: str = "utf-8") -> None:
        self._fd = fd
        self._encoding = encoding
        self._send: MemoryObjectSendStream[str]
        self._receive: MemoryObjectReceiveStream[str]
        self._send, self._receive = anyio.create_memory_object_stream[str](0)
        self._thread: threading.Thread | None = None

    def __aiter__(self) -> DaemonLineReader:
        return self

    async def __anext__(self) -> str:
        if self._thread is None:
            token = anyio.lowlevel.current_token()
            self._thread = threading.Thread(
                target=self._pump, args=(token,), name="ozon-mcp stdin", daemon=True
            )
            self._thread.start()
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    def _pump(self, token: anyio.lowlevel.EventLoopToken) -> None:
        lines = LineSplitter(self._encoding)
        try:
            while chunk := self._read():
                for line in lines.feed(chunk):
                    anyio.from_thread.run(self._send.send, line, token=token)
            last = lines.finish()
            if last is not None:
                anyio.from_thread.run(self._send.send, last, token=token)
        except (RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return  # the event loop or the reader is gone: nobody is listening any more
        with contextlib.suppress(RuntimeError):
            anyio.from_thread.run_sync(self._send.close, token=token)

    def _read(self) -> bytes:
        try:
            return os.read(self._fd, 65536)
        except OSError:
            return b""  # stdin closed under us: the same as the end of input
