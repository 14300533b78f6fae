"""Path parameters of every style can never make a request leave its path template.

An empty, `.` or `..` segment is merged or removed by URL normalisation (the HTTP client does it
before sending), so a value producing one could reach another endpoint or drop the API base path.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ozon_mcp.adapters.openapi import ArgumentError, build_tools, repair_spec
from ozon_mcp.adapters.openapi.binding import ParameterBinding, build_request

PREFIX = "/api/items/"
SUFFIX = "/details"
TEMPLATE = PREFIX + "{id}" + SUFFIX
STYLES = ("simple", "label", "matrix")

# Hostile text: dots, slashes, percent signs, empties, unicode.
hostile_text = st.one_of(
    st.sampled_from(["", ".", "..", "...", "%2E", "%2e%2e", "/", "../", "./.", "a/../b", "?", "#"]),
    st.text(alphabet=st.sampled_from("./%2Ee?#;=,&@:é\\"), max_size=6),
    st.text(max_size=6),
)
scalars = st.one_of(hostile_text, st.integers(), st.booleans(), st.floats(allow_nan=False))
values = st.one_of(
    scalars,
    st.lists(hostile_text, max_size=4),
    st.dictionaries(hostile_text, hostile_text, max_size=3),
)


def binding(style: str, explode: bool) -> ParameterBinding:
    return ParameterBinding(
        argument="itemId", name="id", location="path", style=style, explode=explode
    )


@settings(max_examples=400)
@given(style=st.sampled_from(STYLES), explode=st.booleans(), value=values)
def test_every_style_yields_safe_segments_or_refuses_naming_the_argument(
    style: str, explode: bool, value: Any
) -> None:
    try:
        request = build_request(
            "get", TEMPLATE, (binding(style, explode),), None, {"itemId": value}
        )
    except ArgumentError as exc:
        assert "'itemId'" in str(exc)  # noqa: PT017 - refusing is an allowed outcome
        return
    assert request.path.startswith(PREFIX)
    assert request.path.endswith(SUFFIX)
    segment = request.path[len(PREFIX) : -len(SUFFIX)]
    assert "/" not in segment
    assert segment not in ("", ".", "..")
    # What the HTTP client sends is exactly this path: nothing normalised away.
    url = httpx2.URL("https://api.example" + request.path)
    assert url.raw_path.decode() == request.path


@pytest.mark.parametrize(
    ("style", "explode", "value"),
    [
        ("label", True, ["", ""]),  # was `..`: the request went to /api/details
        ("label", False, [""]),  # was `.`
        ("label", True, [""]),
        ("simple", False, [""]),  # was an empty segment: /api/items//details
        ("simple", True, [""]),
    ],
)
def test_values_that_made_dot_or_empty_segments_are_refused(
    style: str, explode: bool, value: Any
) -> None:
    with pytest.raises(ArgumentError, match=r"'itemId'.*empty or a dot segment"):
        build_request("get", TEMPLATE, (binding(style, explode),), None, {"itemId": value})


def test_a_segment_shared_with_literal_text_is_accepted() -> None:
    request = build_request(
        "get", "/files/{id}.json", (binding("simple", False),), None, {"itemId": [""]}
    )
    assert request.path == "/files/.json"


def test_the_refusal_reaches_the_tool_call_as_an_argument_error() -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            TEMPLATE: {
                "get": {
                    "operationId": "GetItem",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "style": "label",
                            "explode": True,
                            "schema": {"type": "array", "items": {"type": "string"}},
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    (tool,) = build_tools(repair_spec(document, "t"))
    with pytest.raises(ArgumentError, match="'id'"):
        tool.prepare_request({"id": ["", ""]})
    assert tool.prepare_request({"id": ["a", "b"]}).path == "/api/items/.a.b/details"
