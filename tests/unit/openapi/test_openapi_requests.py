"""Calling a tool: argument validation first, then a request that cannot escape its endpoint."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx2
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_support import json_body, one_tool

from ozon_mcp.adapters.openapi import ArgumentError, OperationTool, PreparedRequest
from ozon_mcp.domain.errors import OzonMcpError

BID_SCHEMA = {
    "type": "object",
    "properties": {
        "bids": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "bid": {"type": "integer"}},
                "required": ["sku"],
            },
        },
        "mode": {"type": "string", "enum": ["AUTO", "MANUAL"]},
    },
    "required": ["bids"],
}


@pytest.fixture(scope="module")
def bids_tool() -> OperationTool:
    """POST /campaign/{campaignId}/bids with a query flag and a flattened body."""
    return one_tool(
        {
            "operationId": "SetBids",
            "parameters": [
                {
                    "name": "campaignId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                },
                {
                    "name": "ids",
                    "in": "query",
                    "schema": {"type": "array", "items": {"type": "string"}},
                },
                {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            ],
            "requestBody": json_body(BID_SCHEMA),
            "responses": {},
        },
        path="/campaign/{campaignId}/bids",
    )


@pytest.fixture(scope="module")
def path_tool() -> OperationTool:
    """GET /api/client/campaign/{campaignId}/objects with a free-text path parameter."""
    return one_tool(
        {
            "operationId": "Objects",
            "parameters": [
                {
                    "name": "campaignId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
            ],
            "responses": {},
        },
        path="/api/client/campaign/{campaignId}/objects",
        method="get",
    )


@pytest.fixture(scope="module")
def query_tool() -> OperationTool:
    """GET /things with an array, a boolean and an integer query parameter."""
    return one_tool(
        {
            "operationId": "Query",
            "parameters": [
                {
                    "name": "ids",
                    "in": "query",
                    "schema": {"type": "array", "items": {"type": "string"}},
                },
                {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
                {"name": "n", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {},
        },
        method="get",
    )


def problems(tool: OperationTool, arguments: dict[str, Any] | None) -> tuple[str, ...]:
    with pytest.raises(ArgumentError) as caught:
        tool.prepare_request(arguments)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


def test_a_wrongly_typed_argument_is_named(bids_tool: OperationTool) -> None:
    assert problems(bids_tool, {"campaignId": "abc", "bids": []}) == (
        "argument 'campaignId': 'abc' is not of type 'integer'",
    )


def test_missing_required_arguments_are_named(bids_tool: OperationTool) -> None:
    assert problems(bids_tool, {}) == (
        "missing required argument 'campaignId'",
        "missing required argument 'bids'",
    )
    assert problems(bids_tool, None) == (
        "missing required argument 'campaignId'",
        "missing required argument 'bids'",
    )


def test_unknown_arguments_are_rejected_not_dropped(bids_tool: OperationTool) -> None:
    assert problems(bids_tool, {"campaignId": 1, "bids": [], "foo": 1}) == (
        "unknown argument 'foo' (known arguments: campaignId, ids, X-Trace, bids, mode)",
    )


def test_nested_problems_name_their_path(bids_tool: OperationTool) -> None:
    assert problems(
        bids_tool, {"campaignId": 1, "bids": [{"sku": "1"}, {"bid": "x"}], "mode": "FAST"}
    ) == (
        "argument 'bids[1]': 'sku' is a required property",
        "argument 'bids[1].bid': 'x' is not of type 'integer'",
        "argument 'mode': 'FAST' is not one of ['AUTO', 'MANUAL']",
    )


def test_many_problems_are_summarised(bids_tool: OperationTool) -> None:
    bad = [{"bid": "x"} for _ in range(4)]
    found = problems(bids_tool, {"campaignId": "c", "bids": bad, "a": 1, "b": 2})
    known = "(known arguments: campaignId, ids, X-Trace, bids, mode)"
    # 11 in all: 2 unknown arguments, 4 x 2 problems in `bids`, 1 in `campaignId`.
    assert found == (
        f"unknown argument 'a' {known}",
        f"unknown argument 'b' {known}",
        "argument 'bids[0]': 'sku' is a required property",
        "argument 'bids[0].bid': 'x' is not of type 'integer'",
        "argument 'bids[1]': 'sku' is a required property",
        "and 6 more problems",
    )


def test_long_values_are_trimmed_in_messages(bids_tool: OperationTool) -> None:
    (message,) = problems(bids_tool, {"campaignId": "9" * 1000, "bids": []})
    assert len(message) <= 300
    assert message.startswith("argument 'campaignId': '999")
    assert message.endswith("…")


def test_argument_error_is_an_ozon_mcp_error() -> None:
    assert issubclass(ArgumentError, OzonMcpError)


def test_valid_arguments_build_the_request(bids_tool: OperationTool) -> None:
    request = bids_tool.prepare_request(
        {"campaignId": 42, "ids": ["a", "b"], "X-Trace": "t1", "bids": [{"sku": "1", "bid": 5}]}
    )
    assert request == PreparedRequest(
        method="POST",
        path="/campaign/42/bids",
        query=(("ids", "a"), ("ids", "b")),
        headers={"X-Trace": "t1", "Content-Type": "application/json"},
        json_body={"bids": [{"sku": "1", "bid": 5}]},
    )
    assert request.url("https://api.example/") == "https://api.example/campaign/42/bids?ids=a&ids=b"


def test_the_validator_is_compiled_once_per_tool(
    bids_tool: OperationTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a validator was compiled during a call")

    validator = bids_tool.input_validator  # compiled by build_tools (check_schemas=True)
    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema", refuse)
    monkeypatch.setattr(jsonschema, "Draft202012Validator", refuse)
    bids_tool.validate_arguments({"campaignId": 1, "bids": []})
    assert bids_tool.prepare_request({"campaignId": 1, "bids": []}).path == "/campaign/1/bids"
    assert bids_tool.input_validator is validator


def test_changing_the_published_schema_does_not_change_validation() -> None:
    tool = one_tool({"operationId": "X", "requestBody": json_body(BID_SCHEMA), "responses": {}})
    tool.input_schema["properties"]["bids"] = {"type": "string"}
    assert tool.prepare_request({"bids": []}).json_body == {"bids": []}


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("../../admin", "/api/client/campaign/..%2F..%2Fadmin/objects"),
        ("..", "/api/client/campaign/%2E%2E/objects"),
        (".", "/api/client/campaign/%2E/objects"),
        ("a/b?c=d#e", "/api/client/campaign/a%2Fb%3Fc%3Dd%23e/objects"),
        ("%2E%2E", "/api/client/campaign/%252E%252E/objects"),
        (
            "Кампания 1",
            "/api/client/campaign/%D0%9A%D0%B0%D0%BC%D0%BF%D0%B0%D0%BD%D0%B8%D1%8F%201/objects",
        ),
    ],
)
def test_path_values_cannot_leave_their_segment(
    path_tool: OperationTool, value: str, path: str
) -> None:
    assert path_tool.prepare_request({"campaignId": value}).path == path


def test_an_empty_path_value_is_refused(path_tool: OperationTool) -> None:
    assert problems(path_tool, {"campaignId": ""}) == (
        "argument 'campaignId': must not be empty (it fills a path segment)",
    )


def test_a_lone_surrogate_is_refused_naming_the_argument(
    path_tool: OperationTool, bids_tool: OperationTool
) -> None:
    assert problems(path_tool, {"campaignId": "a\ud800"}) == (
        "argument 'campaignId': contains an invalid Unicode code point",
    )
    assert problems(bids_tool, {"campaignId": 1, "bids": [], "ids": ["\udfff"]}) == (
        "argument 'ids': contains an invalid Unicode code point",
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a\r\nX-Evil: 1", "argument 'X-Trace': a header value cannot contain control characters"),
        ("a\x00", "argument 'X-Trace': a header value cannot contain control characters"),
        ("é", "argument 'X-Trace': a header value must be ASCII text"),
    ],
)
def test_header_values_cannot_inject_headers(
    bids_tool: OperationTool, value: str, problem: str
) -> None:
    assert problems(bids_tool, {"campaignId": 1, "bids": [], "X-Trace": value}) == (problem,)


@given(value=st.text(min_size=1))
def test_any_path_text_stays_one_segment_and_round_trips(
    path_tool: OperationTool, value: str
) -> None:
    request = path_tool.prepare_request({"campaignId": value})
    prefix, suffix = "/api/client/campaign/", "/objects"
    assert request.path.startswith(prefix)
    assert request.path.endswith(suffix)
    segment = request.path[len(prefix) : -len(suffix)]
    assert "/" not in segment
    assert "?" not in segment
    assert "#" not in segment
    assert segment not in (".", "..")
    assert unquote(segment) == value
    # The HTTP client's URL normalisation keeps it on the same endpoint.
    raw_path = httpx2.URL("https://api.example" + request.path).raw_path.decode()
    assert raw_path == request.path


@given(values=st.lists(st.text(), max_size=5), flag=st.booleans(), number=st.integers())
def test_query_arrays_round_trip_through_url_encoding(
    query_tool: OperationTool, values: list[str], flag: bool, number: int
) -> None:
    request = query_tool.prepare_request({"ids": values, "flag": flag, "n": number})
    expected = [("ids", v) for v in values] + [("flag", "true" if flag else "false")]
    expected.append(("n", str(number)))
    assert list(request.query) == expected
    query = urlsplit(request.url("https://api.example")).query
    assert parse_qsl(query, keep_blank_values=True) == expected
    url = httpx2.URL("https://api.example" + request.path, params=request.query)
    assert url.params.get_list("ids") == values
