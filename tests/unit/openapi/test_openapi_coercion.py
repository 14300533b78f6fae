"""Unambiguous scalar coercion before validation: numbers for string ids, digits for integers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.openapi import ArgumentError
from ozon_mcp.adapters.openapi.validation import coerce_arguments

UINT64 = {"type": "string", "format": "uint64"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "campaignId": UINT64,
        "campaigns": {"type": "array", "items": UINT64},
        "page": {"type": "integer"},
        "ratio": {"type": "number"},
        "either": {"type": ["string", "integer"]},
        "nested": {"type": "object", "properties": {"sku": UINT64}},
        "free": {},
    },
}


@pytest.mark.parametrize(
    ("given_arguments", "expected"),
    [
        ({"campaignId": 123}, {"campaignId": "123"}),
        ({"campaigns": [1, "2"]}, {"campaigns": ["1", "2"]}),
        ({"page": "7"}, {"page": 7}),
        ({"page": "-3"}, {"page": -3}),
        ({"ratio": "2.5"}, {"ratio": 2.5}),
        ({"ratio": "4"}, {"ratio": 4}),
        ({"nested": {"sku": 99}}, {"nested": {"sku": "99"}}),
    ],
)
def test_unambiguous_scalars_are_converted(
    given_arguments: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert coerce_arguments(SCHEMA, given_arguments) == expected


@pytest.mark.parametrize(
    "left_alone",
    [
        {"campaignId": True},  # a bool is never an id
        {"campaignId": 1.5},  # a float is not an integer id
        {"page": "7 pages"},
        {"page": "1e3"},
        {"page": True},
        {"either": 5},  # the schema accepts the int as it is
        {"free": 5},
        {"unknown": 5},
        {"page": None},
    ],
)
def test_anything_ambiguous_is_left_for_the_validator(left_alone: dict[str, Any]) -> None:
    assert coerce_arguments(SCHEMA, left_alone) == left_alone


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_any_uint64_number_becomes_its_decimal_string(number: int) -> None:
    assert coerce_arguments(SCHEMA, {"campaignId": number}) == {"campaignId": str(number)}


def test_an_ozon_tool_accepts_numeric_ids_and_still_rejects_booleans(ozon_tools: Any) -> None:
    activate = ozon_tools["ActivateCampaign"]
    assert activate.prepare_request({"campaignId": 123}).path == (
        "/api/client/campaign/123/activate"
    )
    submit = ozon_tools["SubmitRequest"].prepare_request({"campaigns": [1, 2]})
    assert submit.json_body == {"campaigns": ["1", "2"]}
    with pytest.raises(ArgumentError, match="argument 'campaignId': True is not of type 'string'"):
        activate.prepare_request({"campaignId": True})
