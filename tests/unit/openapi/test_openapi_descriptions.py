"""Lean tool descriptions: the tools/list size bound for the 40 Ozon tools, every argument still
described, every enum / required / default untouched, and `full` giving the spec's text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import types
from openapi_support import GENERIC_SPECS

from ozon_mcp.adapters.mcp.server import to_mcp_tool
from ozon_mcp.adapters.mcp.status import AUTH_STATUS_TOOL
from ozon_mcp.adapters.openapi import LoadedSpec, OperationTool, build_tools, load_spec
from ozon_mcp.adapters.openapi.descriptions import (
    CUT_MARK,
    describe_tools,
    leading_sentences,
    lean_text,
    lean_tool_description,
)
from ozon_mcp.adapters.openapi.selection import ToolSelection, select_tools

LEAN_LIMIT_BYTES = 30_000


def published(spec: LoadedSpec, mode: str) -> list[OperationTool]:
    """The tools as the container publishes them (full text built, then described, selected)."""
    built = build_tools(
        spec, description_limit=0, parameter_description_limit=0, check_schemas=False
    )
    return select_tools(spec, describe_tools(built, mode), ToolSelection())  # type: ignore[arg-type]


def tools_list_bytes(tools: list[OperationTool]) -> int:
    """The size of the JSON-RPC answer line of tools/list, as the server sends it."""
    result = types.ListToolsResult(tools=[*(to_mcp_tool(t) for t in tools), AUTH_STATUS_TOOL])
    line = (
        '{"jsonrpc":"2.0","id":2,"result":'
        + result.model_dump_json(by_alias=True, exclude_none=True)
        + "}"
    )
    return len(line.encode("utf-8"))


@pytest.fixture(scope="module")
def lean(ozon_spec: LoadedSpec) -> list[OperationTool]:
    return published(ozon_spec, "lean")


@pytest.fixture(scope="module")
def full(ozon_spec: LoadedSpec) -> list[OperationTool]:
    return published(ozon_spec, "full")


def test_the_lean_tools_list_stays_under_30_kb(
    lean: list[OperationTool], full: list[OperationTool]
) -> None:
    assert len(lean) == 40
    lean_bytes, full_bytes = tools_list_bytes(lean), tools_list_bytes(full)
    assert lean_bytes <= LEAN_LIMIT_BYTES, lean_bytes
    assert full_bytes > 55_000, full_bytes  # the spec's whole text, for OZON_MCP_DESCRIPTIONS=full


def test_every_argument_keeps_a_description(lean: list[OperationTool]) -> None:
    arguments = 0
    for tool in lean:
        assert tool.description.strip(), tool.name
        for name, schema in tool.input_schema["properties"].items():
            assert str(schema.get("description", "")).strip(), f"{tool.name}.{name}"
            arguments += 1
    assert arguments >= 100


def _without_prose(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: value if key in ("enum", "default", "const", "examples") else _without_prose(value)
            for key, value in node.items()
            if not (key == "description" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_without_prose(item) for item in node]
    return node


def test_only_prose_changes_enums_required_and_defaults_stay(
    lean: list[OperationTool], full: list[OperationTool]
) -> None:
    enums = 0
    for short, long in zip(lean, full, strict=True):
        assert short.name == long.name
        assert _without_prose(short.input_schema) == _without_prose(long.input_schema), short.name
        enums += json.dumps(short.input_schema).count('"enum"')
        assert short.annotations == long.annotations
    assert enums >= 10


def test_full_mode_is_the_spec_text(lean: list[OperationTool], full: list[OperationTool]) -> None:
    by_name = {tool.name: tool for tool in full}
    submit = by_name["SubmitRequest"]
    assert submit.title == "Статистика по кампании"
    assert "Performance API асинхронный" in submit.description
    assert "/api/client/statistics/json" in submit.description
    assert CUT_MARK not in submit.description
    lean_submit = {tool.name: tool for tool in lean}["SubmitRequest"]
    assert lean_submit.title is None  # the description starts with the same summary
    assert lean_submit.description.startswith("Статистика по кампании")


def test_report_tools_keep_the_workflow_in_one_line(lean: list[OperationTool]) -> None:
    by_name = {tool.name: tool for tool in lean}
    for name in (
        "SubmitRequest",
        "AttributionSubmitRequest",
        "SearchPromoOrdersReportSubmitRequest",
    ):
        description = by_name[name].description
        assert "Асинхронно: ответ — UUID отчёта, статус — `StatisticsCheck`" in description, name
        assert "`DownloadStatistics`" in description
        assert "асинхронный" not in description
    assert "`dateFrom`/`dateTo`" in by_name["SubmitRequest"].description


def test_lean_text_removes_repetition_only() -> None:
    assert lean_text("Список товаров.\n\nНеобязательное поле.") == "Список товаров."
    assert lean_text("Optional.") == ""
    assert (
        lean_text("Тип:\n- `DATE` — по дням;\n- `WEEK` — по неделям.")
        == "Тип: • `DATE` — по дням; • `WEEK` — по неделям."
    )
    assert lean_text("См. [документацию](https://docs.example.com/x) <br> далее") == (
        "См. документацию далее"
    )
    money = (
        "Бюджет. Единица измерения — одна миллионная доля рубля, округляется до\nкопеек. "
        "Например, значение `1 000 000` в параметре равно 1 рублю."
    )
    assert (
        lean_text(money)
        == "Бюджет. В миллионных долях рубля (`1000000` = 1 ₽), округляется до копеек."
    )
    json_hint = (
        "Формат отчёта — CSV.\n\nЧтобы запросить отчёт в формате JSON, добавьте в адрес метода "
        "`/json` и отправьте запрос по адресу `/api/client/statistics/json`."
    )
    assert lean_text(json_hint) == "Формат отчёта — CSV."


def test_leading_sentences_keep_whole_sentences_and_mark_the_cut() -> None:
    assert leading_sentences("Short.", 10) == "Short."
    assert leading_sentences("One two. Three four five.", 12) == f"One two. {CUT_MARK}"
    assert leading_sentences("Averyveryverylongword and more", 8) == f"Averyver {CUT_MARK}"
    assert leading_sentences("Some words here and there", 12) == f"Some words {CUT_MARK}"
    # The limit is in UTF-8 bytes (what tools/list costs): a Cyrillic letter takes two.
    assert leading_sentences("Привет мир. Ещё.", 22) == f"Привет мир. {CUT_MARK}"
    assert leading_sentences("Приветствую", 7) == f"При {CUT_MARK}"
    described = lean_tool_description("Summary\n\nDetail one. Detail two.", limit=0)
    assert described == f"Summary {CUT_MARK}"


@pytest.mark.parametrize("path", GENERIC_SPECS, ids=lambda p: p.name)
def test_lean_mode_on_other_vendors_specs_changes_prose_only(path: Path) -> None:
    spec = load_spec(path)
    lean, full = published(spec, "lean"), published(spec, "full")
    assert lean
    for short, long in zip(lean, full, strict=True):
        assert _without_prose(short.input_schema) == _without_prose(long.input_schema)
        assert short.description.strip()
        assert len(short.description.encode()) <= len(long.description.encode()) + 1
        for name, schema in short.input_schema["properties"].items():
            if str(long.input_schema["properties"][name].get("description", "")).strip():
                assert str(schema.get("description", "")).strip(), f"{short.name}.{name}"
        short.check_schemas()
    assert tools_list_bytes(lean) <= tools_list_bytes(full)
