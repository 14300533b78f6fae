"""Kept report resources are bounded in count and bytes; the CLI's choices match the engine's."""

from __future__ import annotations

import pytest
from mcp import MCPError, types

from ozon_mcp.adapters.mcp.resources import URI_PREFIX, ReportResources
from ozon_mcp.adapters.reports import GROUP_BY_VALUES, ReportKind
from ozon_mcp.app.report_command import GROUP_BY_CHOICES, KIND_CHOICES

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_oldest_go_first_when_the_count_is_exceeded() -> None:
    kept = ReportResources(max_count=2, max_bytes=1_000)
    first = kept.keep("a.csv", "a", "a,b\n1,2\n")
    second = kept.keep("b.csv", "b", "x\n")
    third = kept.keep("c.csv", "c", "y\n")
    assert first is not None and second is not None and third is not None  # noqa: PT018
    assert [r.uri for r in kept.listed()] == [second.uri, third.uri]
    assert kept.get(first.uri) is None
    assert third.uri.startswith(URI_PREFIX) and third.uri.endswith(".csv")  # noqa: PT018


def test_the_byte_bound_evicts_and_refuses_what_cannot_fit() -> None:
    kept = ReportResources(max_count=10, max_bytes=10)
    first = kept.keep("a", "a", "12345")
    second = kept.keep("b", "b", "678901")  # 11 bytes in all: the first goes
    assert first is not None and second is not None  # noqa: PT018
    assert [r.uri for r in kept.listed()] == [second.uri]
    assert kept.keep("c", "c", "x" * 11) is None
    assert [r.uri for r in kept.listed()] == [second.uri]  # nothing dropped for it
    listed = kept.listed()[0]
    assert (listed.size, listed.mime_type) == (6, "text/csv")


async def test_read_and_list_handlers() -> None:
    kept = ReportResources()
    stored = kept.keep("r.csv", "report", "h\nэ\n")
    assert stored is not None
    listed = await kept.list_resources(None, None)
    assert [r.uri for r in listed.resources] == [stored.uri]
    read = await kept.read_resource(None, types.ReadResourceRequestParams(uri=stored.uri))
    (contents,) = read.contents
    assert isinstance(contents, types.TextResourceContents)
    assert contents.text == "h\nэ\n"
    with pytest.raises(MCPError, match=r"no report at ozon-mcp://reports/gone\.csv"):
        await kept.read_resource(
            None, types.ReadResourceRequestParams(uri="ozon-mcp://reports/gone.csv")
        )


def test_the_cli_offers_exactly_the_engines_names() -> None:
    assert tuple(kind.value for kind in ReportKind) == KIND_CHOICES
    assert GROUP_BY_CHOICES == GROUP_BY_VALUES
