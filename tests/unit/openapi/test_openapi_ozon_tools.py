"""The tools built from the bundled Ozon Performance spec."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_support import effective_hints

from ozon_mcp.adapters.openapi import LoadedSpec, OperationTool, build_tools

OZON_OPERATION_IDS = [
    "ListCampaigns",
    "ListCampaignObjects",
    "GetLimitsList",
    "ExternalCampaign_BidBySKU",
    "SubmitRequest",
    "VideoCampaignsSubmitRequest",
    "AttributionSubmitRequest",
    "StatisticsCheck",
    "ListReports",
    "ListReportsExternal",
    "DownloadStatistics",
    "MediaCampaignList",
    "ProductCampaignList",
    "GetCampaignExpense",
    "GetCampaignDailyStats",
    "SearchPromoOrdersReportSubmitRequest",
    "SearchPromoProductsReportSubmitRequest",
    "CreateProductCampaignCPCV2",
    "CalculateDynamicBudget",
    "ActivateCampaign",
    "DeactivateCampaign",
    "PatchProductCampaign",
    "AddProducts",
    "UpdateProducts",
    "GetProductsV2",
    "DeleteProducts",
    "GetProductsCompetitiveBids",
    "ExternalCampaign_ListSearchPromoProductsV2",
    "ExternalCampaign_GetProductsRecommendedBids",
    "ExternalCampaign_SetSearchPromoBidsV2",
    "ExternalCampaign_GetCPOMinBids",
    "ExternalCampaign_BatchEnableProducts",
    "ExternalCampaign_BatchDisableProducts",
    "ExternalCampaign_DeleteSearchPromoBidsV2",
    "ExternalCampaign_BatchEnableCarrots4",
    "ExternalCampaign_BatchDisableCarrots4",
    "VendorStatisticsSubmitRequest",
    "VendorStatisticsListReports",
    "VendorStatisticsCheck",
    "GetVendorTag",
]
DESTRUCTIVE = {
    "DeactivateCampaign",
    "DeleteProducts",
    "ExternalCampaign_BatchDisableProducts",
    "ExternalCampaign_DeleteSearchPromoBidsV2",
    "ExternalCampaign_BatchDisableCarrots4",
}
TOOLS_LIST_BUDGET_BYTES = 55_000


def listed(tool: OperationTool) -> dict[str, Any]:
    """What tools/list publishes for a tool, as the size budget counts it."""
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": tool.input_schema,
        "annotations": tool.annotations.as_mcp(),
    }


def walk_schemas(schema: Any) -> list[dict[str, Any]]:
    """Every dict inside a schema (for keyword checks)."""
    found: list[dict[str, Any]] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def test_one_tool_per_operation_named_by_operation_id(ozon_tools: dict[str, OperationTool]) -> None:
    assert sorted(ozon_tools) == sorted(OZON_OPERATION_IDS)
    assert len(ozon_tools) == 40
    for name, tool in ozon_tools.items():
        assert tool.operation_id == name
        assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", name)


def test_every_input_schema_is_valid_json_schema_with_an_object_root(
    ozon_tools: dict[str, OperationTool],
) -> None:
    for tool in ozon_tools.values():
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        text = json.dumps(tool.input_schema)
        assert "#/components" not in text
        assert "nullable" not in text


def test_every_argument_is_documented(ozon_tools: dict[str, OperationTool]) -> None:
    for tool in ozon_tools.values():
        for name, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"


def test_tools_list_stays_within_the_size_budget(ozon_tools: dict[str, OperationTool]) -> None:
    # Wire size (UTF-8): the Cyrillic of the Ozon spec is sent as is, not \u-escaped.
    total = sum(
        len(json.dumps(listed(t), ensure_ascii=False).encode()) for t in ozon_tools.values()
    )
    assert total < TOOLS_LIST_BUDGET_BYTES
    assert total > 40_000  # descriptions were trimmed, not thrown away


def test_read_only_and_destructive_hints(ozon_tools: dict[str, OperationTool]) -> None:
    for name, tool in ozon_tools.items():
        assert tool.annotations.read_only is (tool.method == "GET"), name
        assert tool.annotations.destructive is (name in DESTRUCTIVE), name
    hints = {name: effective_hints(tool.annotations.as_mcp()) for name, tool in ozon_tools.items()}
    assert hints["ListCampaigns"] == {"readOnlyHint": True, "openWorldHint": True}
    assert hints["DeactivateCampaign"] == {
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert hints["UpdateProducts"] == {
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": True,
    }


def test_title_and_description_come_from_summary_and_description(
    ozon_tools: dict[str, OperationTool],
) -> None:
    activate = ozon_tools["ActivateCampaign"]
    assert activate.title == "Активировать кампанию"
    assert activate.description == "Активировать кампанию"
    limits = ozon_tools["GetLimitsList"]
    assert limits.title == "Лимиты ставок для инструментов продвижения"
    assert limits.description.startswith("Лимиты ставок для инструментов продвижения\n\n")


def test_long_description_is_trimmed_with_a_note_and_links_name_tools(
    ozon_tools: dict[str, OperationTool],
) -> None:
    submit = ozon_tools["SubmitRequest"].description
    assert len(submit) <= 500
    assert re.search(r"уникальный идентификатор … \(trimmed \d+ chars\)$", submit)
    # Links to anchors of the rendered docs become tool names the model can call.
    video = ozon_tools["VideoCampaignsSubmitRequest"].description
    assert "проверить статус формирования отчёта (`StatisticsCheck`)" in video
    assert "скачать отчёт (`DownloadStatistics`)" in video
    objects = ozon_tools["ListCampaignObjects"].description
    assert "используйте `ExternalCampaign_ListSearchPromoProductsV2`" in objects
    assert all("](#" not in tool.description for tool in ozon_tools.values())


def test_empty_required_body_asks_nothing_and_sends_an_empty_object(
    ozon_tools: dict[str, OperationTool],
) -> None:
    for name in ("ActivateCampaign", "DeactivateCampaign"):
        tool = ozon_tools[name]
        assert tool.input_schema["properties"].keys() == {"campaignId"}
        assert tool.input_schema["required"] == ["campaignId"]
        request = tool.prepare_request({"campaignId": "123"})
        assert request.json_body == {}
        assert request.headers == {"Content-Type": "application/json"}
    request = ozon_tools["ActivateCampaign"].prepare_request({"campaignId": "123"})
    assert (request.method, request.path) == ("POST", "/api/client/campaign/123/activate")


def test_submit_request_flattens_the_body_and_requires_campaigns(
    ozon_tools: dict[str, OperationTool],
) -> None:
    tool = ozon_tools["SubmitRequest"]
    assert list(tool.input_schema["properties"]) == [
        "campaigns",
        "from",
        "to",
        "dateFrom",
        "dateTo",
        "groupBy",
    ]
    assert tool.input_schema["required"] == ["campaigns"]
    request = tool.prepare_request({"campaigns": ["1", "2"], "groupBy": "DATE"})
    assert request.method == "POST"
    assert request.path == "/api/client/statistics"
    assert request.query == ()
    assert request.json_body == {"campaigns": ["1", "2"], "groupBy": "DATE"}


def test_list_campaigns_sends_arrays_exploded_in_the_query(
    ozon_tools: dict[str, OperationTool],
) -> None:
    request = ozon_tools["ListCampaigns"].prepare_request(
        {"campaignIds": ["11", "12"], "state": "CAMPAIGN_STATE_RUNNING", "page": 2}
    )
    assert request.method == "GET"
    assert request.path == "/api/client/campaign"
    assert request.query == (
        ("campaignIds", "11"),
        ("campaignIds", "12"),
        ("state", "CAMPAIGN_STATE_RUNNING"),
        ("page", "2"),
    )
    assert request.json_body is None
    assert request.headers == {}


def test_null_enum_in_the_spec_does_not_break_the_schemas(ozon_spec: LoadedSpec) -> None:
    # extcampaignCampaignState has `enum: null`; the repair drops it, so the campaign list
    # schema is valid and accepts any state string instead of making the whole tool fail.
    schemas = ozon_spec.document["components"]["schemas"]
    assert "enum" not in schemas["extcampaignCampaignState"]
    assert "enum" not in schemas["camptypeCampaignType"]
    tools = {tool.name: tool for tool in build_tools(ozon_spec, output_schemas=True)}
    validator = tools["ListCampaigns"].output_validator
    assert validator is not None
    campaign = {"id": "1", "state": "CAMPAIGN_STATE_RUNNING", "placement": "PLACEMENT_PDP"}
    assert validator.is_valid({"list": [campaign], "total": "1"})
    assert not validator.is_valid({"list": [{**campaign, "state": 7}]})


def test_output_schemas_are_off_by_default(ozon_tools: dict[str, OperationTool]) -> None:
    assert all(tool.output_schema is None for tool in ozon_tools.values())
    assert all(tool.output_validator is None for tool in ozon_tools.values())


def test_output_schemas_only_for_json_object_answers(ozon_spec: LoadedSpec) -> None:
    tools = {tool.name: tool for tool in build_tools(ozon_spec, output_schemas=True)}
    without = sorted(name for name, tool in tools.items() if tool.output_schema is None)
    # CSV (DownloadStatistics) and the `{}` "anything" answers get none.
    assert without == ["AddProducts", "DeleteProducts", "DownloadStatistics", "UpdateProducts"]
    for tool in tools.values():
        if tool.output_schema is not None:
            assert tool.output_schema["type"] == "object"
            Draft202012Validator.check_schema(tool.output_schema)
            assert tool.output_validator is not None
    limits = tools["GetLimitsList"]
    assert limits.output_validator is not None
    assert limits.output_validator.is_valid({"limits": []})
    assert not limits.output_validator.is_valid({"limits": "none"})


@pytest.mark.parametrize("name", ["StatisticsCheck", "VendorStatisticsCheck"])
def test_path_parameters_are_required(ozon_tools: dict[str, OperationTool], name: str) -> None:
    tool = ozon_tools[name]
    assert "UUID" in tool.input_schema["required"]
    assert tool.parameters[0].location == "path"
