"""String formats: really checked before any upstream call, and published only in portable form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_support import json_body, one_tool

from ozon_mcp.adapters.openapi import ArgumentError, OperationTool
from ozon_mcp.adapters.openapi.formats import (
    PORTABLE_FORMATS,
    UINT64_PATTERN,
    argument_format_checker,
    portable_format,
)
from ozon_mcp.adapters.openapi.schema import portable_schema

CHECKER = argument_format_checker()


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        (
            "date-time",
            ["2024-01-31T09:30:00Z", "2024-01-31t09:30:00.123+03:00", "2016-12-31T23:59:60Z"],
            [
                "not-a-date",
                "2024-01-31",
                "2024-02-30T00:00:00Z",
                "2024-01-31T25:00:00Z",
                "2024-01-31T09:30:00",
                "2024-01-31T09:30:00+24:00",
                "20240131T093000Z",
            ],
        ),
        (
            "date",
            ["2024-01-31", "2024-02-29"],
            ["not-a-date", "20240131", "2023-02-29", "2024-1-31", "2024-01-31T00:00:00Z"],
        ),
        ("time", ["09:30:00Z", "23:59:59.5-05:00"], ["9:30", "09:30:00", "24:00:00Z"]),
        (
            "email",
            ["name@example.com", "first.last+tag@sub.example.org", "ops@[192.0.2.1]"],
            ["a@", "@example.com", "no-at-sign", "two@@example.com", "sp ace@example.com"],
        ),
        (
            "uri",
            ["https://example.com/a?b=1#c", "urn:isbn:0451450523", "mailto:x@example.com"],
            ["not a uri", "/relative/path", "example.com", "https://exa mple.com", "http://%zz"],
        ),
        ("uri-reference", ["/relative?x=1", "https://example.com"], ["has space", "%g0"]),
        ("uuid", ["123e4567-e89b-12d3-a456-426614174000"], ["123e4567", "xyz"]),
        ("hostname", ["api.example.com", "localhost"], ["-bad.example", "a..b", "sp ace"]),
    ],
)
def test_formats_are_checked_without_optional_packages(
    fmt: str, good: list[str], bad: list[str]
) -> None:
    for value in good:
        assert CHECKER.conforms(value, fmt), f"{value!r} should be a valid {fmt}"
    for value in bad:
        assert not CHECKER.conforms(value, fmt), f"{value!r} should not be a valid {fmt}"
    assert CHECKER.conforms(42, fmt)  # not a string: the `type` keyword reports it


@given(st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC)))
def test_every_rfc3339_rendering_of_a_moment_is_a_valid_date_time(moment: datetime) -> None:
    assert CHECKER.conforms(moment.isoformat(), "date-time")
    assert CHECKER.conforms(moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "date-time")
    assert CHECKER.conforms(moment.date().isoformat(), "date")


@pytest.fixture(scope="module")
def formatted_tool() -> OperationTool:
    properties = {
        "from": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "email": {"type": "string", "format": "email"},
        "callback": {"type": "string", "format": "uri"},
        "campaignId": {"type": "string", "format": "uint64", "description": "Campaign."},
        "count": {"type": "integer", "format": "int32"},
        "total": {"type": "integer", "format": "int64"},
        "ratio": {"type": "number", "format": "double"},
        "blob": {"type": "string", "format": "byte"},
    }
    return one_tool(
        {
            "operationId": "Send",
            "requestBody": json_body({"type": "object", "properties": properties}),
            "responses": {"200": {"description": "ok"}},
        }
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"from": "not-a-date"},
            "argument 'from': 'not-a-date' is not a valid date-time; "
            "expected an RFC 3339 date-time",
        ),
        (
            {"day": "31.01.2024"},
            "argument 'day': '31.01.2024' is not a valid date; expected a date",
        ),
        ({"email": "a@"}, "argument 'email': 'a@' is not a valid email"),
        ({"callback": "example.com"}, "argument 'callback': 'example.com' is not a valid uri"),
        ({"campaignId": "12ab"}, "argument 'campaignId': '12ab' is not an unsigned 64-bit integer"),
        ({"campaignId": -5}, "argument 'campaignId': '-5' is not an unsigned 64-bit integer"),
        ({"count": 2**31}, "argument 'count': 2147483648 is greater than the maximum"),
    ],
)
def test_a_badly_formatted_argument_is_refused_naming_it(
    formatted_tool: OperationTool, arguments: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ArgumentError) as raised:
        formatted_tool.prepare_request(arguments)
    assert expected in str(raised.value)


def test_well_formatted_arguments_pass_and_a_numeric_id_is_still_coerced(
    formatted_tool: OperationTool,
) -> None:
    prepared = formatted_tool.prepare_request(
        {
            "from": "2024-01-31T00:00:00Z",
            "day": "2024-01-31",
            "email": "ops@example.com",
            "callback": "https://example.com/hook",
            "campaignId": 18446744073709551615,
            "count": 5,
            "total": 2**40,
            "ratio": 0.5,
            "blob": "aGk=",
        }
    )
    assert prepared.json_body is not None
    assert prepared.json_body["campaignId"] == "18446744073709551615"


def test_published_schemas_keep_standard_formats_and_translate_the_rest(
    formatted_tool: OperationTool,
) -> None:
    properties = formatted_tool.input_schema["properties"]
    assert properties["from"]["format"] == "date-time"
    assert properties["callback"]["format"] == "uri"
    assert properties["campaignId"] == {
        "type": "string",
        "description": "Campaign. (uint64, as digits)",
        "pattern": UINT64_PATTERN,
    }
    bare = {
        name: {key: value for key, value in schema.items() if key != "description"}
        for name, schema in properties.items()
    }
    assert bare["count"] == {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
    assert bare["total"] == {"type": "integer"}
    assert bare["ratio"] == {"type": "number"}
    assert bare["blob"] == {"type": "string", "contentEncoding": "base64"}


def test_the_walk_reaches_every_subschema_but_never_values() -> None:
    uint64 = {"type": "string", "format": "uint64"}
    schema = {
        "type": "object",
        "properties": {"a": {"type": "array", "items": uint64}},
        "additionalProperties": uint64,
        "anyOf": [uint64, {"type": "null"}],
        "$defs": {"Node": {"type": "object", "properties": {"id": uint64}}},
        "default": {"format": "uint64"},
        "examples": [{"format": "uint64"}],
        "enum": [{"format": "uint64"}],
    }
    out = portable_schema(schema)
    assert '"format": "uint64"' in repr(schema).replace("'", '"')  # the input is not changed
    assert out["properties"]["a"]["items"]["pattern"] == UINT64_PATTERN
    assert out["additionalProperties"]["pattern"] == UINT64_PATTERN
    assert out["anyOf"][0]["pattern"] == UINT64_PATTERN
    assert out["$defs"]["Node"]["properties"]["id"]["pattern"] == UINT64_PATTERN
    assert out["default"] == out["examples"][0] == out["enum"][0] == {"format": "uint64"}


def test_an_existing_pattern_or_bound_wins_and_unknown_formats_are_dropped() -> None:
    assert portable_format({"type": "string", "format": "uint64", "pattern": "^1[0-9]*$"}) == {
        "type": "string",
        "pattern": "^1[0-9]*$",
        "description": "uint64, as digits.",
    }
    assert portable_format({"type": "integer", "format": "int32", "minimum": 1}) == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**31 - 1,
    }
    assert portable_format({"type": "string", "format": "x-vendor"}) == {"type": "string"}
    assert portable_format({"type": "string", "format": "email"})["format"] == "email"


def _formats(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples"):
                found |= _formats(value)
    elif isinstance(node, list):
        for value in node:
            found |= _formats(value)
    return found


def test_every_ozon_schema_uses_only_portable_formats(
    ozon_tools: dict[str, OperationTool],
) -> None:
    used: set[str] = set()
    for tool in ozon_tools.values():
        used |= _formats(tool.input_schema)
    assert used == {"date-time"}
    assert used <= PORTABLE_FORMATS
    ids = ozon_tools["ListCampaignObjects"].input_schema["properties"]["campaignId"]
    assert ids["pattern"] == UINT64_PATTERN


def test_a_type_implied_by_its_keywords_is_declared_for_strict_validators() -> None:
    listed = {"description": "Reports.", "items": {"type": "string"}}
    assert portable_schema(listed) == {"type": "array", **listed}
    assert portable_schema({"properties": {"a": {}}})["type"] == "object"
    ambiguous = {"items": {}, "properties": {}}
    assert portable_schema(ambiguous) == ambiguous  # keywords of two types: left alone
    assert portable_schema({"$ref": "#/$defs/X", "items": {}}) == {"$ref": "#/$defs/X", "items": {}}
    assert "type" not in portable_schema({"description": "anything"})
