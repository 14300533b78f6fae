"""Every rendering path stays within OZON_MCP_MAX_RESPONSE_BYTES; reading stops at the cap and
inflates off the event loop, never past the cap."""

from __future__ import annotations

import gzip
import io
import json
import threading
import zipfile
import zlib
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozon_mcp.adapters.mcp import body_reading
from ozon_mcp.adapters.mcp.body_reading import UnsupportedEncoding, read_capped
from ozon_mcp.adapters.mcp.upstream import MAX_READ_BYTES, read_limit_for
from ozon_mcp.adapters.openapi import render_response
from ozon_mcp.app.settings import SettingsError, load_settings

NOTE_ROOM = 600  # truncation notes come on top of the limit, bounded


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_with_many_members_stays_within_the_limit() -> None:
    # Was 4.3 MB for a 100 KB limit: the listing and one line per member were never counted.
    members = {f"report-{i:05d}-{'n' * 40}.csv": b"a;b\n1;2\n" for i in range(20_000)}
    body = zipped(members)
    result = render_response(200, "application/zip", body, limit_bytes=100_000, operation="R")
    size = len(result.text.encode())
    assert size <= 100_000 + NOTE_ROOM, size
    assert "with 20000 files" in result.text
    assert "more (not listed: the size limit)" in result.text
    assert "more text files not shown: the size limit was reached" in result.text


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["json", "text", "zip", "error-json", "error-html", "binary"]),
    limit=st.integers(min_value=1_000, max_value=20_000),
    size=st.integers(min_value=0, max_value=200_000),
    members=st.integers(min_value=1, max_value=300),
)
def test_every_rendering_path_respects_the_limit(
    kind: str, limit: int, size: int, members: int
) -> None:
    filler = "é" * (size // 2)
    if kind == "json":
        body, content_type, status = json.dumps({"x": filler}).encode(), "application/json", 200
    elif kind == "text":
        body, content_type, status = filler.encode(), "text/csv", 200
    elif kind == "zip":
        files = {f"{'n' * 60}{i}.csv": filler[: size // members].encode() for i in range(members)}
        body, content_type, status = zipped(files), "application/zip", 200
    elif kind == "error-json":
        body, content_type, status = json.dumps({"message": filler}).encode(), None, 500
    elif kind == "error-html":
        body, content_type, status = f"<html>{filler}</html>".encode(), "text/html", 502
    else:
        body, content_type, status = b"\x00" * size, "image/png", 200
    result = render_response(status, content_type, body, limit_bytes=limit, operation="Op")
    assert len(result.text.encode()) <= limit + NOTE_ROOM


async def chunks_of(data: bytes, consumed: list[int], size: int = 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        consumed.append(start)
        yield data[start : start + size]


@pytest.mark.anyio
async def test_reading_stops_at_the_cap_instead_of_reading_on() -> None:
    consumed: list[int] = []
    read = await read_capped(chunks_of(b"x" * 1_000_000, consumed), None, cap=10_000)
    assert len(read.body) == 10_001
    assert not read.complete
    assert len(consumed) <= 11  # ~10 KB of a 1 MB body, not all of it


@pytest.mark.anyio
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "x-gzip"])
async def test_a_compression_bomb_is_inflated_off_the_loop_and_only_up_to_the_cap(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = b"\x00" * 50_000_000
    data = gzip.compress(plain) if "gzip" in encoding else zlib.compress(plain)
    assert len(data) < 100_000
    loop_thread = threading.get_ident()
    feeding_threads: set[int] = set()
    real_feed = body_reading.Inflater.feed

    def feed(self: body_reading.Inflater, chunk: bytes, room: int) -> bytes:
        feeding_threads.add(threading.get_ident())
        out = real_feed(self, chunk, room)
        assert len(out) <= room
        return out

    monkeypatch.setattr(body_reading.Inflater, "feed", feed)
    consumed: list[int] = []
    read = await read_capped(chunks_of(data, consumed, 4096), encoding, cap=100_000)
    assert len(read.body) == 100_001
    assert not read.complete
    assert feeding_threads
    assert loop_thread not in feeding_threads
    assert len(consumed) < len(data) // 4096  # stopped early in the compressed stream too


@pytest.mark.anyio
async def test_a_small_compressed_answer_is_read_whole() -> None:
    data = gzip.compress(b'{"ok": true}')
    read = await read_capped(chunks_of(data, [], 5), "gzip", cap=1000)
    assert (read.body, read.complete) == (b'{"ok": true}', True)
    raw_deflate = zlib.compressobj(wbits=-15)
    deflated = raw_deflate.compress(b"abc" * 100) + raw_deflate.flush()
    read = await read_capped(chunks_of(deflated, []), "deflate", cap=1000)
    assert read.body == b"abc" * 100


@pytest.mark.anyio
async def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(UnsupportedEncoding):
        await read_capped(chunks_of(b"abc", []), "br", cap=10)


def test_the_response_limit_has_a_ceiling_and_the_read_limit_is_bounded() -> None:
    with pytest.raises(SettingsError, match="OZON_MCP_MAX_RESPONSE_BYTES"):
        load_settings({"ozon_mcp_max_response_bytes": 10**12, "oauth_client_id": "x"})
    assert read_limit_for(10_000_000) == MAX_READ_BYTES
    assert read_limit_for(100_000) == 16 * 1024 * 1024
