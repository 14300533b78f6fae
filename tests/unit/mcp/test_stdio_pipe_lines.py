"""Splitting the stdio wire into lines however the pipe chunks it (an in-memory StreamReader;
the pipes themselves are exercised in tests/contract/test_stdio_pipes.py)."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.mcp.stdio_pipes import READ_CHUNK, PipeLines

messages = st.lists(
    st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=["Cs"])),
    max_size=8,
)


def _lines(chunks: list[bytes]) -> list[str]:
    async def collect() -> list[str]:
        reader = asyncio.StreamReader()
        for chunk in chunks:
            reader.feed_data(chunk)
        reader.feed_eof()
        return [line async for line in PipeLines(reader)]

    return asyncio.run(collect())


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@given(messages, st.lists(st.integers(min_value=0, max_value=400), max_size=12), st.booleans())
def test_every_line_comes_out_whole_whatever_the_chunking(
    texts: list[str], cuts: list[int], last_newline: bool
) -> None:
    wire = "".join(f"{text}\n" for text in texts)
    if not last_newline and texts:
        wire = wire[:-1]
    # Only "\n" ends a line (str.splitlines would also split at \x1e, \u2028...).
    expected = [f"{part}\n" for part in wire.split("\n")]
    expected[-1] = expected[-1][:-1]
    expected = [line for line in expected if line]
    assert _lines(_cut(wire.encode(), cuts)) == expected


def test_a_line_longer_than_a_read_is_one_line() -> None:
    long = "x" * (3 * READ_CHUNK + 17)
    assert _lines([f"{long}\nnext\n".encode()]) == [f"{long}\n", "next\n"]


def test_a_utf8_character_split_between_chunks_decodes() -> None:
    data = '{"title":"Баннер"}\n'.encode()
    middle = data.index("Б".encode()) + 1  # inside the two bytes of "Б"
    assert _lines([data[:middle], data[middle:]]) == ['{"title":"Баннер"}\n']


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert _lines([b"ok\n\xff\xfe\n"]) == ["ok\n", "\ufffd\ufffd\n"]


def test_no_input_gives_no_line() -> None:
    assert _lines([]) == []
