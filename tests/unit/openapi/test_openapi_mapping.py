"""How parameters and request bodies become tool arguments, and arguments become requests."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_support import json_body, make_spec, one_tool

from ozon_mcp.adapters.openapi import ArgumentError, BodyBinding, PreparedRequest, build_tools

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "Order id in the body."},
        "items": {"type": "array", "items": {"type": "string"}, "description": "Items."},
        "note": {"type": "string"},
    },
    "required": ["items", "id"],
}


def order_operation(*, body_required: bool = True) -> dict[str, Any]:
    """PUT /shops/{shop}/orders/{id}: path, query and header parameters plus a body."""
    return {
        "operationId": "SaveOrder",
        "summary": "Save an order",
        "parameters": [
            {
                "name": "shop",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "Shop code.",
            },
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "dryRun", "in": "query", "schema": {"type": "boolean"}},
            {
                "name": "X-Request-Id",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "Idempotency key.",
            },
        ],
        "requestBody": json_body(ORDER_SCHEMA, required=body_required),
        "responses": {"200": {"description": "ok"}},
    }


def test_parameters_and_flattened_body_share_the_top_level_with_collisions_renamed() -> None:
    tool = one_tool(order_operation(), path="/shops/{shop}/orders/{id}", method="put")
    assert tool.input_schema == {
        "type": "object",
        "properties": {
            "shop": {"type": "string", "description": "Shop code."},
            "id": {"type": "integer", "description": "Path parameter."},
            "dryRun": {"type": "boolean", "description": "Query parameter."},
            "X-Request-Id": {"type": "string", "description": "Idempotency key."},
            "body_id": {
                "type": "string",
                "description": "Request body field `id`. Order id in the body.",
            },
            "items": {"type": "array", "items": {"type": "string"}, "description": "Items."},
            "note": {"type": "string", "description": "Request body field."},
        },
        "required": ["shop", "id", "X-Request-Id", "body_id", "items"],
        "additionalProperties": False,
    }
    assert tool.body == BodyBinding(
        media_type="application/json",
        required=True,
        fields=(("body_id", "id"), ("items", "items"), ("note", "note")),
    )
    request = tool.prepare_request(
        {
            "shop": "main",
            "id": 7,
            "dryRun": True,
            "X-Request-Id": "k-1",
            "body_id": "A1",
            "items": ["x"],
        }
    )
    assert request == PreparedRequest(
        method="PUT",
        path="/shops/main/orders/7",
        query=(("dryRun", "true"),),
        headers={"X-Request-Id": "k-1", "Content-Type": "application/json"},
        json_body={"id": "A1", "items": ["x"]},
    )


def test_an_optional_body_makes_its_properties_optional_and_is_sent_only_when_given() -> None:
    tool = one_tool(order_operation(body_required=False), path="/shops/{shop}/orders/{id}")
    assert tool.input_schema["required"] == ["shop", "id", "X-Request-Id"]
    base = {"shop": "s", "id": 1, "X-Request-Id": "k"}
    assert tool.prepare_request(base).json_body is None
    assert "Content-Type" not in tool.prepare_request(base).headers
    assert tool.prepare_request({**base, "note": "n"}).json_body == {"note": "n"}


def test_a_non_object_body_is_one_body_argument() -> None:
    body = json_body({"type": "array", "items": {"type": "integer"}}, required=True)
    body["description"] = "Ids to delete."
    tool = one_tool({"operationId": "Bulk", "requestBody": body, "responses": {}})
    assert tool.input_schema == {
        "type": "object",
        "properties": {
            "body": {"type": "array", "items": {"type": "integer"}, "description": "Ids to delete."}
        },
        "required": ["body"],
        "additionalProperties": False,
    }
    assert tool.prepare_request({"body": [1, 2]}).json_body == [1, 2]


def test_a_map_body_is_not_flattened() -> None:
    schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    tool = one_tool({"operationId": "Counts", "requestBody": json_body(schema), "responses": {}})
    assert tool.input_schema["properties"]["body"] == {
        **schema,
        "description": "The JSON request body.",
    }
    assert tool.prepare_request({"body": {"a": 1}}).json_body == {"a": 1}


def test_a_body_named_like_a_parameter_gets_another_name() -> None:
    tool = one_tool(
        {
            "operationId": "Raw",
            "parameters": [{"name": "body", "in": "query", "schema": {"type": "string"}}],
            "requestBody": json_body({"type": "string"}),
            "responses": {},
        }
    )
    assert list(tool.input_schema["properties"]) == ["body", "request_body"]
    request = tool.prepare_request({"body": "q", "request_body": "payload"})
    assert request.query == (("body", "q"),)
    assert request.json_body == "payload"


def test_an_all_of_body_is_flattened_with_merged_required() -> None:
    schemas = {
        "Base": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        "Extra": {"type": "object", "properties": {"b": {"type": "integer"}}},
    }
    body = json_body(
        {"allOf": [{"$ref": "#/components/schemas/Base"}, {"$ref": "#/components/schemas/Extra"}]}
    )
    tool = one_tool({"operationId": "Both", "requestBody": body, "responses": {}}, schemas=schemas)
    assert list(tool.input_schema["properties"]) == ["a", "b"]
    assert tool.input_schema["required"] == ["a"]


def test_empty_required_body_is_sent_as_an_empty_object_and_optional_one_not_at_all() -> None:
    schemas = {"Empty": {"type": "object"}}
    ref = {"$ref": "#/components/schemas/Empty"}
    required = one_tool(
        {"operationId": "Go", "requestBody": json_body(ref), "responses": {}}, schemas=schemas
    )
    assert required.input_schema == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }
    assert required.prepare_request({}).json_body == {}
    optional = one_tool(
        {"operationId": "Go", "requestBody": json_body(ref, required=False), "responses": {}},
        schemas=schemas,
    )
    assert optional.prepare_request({}).json_body is None


def test_request_bodies_and_parameters_are_resolved_from_components() -> None:
    tool = one_tool(
        {
            "operationId": "Ref",
            "parameters": [{"$ref": "#/components/parameters/Page"}],
            "requestBody": {"$ref": "#/components/requestBodies/Filter"},
            "responses": {},
        },
        parameters={"Page": {"name": "page", "in": "query", "schema": {"type": "integer"}}},
        requestBodies={"Filter": json_body({"$ref": "#/components/schemas/Filter"})},
        schemas={"Filter": {"type": "object", "properties": {"q": {"type": "string"}}}},
    )
    assert list(tool.input_schema["properties"]) == ["page", "q"]
    assert tool.prepare_request({"page": 2, "q": "x"}) == PreparedRequest(
        "POST", "/things", (("page", "2"),), {"Content-Type": "application/json"}, {"q": "x"}
    )


def test_path_item_parameters_apply_and_the_operation_overrides_them() -> None:
    spec = make_spec(
        {
            "/a/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "lang", "in": "query", "schema": {"type": "string"}},
                ],
                "get": {
                    "operationId": "GetA",
                    "parameters": [
                        {"name": "lang", "in": "query", "schema": {"enum": ["en", "ru"]}}
                    ],
                    "responses": {},
                },
            }
        }
    )
    (tool,) = build_tools(spec)
    assert tool.input_schema["properties"] == {
        "id": {"type": "string", "description": "Path parameter."},
        "lang": {"enum": ["en", "ru"], "description": "Query parameter."},
    }


def test_same_name_in_two_locations_gets_a_location_prefix() -> None:
    tool = one_tool(
        {
            "operationId": "Twice",
            "parameters": [
                {"name": "v", "in": "query", "schema": {"type": "string"}},
                {"name": "v", "in": "header", "schema": {"type": "string"}},
                {"name": "sid", "in": "cookie", "schema": {"type": "string"}},
            ],
            "responses": {},
        }
    )
    assert list(tool.input_schema["properties"]) == ["v", "header_v", "sid"]
    request = tool.prepare_request({"v": "1", "header_v": "2", "sid": "a b;c"})
    assert request.query == (("v", "1"),)
    assert request.headers == {"v": "2", "Cookie": "sid=a%20b%3Bc"}


def test_authorization_and_content_type_header_parameters_are_ignored() -> None:
    tool = one_tool(
        {
            "operationId": "Hdr",
            "parameters": [
                {
                    "name": "Authorization",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                },
                {"name": "content-type", "in": "header", "schema": {"type": "string"}},
                {"name": "Accept", "in": "header", "schema": {"enum": ["application/json"]}},
            ],
            "responses": {},
        }
    )
    assert list(tool.input_schema["properties"]) == ["Accept"]
    assert "required" not in tool.input_schema


def test_parameter_declared_with_json_content_is_sent_as_json_text() -> None:
    tool = one_tool(
        {
            "operationId": "Filter",
            "parameters": [
                {
                    "name": "filter",
                    "in": "query",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            ],
            "responses": {},
        }
    )
    assert tool.prepare_request({"filter": {"a": [1, "é"]}}).query == (("filter", '{"a":[1,"é"]}'),)


@pytest.mark.parametrize(
    ("style", "explode", "value", "query"),
    [
        ("form", True, ["a", "b"], (("ids", "a"), ("ids", "b"))),
        ("form", False, ["a", "b"], (("ids", "a,b"),)),
        ("spaceDelimited", False, ["a", "b"], (("ids", "a b"),)),
        ("pipeDelimited", False, ["a", "b"], (("ids", "a|b"),)),
        ("form", True, [], ()),
        ("form", True, [True, 1.5, None], (("ids", "true"), ("ids", "1.5"), ("ids", ""))),
        ("deepObject", True, {"x": 1, "y": "z"}, (("ids[x]", "1"), ("ids[y]", "z"))),
        ("form", True, {"x": 1, "y": False}, (("x", "1"), ("y", "false"))),
        ("form", False, {"x": 1, "y": "z"}, (("ids", "x,1,y,z"),)),
    ],
)
def test_query_styles(style: str, explode: bool, value: Any, query: tuple[Any, ...]) -> None:
    tool = one_tool(
        {
            "operationId": "Q",
            "parameters": [
                {"name": "ids", "in": "query", "style": style, "explode": explode, "schema": {}}
            ],
            "responses": {},
        }
    )
    assert tool.prepare_request({"ids": value}).query == query


@pytest.mark.parametrize(
    ("style", "explode", "value", "path"),
    [
        ("simple", False, ["a", "b/c"], "/t/a,b%2Fc"),
        ("simple", False, {"k": "v", "x": "y"}, "/t/k,v,x,y"),
        ("simple", True, {"k": "v"}, "/t/k=v"),
        ("label", False, ["a", "b"], "/t/.a,b"),
        ("label", True, ["a", "b"], "/t/.a.b"),
        ("matrix", False, "x", "/t/;p=x"),
        ("matrix", True, ["a", "b"], "/t/;p=a;p=b"),
        ("matrix", False, ["a", "b"], "/t/;p=a,b"),
    ],
)
def test_path_styles(style: str, explode: bool, value: Any, path: str) -> None:
    tool = one_tool(
        {
            "operationId": "P",
            "parameters": [
                {
                    "name": "p",
                    "in": "path",
                    "required": True,
                    "style": style,
                    "explode": explode,
                    "schema": {},
                }
            ],
            "responses": {},
        },
        path="/t/{p}",
        method="get",
    )
    assert tool.prepare_request({"p": value}).path == path


def test_a_required_non_json_body_makes_the_operation_unavailable_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = make_spec(
        {
            "/upload": {
                "post": {
                    "operationId": "Upload",
                    "requestBody": {
                        "required": True,
                        "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                    },
                    "responses": {},
                },
                "put": {
                    "operationId": "Replace",
                    "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}},
                    "responses": {},
                },
            }
        }
    )
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.openapi"):
        tools = build_tools(spec)
    assert [tool.name for tool in tools] == ["Replace"]
    assert tools[0].body is None
    assert [r.getMessage() for r in caplog.records] == [
        "/paths/~1upload/put/requestBody: request body text/plain is not JSON; it is never sent",
        "/paths/~1upload/post: its required request body is application/octet-stream; only "
        "JSON, form-encoded and multipart bodies are supported; the operation is not offered "
        "as a tool",
    ]


def test_json_like_media_types_are_preferred_in_order() -> None:
    body = {
        "content": {
            "application/json-patch+json": {"schema": {"type": "array"}},
            "text/json": {"schema": {"type": "array"}},
            "application/json; charset=utf-8": {"schema": {"type": "array"}},
        }
    }
    tool = one_tool({"operationId": "J", "requestBody": body, "responses": {}})
    assert tool.body is not None
    assert tool.body.media_type == "application/json; charset=utf-8"
    wildcard = one_tool(
        {"operationId": "W", "requestBody": {"content": {"*/*": {"schema": {}}}}, "responses": {}}
    )
    assert wildcard.body is not None
    assert wildcard.body.media_type == "application/json"
    assert wildcard.prepare_request({"body": 5}).headers == {"Content-Type": "application/json"}


def test_output_schema_needs_every_2xx_answer_to_be_a_json_object() -> None:
    obj = {"type": "object", "properties": {"n": {"type": "integer"}}}

    def output(responses: dict[str, Any]) -> Any:
        spec = make_spec({"/o": {"get": {"operationId": "O", "responses": responses}}})
        return build_tools(spec, output_schemas=True)[0].output_schema

    ok = {"content": {"application/json": {"schema": obj}}}
    assert output({"200": ok, "default": {"description": "e"}}) == obj
    assert output({"200": ok, "204": {"description": "none"}}) is None
    assert output({"200": {"content": {"application/json": {"schema": {"type": "array"}}}}}) is None
    assert output({"200": {"content": {"application/json": {"schema": {}}}}}) is None
    assert output({"200": {"content": {**ok["content"], "text/plain": {"schema": obj}}}}) is None
    assert (
        output(
            {"200": ok, "201": {"content": {"application/json": {"schema": {"type": "object"}}}}}
        )
        is None
    )
    assert output({"400": ok}) is None
    Draft202012Validator.check_schema(output({"200": ok}))


def test_deprecated_operations_and_parameters_say_so() -> None:
    tool = one_tool(
        {
            "operationId": "Old",
            "deprecated": True,
            "summary": "Old way",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "deprecated": True,
                    "example": "x",
                    "schema": {"type": "string"},
                }
            ],
            "responses": {},
        }
    )
    assert tool.description == "Deprecated. Old way"
    assert tool.input_schema["properties"]["q"] == {
        "type": "string",
        "description": "Query parameter.",
        "deprecated": True,
        "examples": ["x"],
    }


def test_an_operation_without_text_is_described_by_its_route() -> None:
    tool = one_tool({"responses": {}}, path="/a/{b}", method="delete")
    assert tool.name == "delete_a_b"
    assert tool.title is None
    assert tool.description == "DELETE /a/{b}"
    assert tool.annotations.destructive is True


def test_a_recursive_body_is_flattened_with_its_defs_at_the_root() -> None:
    schemas = {
        "Category": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Name."},
                "children": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Category"},
                    "description": "Sub-categories.",
                },
            },
            "required": ["name"],
        }
    }
    tool = one_tool(
        {
            "operationId": "SaveTree",
            "requestBody": json_body({"$ref": "#/components/schemas/Category"}),
            "responses": {},
        },
        schemas=schemas,
    )
    assert tool.input_schema == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Name."},
            "children": {
                "type": "array",
                "items": {"$ref": "#/$defs/Category"},
                "description": "Sub-categories.",
            },
        },
        "required": ["name"],
        "additionalProperties": False,
        "$defs": {
            "Category": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Name."},
                    "children": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/Category"},
                        "description": "Sub-categories.",
                    },
                },
                "required": ["name"],
            }
        },
    }
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    assert tool.prepare_request(tree).json_body == tree
    with pytest.raises(ArgumentError, match=r"^argument 'children\[0\]\.children\[0\]': 'name'"):
        tool.prepare_request({"name": "a", "children": [{"name": "b", "children": [{}]}]})
