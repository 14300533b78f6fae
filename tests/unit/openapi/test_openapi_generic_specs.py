"""Any OpenAPI spec, not only Ozon's: the three public fixture specs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_support import GENERIC_SPECS, HMRC, PAYPAL, VIRTO

from ozon_mcp.adapters.openapi import (
    ArgumentError,
    OperationTool,
    PreparedRequest,
    build_tools,
    load_spec,
)

PAYPAL_NAMES = [
    "webhooks.post",
    "webhooks.list",
    "webhooks.get",
    "webhooks.update",
    "webhooks.delete",
    "event-types.list",
    "webhooks-lookup.post",
    "webhooks-lookup.list",
    "webhooks-lookup.get",
    "webhooks-lookup.delete",
    "verify-webhook-signature.post",
    "webhooks-event-types.list",
    "webhooks-events.list",
    "webhooks-events.get",
    "webhooks-events.resend",
    "simulate-event.post",
]


def tools_of(path: Path, *, output_schemas: bool = False) -> dict[str, OperationTool]:
    return {t.name: t for t in build_tools(load_spec(path), output_schemas=output_schemas)}


@pytest.mark.parametrize("path", GENERIC_SPECS, ids=lambda p: p.name)
@pytest.mark.parametrize("output_schemas", [False, True])
def test_every_tool_of_every_fixture_has_valid_documented_schemas(
    path: Path, output_schemas: bool
) -> None:
    tools = tools_of(path, output_schemas=output_schemas)
    assert tools
    for tool in tools.values():
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.input_schema["type"] == "object"
        assert tool.description
        for name, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), f"{tool.name}.{name}"
        if tool.output_schema is not None:
            Draft202012Validator.check_schema(tool.output_schema)
            assert tool.output_schema["type"] == "object"


def test_hmrc_operations_without_ids_get_names_from_method_and_path() -> None:
    tools = tools_of(HMRC)
    assert list(tools) == ["get_hello_world", "get_hello_user", "get_hello_application"]
    hello = tools["get_hello_world"]
    assert hello.title == "Say hello world"
    assert hello.operation_id is None
    assert hello.input_schema == {
        "type": "object",
        "properties": {
            "Accept": {
                "type": "string",
                "enum": ["application/vnd.hmrc.1.0+json", "application/vnd.hmrc.1.0+xml"],
                "description": "Header parameter.",
            }
        },
        "required": ["Accept"],
        "additionalProperties": False,
    }
    assert hello.prepare_request({"Accept": "application/vnd.hmrc.1.0+json"}) == PreparedRequest(
        "GET", "/hello/world", (), {"Accept": "application/vnd.hmrc.1.0+json"}, None
    )


def test_paypal_operation_ids_with_dots_and_dashes_are_kept() -> None:
    tools = tools_of(PAYPAL)
    assert sorted(tools) == sorted(PAYPAL_NAMES)
    assert tools["webhooks.delete"].annotations.destructive is True
    assert tools["webhooks-lookup.delete"].annotations.destructive is True
    assert tools["webhooks.post"].annotations.destructive is False
    assert tools["webhooks.list"].annotations.read_only is True


def test_paypal_read_only_properties_are_not_arguments() -> None:
    tools = tools_of(PAYPAL)
    # `webhook.id` and `webhook.links` are readOnly: the server sets them.
    assert list(tools["webhooks.post"].input_schema["properties"]) == ["url", "event_types"]


def test_paypal_patch_body_is_an_array_argument() -> None:
    tool = tools_of(PAYPAL)["webhooks.update"]
    assert list(tool.input_schema["properties"]) == ["webhook_id", "body"]
    assert tool.input_schema["properties"]["body"]["type"] == "array"
    patch = [{"op": "replace", "path": "/url", "value": "https://example.com/hook"}]
    request = tool.prepare_request({"webhook_id": "WH/1", "body": patch})
    assert request == PreparedRequest(
        "PATCH",
        "/v1/notifications/webhooks/WH%2F1",
        (),
        {"Content-Type": "application/json"},
        patch,
    )


def test_paypal_path_parameter_constraints_are_enforced() -> None:
    tool = tools_of(PAYPAL)["webhooks-events.resend"]
    with pytest.raises(ArgumentError, match=r"argument 'event_id': 'a-b' does not match"):
        tool.prepare_request({"event_id": "a-b"})


def test_paypal_output_schemas_are_published_only_when_asked() -> None:
    with_schemas = tools_of(PAYPAL, output_schemas=True)
    assert sorted(n for n, t in with_schemas.items() if t.output_schema is None) == [
        "webhooks-lookup.delete",
        "webhooks.delete",
    ]
    assert all(t.output_schema is None for t in tools_of(PAYPAL).values())


def test_virto_duplicate_operation_id_gets_a_stable_suffix_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.openapi"):
        tools = build_tools(load_spec(VIRTO))
    by_name = {t.name: t for t in tools}
    assert len(tools) == 16
    assert by_name["InventoryModule_GetProductInventories"].path == (
        "/api/inventory/products/{productId}"
    )
    assert by_name["InventoryModule_GetProductInventories_2"].path == "/api/inventory/products"
    assert by_name["InventoryModule_GetProductInventories_2"].operation_id == (
        "InventoryModule_GetProductInventories"
    )
    assert [r.getMessage() for r in caplog.records] == [
        "duplicate tool name 'InventoryModule_GetProductInventories': this operation is "
        "published as 'InventoryModule_GetProductInventories_2'"
    ]
    again = [t.name for t in build_tools(load_spec(VIRTO))]
    assert again == [t.name for t in tools]


def test_virto_all_of_bodies_are_flattened_and_collisions_renamed() -> None:
    tools = tools_of(VIRTO)
    update = tools["InventoryModule_UpdateProductInventory"]
    properties = update.input_schema["properties"]
    assert properties["productId"]["description"] == "Path parameter."
    assert properties["body_productId"] == {
        "type": ["string", "null"],
        "description": "Request body field `productId`.",
    }
    assert update.input_schema["required"] == ["productId"]
    request = update.prepare_request(
        {"productId": "p 1", "body_productId": "p1", "inStockQuantity": 5, "outerId": None}
    )
    assert request.path == "/api/inventory/products/p%201"
    assert request.json_body == {"productId": "p1", "inStockQuantity": 5, "outerId": None}
    assert request.headers == {"Content-Type": "application/json"}


def test_virto_nullable_and_read_only_fields() -> None:
    save = tools_of(VIRTO)["InventoryModule_SaveFulfillmentCenter"]
    properties = save.input_schema["properties"]
    assert "objectType" not in properties  # readOnly in FulfillmentCenter
    assert properties["name"] == {"type": ["string", "null"], "description": "Request body field."}
    assert properties["createdBy"] == {
        "maxLength": 64,
        "minLength": 0,
        "type": ["string", "null"],
        "description": "Request body field.",
    }
    save.validate_arguments({"name": None, "address": None})
    with pytest.raises(ArgumentError, match=r"argument 'createdBy': 'x+' is too long"):
        save.validate_arguments({"createdBy": "x" * 65})


def test_virto_gets_no_output_schema_because_answers_may_be_text() -> None:
    # Each 200 lists text/plain next to application/json: structured content is not certain.
    assert all(t.output_schema is None for t in tools_of(VIRTO, output_schemas=True).values())
