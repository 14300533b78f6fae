"""Loading specs: repairs of defects with one obvious meaning, logged once with their pointer,
and clear failures (naming the pointer) for what cannot be understood."""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_support import GENERIC_SPECS, make_spec, read_json

from ozon_mcp.adapters.openapi import (
    Repair,
    SpecError,
    build_tools,
    bundled_spec_path,
    load_spec,
    parse_spec,
    repair_spec,
)

OZON_REPAIRS = [
    Repair(
        "/components/schemas/extcampaignProductCampaignInListPlacement/required",
        "boolean 'required: True' moved into the required list of every object property that "
        "refers to it",
    ),
    Repair(
        "/components/schemas/extcampaignProductCampaignPlacement/required",
        "boolean 'required: True' moved into the required list of every object property that "
        "refers to it",
    ),
    Repair(
        "/components/schemas/extstatStatisticsRequest/properties/campaigns/required",
        "boolean 'required: True' moved into the parent's required list as 'campaigns'",
    ),
    Repair(
        "/components/schemas/extstatStatisticsVideobannerRequest/properties/campaigns/required",
        "boolean 'required: True' moved into the parent's required list as 'campaigns'",
    ),
    Repair(
        "/components/schemas/extcampaignCampaignInList/required",
        "added 'placement' (#/components/schemas/extcampaignProductCampaignInListPlacement)",
    ),
    Repair(
        "/components/schemas/extcampaignCampaign/required",
        "added 'placement' (#/components/schemas/extcampaignProductCampaignPlacement)",
    ),
    Repair("/components/schemas/camptypeCampaignType/enum", "null 'enum' dropped"),
    Repair("/components/schemas/extcampaignCampaignState/enum", "null 'enum' dropped"),
    Repair("/components/schemas/camptypeCampaignTypeInList/enum", "null 'enum' dropped"),
]


def test_ozon_spec_repairs_are_exactly_the_known_defects_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.openapi"):
        spec = load_spec()
        build_tools(spec)
    assert sorted(spec.repairs, key=lambda r: r.pointer) == sorted(
        OZON_REPAIRS, key=lambda r: r.pointer
    )
    messages = [r.getMessage() for r in caplog.records if r.name == "ozon_mcp.openapi"]
    assert sorted(messages) == sorted(
        f"spec repaired at {r.pointer}: {r.description}" for r in OZON_REPAIRS
    )
    schemas = spec.document["components"]["schemas"]
    assert schemas["extstatStatisticsRequest"]["required"] == ["campaigns"]
    assert "required" not in schemas["extstatStatisticsRequest"]["properties"]["campaigns"]
    assert "placement" in schemas["extcampaignCampaign"]["required"]


def test_repair_leaves_the_callers_document_untouched() -> None:
    original = read_json(bundled_spec_path())
    before = copy.deepcopy(original)
    repair_spec(original, "copy")
    assert original == before


def test_a_parsed_spec_repaired_in_place_is_the_repaired_copy() -> None:
    """`parse_spec` repairs the document it has just parsed without copying it first: the same
    document and repairs as a copy's, objects shared through YAML aliases included."""
    original = read_json(bundled_spec_path())
    copied = repair_spec(copy.deepcopy(original), "spec")
    in_place = repair_spec(original, "spec", in_place=True)
    assert in_place.document is original
    assert in_place.document == copied.document
    assert in_place.repairs == copied.repairs
    text = (
        "openapi: 3.0.3\ninfo: {title: y, version: '1'}\npaths:\n  /a:\n    post:\n"
        "      requestBody: {content: {application/json: {schema: &shared {type: object, "
        "enum: null, properties: {x: {type: string}}}}}}\n"
        "      responses: {'200': {description: ok, content: {application/json: "
        "{schema: *shared}}}}\n"
    )
    parsed = parse_spec(text, "aliased.yaml")
    assert parsed.repairs == repair_spec(yaml.safe_load(text), "aliased.yaml").repairs
    assert parsed.repairs  # the shared schema's null `enum`, dropped
    operation = parsed.document["paths"]["/a"]["post"]
    shared = operation["requestBody"]["content"]["application/json"]["schema"]
    assert shared is operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert "enum" not in shared


@pytest.mark.parametrize("path", GENERIC_SPECS, ids=lambda p: p.name)
def test_generic_fixture_specs_need_no_repair(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.openapi"):
        spec = load_spec(path)
    assert spec.repairs == ()
    assert spec.document == read_json(path)


def test_yaml_specs_load_like_json() -> None:
    text = (
        "openapi: 3.0.3\ninfo: {title: y, version: '1'}\npaths:\n  /ping:\n    get:\n"
        "      operationId: Ping\n      responses: {'200': {description: ok}}\n"
    )
    spec = parse_spec(text, "inline.yaml")
    assert [tool.name for tool in build_tools(spec)] == ["Ping"]


def test_boolean_required_inside_a_property_moves_to_the_parent() -> None:
    spec = make_spec(
        {},
        {"Req": {"type": "object", "properties": {"a": {"type": "string", "required": True}}}},
    )
    assert spec.document["components"]["schemas"]["Req"] == {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
    }
    assert spec.repairs == (
        Repair(
            "/components/schemas/Req/properties/a/required",
            "boolean 'required: True' moved into the parent's required list as 'a'",
        ),
    )


def test_example_data_is_never_rewritten_as_a_schema() -> None:
    example = {"required": True, "enum": None, "properties": {"x": {"required": True}}}
    spec = make_spec(
        {},
        {"Req": {"type": "object", "example": example, "default": {"required": False}}},
    )
    assert spec.document["components"]["schemas"]["Req"]["example"] == example
    assert spec.document["components"]["schemas"]["Req"]["default"] == {"required": False}
    assert spec.repairs == ()


def test_null_and_empty_keywords_are_dropped_with_their_pointer() -> None:
    spec = make_spec(
        {
            "/a": {
                "get": {
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "enum": []}}
                    ],
                    "responses": {},
                }
            }
        },
        {"S": {"type": "string", "format": None, "default": None}},
    )
    assert spec.document["components"]["schemas"]["S"] == {"type": "string", "default": None}
    assert set(spec.repairs) == {
        Repair("/components/schemas/S/format", "null 'format' dropped"),
        Repair(
            "/paths/~1a/get/parameters/0/schema/enum",
            "empty enum dropped (it would reject every value)",
        ),
    }


def test_path_parameter_problems_are_repaired() -> None:
    spec = make_spec(
        {
            "/items/{id}/parts/{part}": {
                "get": {
                    "parameters": [
                        {"name": "id", "in": "path", "schema": {"type": "integer"}},
                        {"name": "stale", "in": "path", "required": True},
                        {"name": "q", "in": "query"},
                    ],
                    "responses": {},
                }
            }
        }
    )
    operation = spec.document["paths"]["/items/{id}/parts/{part}"]["get"]
    assert operation["parameters"] == [
        {"name": "id", "in": "path", "schema": {"type": "integer"}, "required": True},
        {"name": "q", "in": "query", "schema": {"type": "string"}},
        {"name": "part", "in": "path", "required": True, "schema": {"type": "string"}},
    ]
    base = "/paths/~1items~1{id}~1parts~1{part}/get/parameters"
    assert set(spec.repairs) == {
        Repair(f"{base}/0/required", "a path parameter is always required; set to true"),
        Repair(
            f"{base}/1",
            "path parameter 'stale' does not occur in the path template "
            "'/items/{id}/parts/{part}'; dropped",
        ),
        Repair(f"{base}/2/schema", "parameter has no schema; treated as a string"),
        Repair(
            base,
            "path template variable {part} has no parameter; added a required string path "
            "parameter",
        ),
    }
    tool = build_tools(spec)[0]
    assert tool.input_schema["required"] == ["id", "part"]
    assert tool.prepare_request({"id": 3, "part": "a b"}).path == "/items/3/parts/a%20b"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"swagger": "1.2", "paths": {}}, "pointer '/openapi' must name OpenAPI 3.x"),
        ({"openapi": "3.0.0"}, "pointer '/paths' must be an object"),
    ],
)
def test_documents_that_are_not_openapi_3_fail_naming_the_pointer(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError, match=message):
        repair_spec(document, "bad.json")


def test_a_document_that_is_not_an_object_fails() -> None:
    with pytest.raises(SpecError, match=r"x\.json: the document root \(pointer ''\) must be an"):
        parse_spec("[1, 2]", "x.json")


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"OPENAPI_SPEC: file .* does not exist"):
        load_spec(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("operation", "schemas", "message"),
    [
        (
            {"parameters": [{"$ref": "#/components/parameters/nope"}]},
            None,
            r"^/paths/~1things/post/parameters/0/\$ref: '#/components/parameters/nope' does "
            r"not point at anything in the document$",
        ),
        (
            {"requestBody": {"content": {"application/json": {"schema": {"$ref": "x.yaml#/A"}}}}},
            None,
            r"^/paths/~1things/post/requestBody/content/application~1json/schema/\$ref: "
            r"'x.yaml#/A' points outside the document",
        ),
        (
            {
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/F"}}}
                }
            },
            {"F": {"type": "object", "properties": {"f": {"type": "file"}}}},
            r"^/components/schemas/F/properties/f/type: unknown type 'file'",
        ),
        (
            {"parameters": [{"name": "q", "in": "body", "schema": {}}]},
            None,
            r"^/paths/~1things/post/parameters/0/in: must be one of path, query, header, cookie",
        ),
        (
            {"parameters": [{"name": "q", "in": "query", "schema": "string"}]},
            None,
            r"^/paths/~1things/post/parameters/0/schema: expected a Schema Object, found str$",
        ),
        (
            {"parameters": [{"$ref": "#/components/parameters/A"}]},
            None,
            r"is part of a circle of bare references",
        ),
    ],
)
def test_what_cannot_be_understood_is_skipped_with_a_warning_naming_the_pointer(
    operation: dict[str, Any],
    schemas: dict[str, Any] | None,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    components: dict[str, Any] = {
        "parameters": {
            "A": {"$ref": "#/components/parameters/B"},
            "B": {"$ref": "#/components/parameters/A"},
        }
    }
    good = {"operationId": "Fine", "responses": {}}
    spec = make_spec(
        {"/things": {"post": {**operation, "responses": {}}}, "/fine": {"get": good}},
        schemas,
        **components,
    )
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.openapi"):
        tools = build_tools(spec)
    assert [tool.name for tool in tools] == ["Fine"]  # the bad one never stops the others
    skipped = [r.getMessage() for r in caplog.records if "is skipped" in r.getMessage()]
    assert len(skipped) == 1
    assert re.search(message, skipped[0].removesuffix("; the operation POST /things is skipped"))
    assert skipped[0].endswith("; the operation POST /things is skipped")


def test_a_keyword_with_a_meaningless_value_is_skipped_naming_operation_and_place(
    caplog: pytest.LogCaptureFixture,
) -> None:
    operation = {
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": "5"}}
        ],
        "responses": {},
    }
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.openapi"):
        assert build_tools(make_spec({"/things": {"post": operation}})) == []
    assert caplog.records[-1].getMessage() == (
        "/paths/~1things/post: the generated input schema is not valid JSON Schema "
        "('5' is not of type 'integer' at properties/q/maxLength); the operation POST /things "
        "is skipped"
    )


def test_deferred_schema_checks_fail_on_the_tools_first_call_naming_the_place() -> None:
    operation = {
        "operationId": "Things",
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": "5"}}
        ],
        "responses": {},
    }
    spec = make_spec({"/things": {"post": operation}})
    [tool] = build_tools(spec, check_schemas=False)  # start-up does not pay for the check
    with pytest.raises(SpecError, match=r"^/paths/~1things/post: the generated input schema"):
        tool.prepare_request({"q": "x"})
    with pytest.raises(SpecError, match="is not valid JSON Schema"):
        tool.check_schemas()
