"""Tool curation: include/exclude by name, tag and glob, read-only mode, and the reviewed Ozon
classification table checked against the bundled spec."""

from __future__ import annotations

import copy
import logging

import pytest
from openapi_support import effective_hints, make_spec

from ozon_mcp.adapters.openapi import LoadedSpec, OperationTool, build_tools, repair_spec
from ozon_mcp.adapters.openapi.ozon_profile import OZON_OPERATIONS, Effect, is_ozon_performance
from ozon_mcp.adapters.openapi.selection import ToolSelection, parse_list, select_tools
from ozon_mcp.domain.errors import ConfigurationError

MUTATING_WORDS = (
    "Create",
    "Activate",
    "Deactivate",
    "Patch",
    "Add",
    "Update",
    "Delete",
    "Enable",
    "Disable",
    "Set",
)


def names(tools: list[OperationTool]) -> list[str]:
    return [tool.name for tool in tools]


def select(spec: LoadedSpec, **options: object) -> list[str]:
    selection = ToolSelection.parse(
        options.get("include"),  # type: ignore[arg-type]
        options.get("exclude"),  # type: ignore[arg-type]
        read_only=bool(options.get("read_only", False)),
    )
    return names(select_tools(spec, build_tools(spec, check_schemas=False), selection))


def test_the_table_classifies_exactly_the_operations_of_the_bundled_spec(
    ozon_spec: LoadedSpec,
) -> None:
    ids = {operation["operationId"] for _m, _p, _i, operation in ozon_spec.operations()}
    assert len(ids) == 40
    assert set(OZON_OPERATIONS) == ids
    assert is_ozon_performance(ozon_spec.document)


def test_every_operation_with_a_mutating_verb_is_classified_mutating() -> None:
    for operation_id, classification in OZON_OPERATIONS.items():
        words = operation_id.replace("ExternalCampaign_", "").replace("Batch", "")
        if words.startswith(MUTATING_WORDS):
            assert classification.effect is Effect.MUTATING, operation_id
    counts = dict.fromkeys(Effect, 0)
    for classification in OZON_OPERATIONS.values():
        counts[classification.effect] += 1
    assert counts == {Effect.READ: 21, Effect.PREPARES_REPORT: 6, Effect.MUTATING: 13}


def test_nothing_selected_means_every_tool(ozon_spec: LoadedSpec) -> None:
    assert len(select(ozon_spec)) == 40


def test_include_by_name_tag_and_glob_case_insensitively(ozon_spec: LoadedSpec) -> None:
    chosen = select(ozon_spec, include="listcampaigns, Vendor ,*Carrots*")
    assert chosen == [
        "ListCampaigns",
        "ExternalCampaign_BatchEnableCarrots4",
        "ExternalCampaign_BatchDisableCarrots4",
        "VendorStatisticsSubmitRequest",
        "VendorStatisticsListReports",
        "VendorStatisticsCheck",
        "GetVendorTag",
    ]


def test_exclude_wins_over_include(ozon_spec: LoadedSpec) -> None:
    chosen = select(ozon_spec, include="Product", exclude="DeleteProducts,Update*")
    assert chosen == ["AddProducts", "GetProductsV2", "GetProductsCompetitiveBids"]
    assert "Search-Promo" not in select(ozon_spec, exclude="Search-Promo")
    assert len(select(ozon_spec, exclude="search-promo")) == 40 - 9


@pytest.mark.parametrize(
    ("include", "exclude", "source", "unknown"),
    [
        ("ListCampaing", None, "OZON_MCP_TOOLS", "'ListCampaing'"),
        ("Campaign,Statistic", None, "OZON_MCP_TOOLS", "'Statistic'"),
        (None, "Nope*", "OZON_MCP_EXCLUDE_TOOLS", "'Nope*'"),
    ],
)
def test_an_unknown_entry_is_an_error_listing_the_valid_ones(
    ozon_spec: LoadedSpec, include: str | None, exclude: str | None, source: str, unknown: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        select(ozon_spec, include=include, exclude=exclude)
    message = str(caught.value)
    assert message.startswith(source)
    assert unknown in message
    assert "Valid tags: Ad, Campaign, Edit, Product, Search-Promo, Statistics, Vendor." in message
    assert "ListCampaigns" in message
    assert "GetVendorTag" in message


def test_read_only_keeps_reads_and_report_preparation_only(ozon_spec: LoadedSpec) -> None:
    chosen = select(ozon_spec, read_only=True)
    expected = [name for name, c in OZON_OPERATIONS.items() if c.effect is not Effect.MUTATING]
    assert sorted(chosen) == sorted(expected)
    assert len(chosen) == 27
    for kept in (
        "SubmitRequest",
        "ExternalCampaign_BidBySKU",
        "CalculateDynamicBudget",
        "ExternalCampaign_GetProductsRecommendedBids",
        "ExternalCampaign_GetCPOMinBids",
    ):
        assert kept in chosen
    for dropped in (
        "ActivateCampaign",
        "DeactivateCampaign",
        "PatchProductCampaign",
        "CreateProductCampaignCPCV2",
        "ExternalCampaign_SetSearchPromoBidsV2",
        "ExternalCampaign_BatchEnableProducts",
        "DeleteProducts",
    ):
        assert dropped not in chosen


def test_read_only_and_an_include_list_combine(
    ozon_spec: LoadedSpec, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ozon_mcp.selection")
    assert select(ozon_spec, include="Ad", read_only=True) == ["CalculateDynamicBudget"]
    assert not caplog.records  # a tag's writes are dropped quietly: that is what read-only means
    caplog.clear()
    assert select(ozon_spec, include="ActivateCampaign,ListCampaigns", read_only=True) == [
        "ListCampaigns"
    ]
    assert "hides ActivateCampaign" in caplog.text


def test_annotations_come_from_the_table(ozon_spec: LoadedSpec) -> None:
    tools = {
        tool.name: effective_hints(tool.annotations.as_mcp())
        for tool in select_tools(
            ozon_spec, build_tools(ozon_spec, check_schemas=False), ToolSelection()
        )
    }
    reads = {"readOnlyHint": True, "openWorldHint": True}
    assert tools["ListCampaigns"] == reads
    assert tools["ExternalCampaign_GetCPOMinBids"] == reads  # a POST that reads
    assert tools["SubmitRequest"] == {
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert tools["DeactivateCampaign"] == {
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": True,
        "openWorldHint": True,
    }
    assert tools["CreateProductCampaignCPCV2"] == {
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert tools["ExternalCampaign_BatchDisableCarrots4"]["destructiveHint"] is True


def _with_new_operation(spec: LoadedSpec, method: str) -> LoadedSpec:
    document = copy.deepcopy(spec.document)
    document["paths"]["/api/client/brand-new"] = {
        method: {
            "operationId": "BrandNewOperation",
            "tags": ["Campaign"],
            "summary": "Something a future spec adds",
            "responses": {"200": {"description": "OK"}},
        }
    }
    return repair_spec(document, "future-ozon-spec")


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unclassified_ozon_operation_is_hidden_in_read_only_mode_with_a_warning(
    ozon_spec: LoadedSpec, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    future = _with_new_operation(ozon_spec, method)
    caplog.set_level(logging.WARNING, logger="ozon_mcp.selection")
    assert "BrandNewOperation" in select(future)  # exposed when writes are allowed
    assert not caplog.records
    chosen = select(future, read_only=True)
    assert "BrandNewOperation" not in chosen
    assert len(chosen) == 27
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("BrandNewOperation" in w and "not in the reviewed Ozon" in w for w in warnings)


GENERIC = {
    "/things": {
        "get": {
            "operationId": "listThings",
            "tags": ["things"],
            "responses": {"200": {"description": "ok"}},
        },
        "post": {
            "operationId": "createThing",
            "tags": ["things"],
            "responses": {"200": {"description": "ok"}},
        },
    },
    "/things/{id}": {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "head": {"operationId": "thingExists", "responses": {"200": {"description": "ok"}}},
        "delete": {
            "operationId": "deleteThing",
            "tags": ["admin"],
            "responses": {"200": {"description": "ok"}},
        },
        "put": {"operationId": "replaceThing", "responses": {"200": {"description": "ok"}}},
    },
    "/search": {
        "post": {
            "operationId": "searchThings",
            "x-safe": True,
            "responses": {"200": {"description": "ok"}},
        }
    },
}


def test_generic_read_only_means_get_head_and_operations_marked_safe() -> None:
    spec = make_spec(copy.deepcopy(GENERIC))
    assert not is_ozon_performance(spec.document)
    assert select(spec, read_only=True) == ["listThings", "thingExists", "searchThings"]
    assert select(spec, include="things") == ["listThings", "createThing"]
    assert select(spec, exclude="admin,*Thing") == ["listThings", "thingExists", "searchThings"]
    with pytest.raises(ConfigurationError, match=r"Valid tags: admin, things\."):
        select(spec, include="thing")


def test_parse_list() -> None:
    assert parse_list(None) == ()
    assert parse_list(" a, ,b,a ,") == ("a", "b")
    assert parse_list(["x", " y "]) == ("x", "y")
