"""Tool names, behaviour hints and the prose helpers."""

from __future__ import annotations

import itertools

import pytest
from openapi_support import MCP_HINT_DEFAULTS, effective_hints

from ozon_mcp.adapters.openapi.naming import (
    MAX_NAME_LENGTH,
    OperationAnnotations,
    annotations_for,
    base_name,
    unique_names,
)
from ozon_mcp.adapters.openapi.text import one_line, rewrite_doc_links, tidy, trim


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "name"),
    [
        ("ListCampaigns", "get", "/x", "ListCampaigns"),
        ("webhooks-lookup.get", "get", "/x", "webhooks-lookup.get"),
        ("  list campaigns/all  ", "get", "/x", "list_campaigns_all"),
        ("Список", "get", "/x", "get"),
        (None, "GET", "/api/client/campaign/{id}", "get_api_client_campaign_id"),
        ("", "delete", "/v1/a.b/{c-d}/", "delete_v1_a.b_c-d"),
        (None, "post", "/", "post"),
        ("x" * 300, "get", "/", "x" * MAX_NAME_LENGTH),
    ],
)
def test_base_names_are_safe_and_stable(
    operation_id: str | None, method: str, path: str, name: str
) -> None:
    assert base_name(operation_id, method, path) == name


def test_duplicates_get_numbered_suffixes_that_avoid_existing_names() -> None:
    names, renamed = unique_names(["A", "A_2", "A", "B", "A"])
    assert names == ["A", "A_2", "A_3", "B", "A_4"]
    assert renamed == [("A", "A_3"), ("A", "A_4")]


def test_suffixes_keep_long_names_within_the_limit() -> None:
    long = "n" * MAX_NAME_LENGTH
    names, _ = unique_names([long, long])
    assert names == [long, "n" * (MAX_NAME_LENGTH - 2) + "_2"]


@pytest.mark.parametrize(
    ("method", "operation_id", "summary", "expected"),
    [
        ("get", "DeleteLog", None, OperationAnnotations(True, False, True)),
        ("delete", "Anything", None, OperationAnnotations(False, True, True)),
        (
            "post",
            "ExternalCampaign_BatchDisableProducts",
            None,
            OperationAnnotations(False, True, False),
        ),
        ("post", "DeactivateCampaign", None, OperationAnnotations(False, True, False)),
        ("post", "RemoveItems", None, OperationAnnotations(False, True, False)),
        (
            "post",
            "ActivateCampaign",
            "Активировать кампанию",
            OperationAnnotations(False, False, False),
        ),
        ("post", None, "Удалить товары", OperationAnnotations(False, True, False)),
        ("post", None, "Выключить кампанию", OperationAnnotations(False, True, False)),
        ("put", "UpdateProducts", "Обновить ставки", OperationAnnotations(False, False, True)),
        ("patch", "Undelete", "Restore a deleted item", OperationAnnotations(False, True, False)),
        ("post", "Recreate", "Re-create it", OperationAnnotations(False, False, False)),
    ],
)
def test_annotations_from_method_and_wording(
    method: str, operation_id: str | None, summary: str | None, expected: OperationAnnotations
) -> None:
    assert annotations_for(method, operation_id, summary) == expected


def test_annotations_in_mcp_terms_send_only_what_differs_from_the_defaults() -> None:
    assert OperationAnnotations(True, False, True).as_mcp() == {"readOnlyHint": True}
    assert OperationAnnotations(False, False, False).as_mcp() == {"destructiveHint": False}
    assert OperationAnnotations(False, True, True).as_mcp() == {"idempotentHint": True}
    assert OperationAnnotations(False, True, False).as_mcp() == {}  # MCP's defaults, all four
    assert OperationAnnotations(False, False, True, open_world=False).as_mcp() == {
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": False,
    }


@pytest.mark.parametrize("flags", list(itertools.product((False, True), repeat=4)))
def test_annotations_in_mcp_terms_lose_no_hint(flags: tuple[bool, bool, bool, bool]) -> None:
    """What a client reads (a hint left out = MCP's default) is every hint of the operation;
    nothing sent is a default."""
    read_only, destructive, idempotent, open_world = flags
    hints = OperationAnnotations(read_only, destructive, idempotent, open_world).as_mcp()
    expected = {"readOnlyHint": read_only, "openWorldHint": open_world}
    if not read_only:
        expected |= {"destructiveHint": destructive, "idempotentHint": idempotent}
    assert effective_hints(hints) == expected
    assert all(value != MCP_HINT_DEFAULTS[name] for name, value in hints.items()), hints


def test_tidy_keeps_markdown_but_drops_noise() -> None:
    assert tidy("\n  Title  \r\n\r\n\r\n\n- a   \n- b\n\n") == "Title\n\n- a\n- b"


def test_trim_prefers_sentence_ends_and_marks_the_cut() -> None:
    text = "First sentence here. Second sentence goes on and on and on."
    assert trim(text, 100) == text
    assert trim(text, 30) == "First sentence here.…"
    assert trim("one two three four five six", 15) == "one two three…"
    assert trim("x" * 50, 10) == "x" * 9 + "…"
    noted = trim("word " * 100, 60, note=True)
    assert noted == "word word word word word word word … (trimmed 466 chars)"
    assert len(noted) <= 60


def test_one_line_collapses_whitespace() -> None:
    assert one_line(" a\n\n b\tc ", 10) == "a b c"


def test_doc_links_become_tool_names_or_plain_text() -> None:
    names = {"StatisticsCheck": "StatisticsCheck", "Dup": "Dup_2"}
    text = (
        "See [the status](#operation/StatisticsCheck), [GET /x](#operation/Dup), "
        "[gone](#operation/Missing), [a section](#tag/Campaigns) and [site](https://ozon.ru)."
    )
    assert rewrite_doc_links(text, names) == (
        "See the status (`StatisticsCheck`), `Dup_2`, gone, a section and [site](https://ozon.ru)."
    )
