"""tools/list over a real MCP session: 40 operation tools plus `auth_status`, valid input
schemas, annotations from the HTTP method and the operation name, and output schemas only
when OZON_MCP_OUTPUT_SCHEMAS=1 (object roots; a deviating answer never raises in the client)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp.types import Tool
from mcp_support import effective_hints, emulator_settings, mcp_session, result_text

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.openapi.ozon_profile import OZON_OPERATIONS
from ozon_mcp.adapters.openapi.spec import LoadedSpec
from ozon_mcp.app.settings import Settings

pytestmark = pytest.mark.anyio
# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True

MODES = ["auto", "legacy"]
# The issue: destructive = DELETE, or an operation whose name says it deletes/disables/deactivates.


def spec_operations(spec: LoadedSpec) -> dict[str, tuple[str, dict[str, Any]]]:
    """operationId -> (HTTP method, operation object), read straight from the spec."""
    return {op["operationId"]: (method, op) for method, _path, _item, op in spec.operations()}


async def list_tools(settings: Settings, mode: str) -> list[Tool]:
    async with mcp_session(settings, mode=mode) as session:
        return list((await session.client.list_tools()).tools)


@pytest.mark.parametrize("mode", MODES)
async def test_every_operation_is_a_tool_plus_auth_status(
    emulator: EmulatorHandle, ozon_spec: LoadedSpec, mode: str
) -> None:
    tools = await list_tools(emulator_settings(emulator), mode)
    names = [tool.name for tool in tools]
    operations = spec_operations(ozon_spec)
    assert len(operations) == 40
    assert len(names) == len(set(names)) == 42
    # auth_status and the composite report tool (issue 12) come on top of the operations.
    assert set(names) == set(operations) | {"auth_status", "get_campaign_statistics"}
    assert set(operations) == set(emulator.control.operation_ids)


@pytest.mark.parametrize("mode", MODES)
async def test_input_schemas_are_valid_json_schema_objects(
    emulator: EmulatorHandle, mode: str
) -> None:
    for tool in await list_tools(emulator_settings(emulator), mode):
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.input_schema.get("type") == "object", tool.name
        required = tool.input_schema.get("required", [])
        assert set(required) <= set(tool.input_schema.get("properties", {})), tool.name


async def test_schemas_carry_the_operation_parameters_and_body(emulator: EmulatorHandle) -> None:
    tools = {t.name: t for t in await list_tools(emulator_settings(emulator), "auto")}
    campaigns = tools["ListCampaigns"].input_schema["properties"]
    assert {"campaignIds", "advObjectType", "state", "page", "pageSize"} <= set(campaigns)
    assert campaigns["campaignIds"]["type"] == "array"
    objects = tools["ListCampaignObjects"].input_schema
    assert objects["required"] == ["campaignId"]
    submit = tools["SubmitRequest"].input_schema
    assert {"campaigns", "from", "to", "groupBy"} <= set(submit["properties"])
    assert "campaigns" in submit["required"]  # the spec defect `required: true`, repaired
    # ActivateCampaign's body is required but empty: the caller is not asked for it.
    assert set(tools["ActivateCampaign"].input_schema["properties"]) == {"campaignId"}
    assert tools["GetLimitsList"].input_schema.get("properties", {}) == {}


@pytest.mark.parametrize("mode", MODES)
async def test_annotations_follow_the_reviewed_ozon_table(
    emulator: EmulatorHandle, ozon_spec: LoadedSpec, mode: str
) -> None:
    """The Ozon profile's hints come from its classification table (a POST that only reads,
    such as minimal bids, is read-only; overwriting bids is destructive)."""
    operations = spec_operations(ozon_spec)
    tools = {t.name: t for t in await list_tools(emulator_settings(emulator), mode)}
    destructive = set()
    for name, (_method, operation) in operations.items():
        annotations = tools[name].annotations
        reviewed = OZON_OPERATIONS[name].annotations()
        # Only the hints that differ from MCP's defaults are sent ...
        sent = annotations.model_dump(by_alias=True, exclude_none=True) if annotations else {}
        assert sent == reviewed.as_mcp(), name
        # ... and a client reading them (defaults for the rest) gets the whole table row.
        hints = effective_hints(annotations)
        assert hints["readOnlyHint"] is reviewed.read_only, name
        assert hints["openWorldHint"] is True, name
        if not reviewed.read_only:
            assert hints["destructiveHint"] is reviewed.destructive, name
            assert hints["idempotentHint"] is reviewed.idempotent, name
        if hints.get("destructiveHint"):
            destructive.add(name)
        if operation.get("summary"):  # lean descriptions start with it (no separate title)
            assert operation["summary"].strip()[:10] in (tools[name].description or ""), name
    assert {"DeactivateCampaign", "DeleteProducts"} <= destructive
    assert "ActivateCampaign" not in destructive  # "activate" contains no destructive word
    assert effective_hints(tools["ExternalCampaign_GetCPOMinBids"].annotations)["readOnlyHint"]
    status = tools["auth_status"]
    assert effective_hints(status.annotations) == {"readOnlyHint": True, "openWorldHint": False}
    assert status.input_schema.get("properties", {}) == {}


@pytest.mark.parametrize("mode", MODES)
async def test_no_output_schemas_by_default(emulator: EmulatorHandle, mode: str) -> None:
    tools = await list_tools(emulator_settings(emulator), mode)
    assert [t.name for t in tools if t.output_schema is not None] == []


@pytest.mark.parametrize("mode", MODES)
async def test_output_schemas_on_request_are_objects_and_never_break_the_client(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("OZON_MCP_OUTPUT_SCHEMAS", "1")  # the documented switch, via the env
    settings = emulator_settings(emulator)
    assert settings.ozon_mcp_output_schemas is True
    async with mcp_session(settings, mode=mode) as session:
        tools = {t.name: t for t in (await session.client.list_tools()).tools}
        published = {name: t.output_schema for name, t in tools.items() if t.output_schema}
        assert "GetLimitsList" in published
        assert "ListCampaigns" in published
        for name, schema in published.items():
            Draft202012Validator.check_schema(schema)
            assert schema.get("type") == "object", name
        assert tools["DownloadStatistics"].output_schema is None  # a CSV answer

        # A conforming answer: structured content, validated by the client without complaint.
        limits = await session.call("GetLimitsList")
        assert not limits.is_error, result_text(limits)
        assert isinstance(limits.structured_content, dict)
        assert "limits" in limits.structured_content

        # An answer that deviates from the spec: no client-side exception, the raw text shown.
        emulator.control.set_operation_fault(
            "GetLimitsList", status=200, body=b'{"limits": "not-a-list-here"}', count=1
        )
        deviating = await session.call("GetLimitsList")
        assert "not-a-list-here" in result_text(deviating)
        assert deviating.structured_content is None

        # The CSV download works with schemas on (FastMCP's server breaks exactly here).
        submitted = await session.call(
            "SubmitRequest",
            {"campaigns": ["1000001"], "dateFrom": "2024-01-01", "dateTo": "2024-01-07"},
        )
        assert not submitted.is_error, result_text(submitted)
        uuid = (submitted.structured_content or {})["UUID"]
        # The emulator's clock, not a wait: the report is done once its delay has passed.
        emulator.control.advance_clock(emulator.config.report_delay)
        check = await session.call("StatisticsCheck", {"UUID": uuid})
        assert (check.structured_content or {}).get("state") == "OK", result_text(check)
        report = await session.call("DownloadStatistics", {"UUID": uuid})
        assert not report.is_error, result_text(report)
        assert report.structured_content is None
        assert ";" in result_text(report)  # Ozon's CSV is semicolon-separated
