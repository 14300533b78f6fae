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
        pending = bytearray()
        try:
            while chunk := self._read():
                searched = len(pending)  # a long line arrives in many chunks: scan each once
                pending += chunk
                while (end := pending.find(b"\n", searched)) >= 0:
                    line = pending[: end + 1].decode(self._encoding, errors="replace")
                    del pending[: end + 1]
                    searched = 0
                    anyio.from_thread.run(self._send.send, line, token=token)
            if pending:  # a last line without a newline
                text = pending.decode(self._encoding, errors="replace")
                anyio.from_thread.run(self._send.send, text, token=token)
        except (RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return  # the event loop or the reader is gone: nobody is listening any more
        with contextlib.suppress(RuntimeError):
            anyio.from_thread.run_sync(self._send.close, token=token)

    def _read(self) -> bytes:
        try:
            return os.read(self._fd, 65536)
        except OSError:
            return b""  # stdin closed under us: the same as the end of input
