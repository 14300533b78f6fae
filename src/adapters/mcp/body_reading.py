"""Reading an upstream answer within a byte cap and a deadline, off the event loop where it costs.

The body is read raw and decoded here (not by the HTTP client) so that a `Content-Encoding:
gzip` or `deflate` answer is inflated in a worker thread and never past the cap: a gzip bomb
costs at most the cap in memory and no event-loop time. Reading stops as soon as the cap is
passed (the connection is dropped, the rest never downloaded), and the whole body must arrive
before the deadline, so a server trickling one byte per read timeout cannot hold a call.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
import anyio.to_thread

ACCEPT_ENCODING = "gzip, deflate"  # what `Inflater` can decode within a cap


class UnsupportedEncoding(Exception):
    """The answer uses a Content-Encoding this reader cannot decode within a cap."""


class Inflater:
    """Incremental gzip/deflate decoding that never produces more than it is allowed to."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._inflate = zlib.decompressobj()
        else:
            raise UnsupportedEncoding(encoding)
        self._first = True
        self.saturated = False  # more output was pending than the room allowed

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode `data`, returning at most `room` bytes (`saturated` when more was pending)."""
        try:
            out = self._inflate.decompress(data, max(room, 1))
        except zlib.error:
            if not (self._first and self.encoding == "deflate"):
                raise
            # Servers send raw deflate without the zlib header surprisingly often.
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._inflate.decompress(data, max(room, 1))
        self._first = False
        if self._inflate.unconsumed_tail or len(out) > room:
            self.saturated = True
        return out[:room]


def inflater_for(content_encoding: str | None) -> Inflater | None:
    """The decoder for a Content-Encoding header; None for identity (or none)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise UnsupportedEncoding(", ".join(codings))
    return Inflater(codings[0])


@dataclass(frozen=True)
class BodyRead:
    """What was read: at most cap + 1 bytes, and whether that was the whole body."""

    body: bytes
    complete: bool


async def read_capped(
    raw_chunks: AsyncIterator[bytes], content_encoding: str | None, cap: int
) -> BodyRead:
    """Read and decode until the end or until more than `cap` bytes; raises
    `UnsupportedEncoding`, `zlib.error` (a corrupt stream) or the iterator's errors.

    The caller sets the deadline around this call.
    """
    inflater = inflater_for(content_encoding)
    limit = cap + 1
    chunks: list[bytes] = []
    kept = 0
    async for raw in raw_chunks:
        room = limit - kept
        if inflater is None:
            data = raw[:room]
            over = len(raw) > room
        else:
            data = await anyio.to_thread.run_sync(inflater.feed, raw, room)
            over = inflater.saturated
        chunks.append(data)
        kept += len(data)
        if over or kept >= limit:
            return BodyRead(b"".join(chunks), complete=False)
    return BodyRead(b"".join(chunks), complete=True)
