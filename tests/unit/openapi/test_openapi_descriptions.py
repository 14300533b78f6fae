"""Lean tool descriptions: the tools/list size bound for the 40 Ozon tools, no description cut
(tool or argument), every argument still described, every enum value the spec explains still
explained, every literal and number of a tool or parameter text kept (a tool's answer contents
the one named exception), every enum / required / default untouched, and `full` giving the
spec's text."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import types
from openapi_support import GENERIC_SPECS, json_body, one_tool

from ozon_mcp.adapters.mcp.server import to_mcp_tool
from ozon_mcp.adapters.mcp.status import AUTH_STATUS_TOOL
from ozon_mcp.adapters.openapi import (
    LoadedSpec,
    OperationTool,
    build_tools,
    descriptions,
    load_spec,
    phrasebook,
)
from ozon_mcp.adapters.openapi.descriptions import (
    ANSWER_CONTENTS,
    describe_tools,
    lean_text,
    lean_tool_description,
    said_once,
)
from ozon_mcp.adapters.openapi.selection import ToolSelection, select_tools

LEAN_LIMIT_BYTES = 30_000
CUT_MARK = "…"  # what a cut text would end with


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


def spec_tools_bytes(tools: list[OperationTool]) -> int:
    """The bench's M4 count: a compact tools/list answer holding only the spec's tools."""
    listed = [to_mcp_tool(t).model_dump(by_alias=True, exclude_none=True) for t in tools]
    answer = {"jsonrpc": "2.0", "id": 2, "result": {"tools": listed}}
    return len(json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode())


def test_the_lean_tools_list_stays_under_30_kb(
    lean: list[OperationTool], full: list[OperationTool]
) -> None:
    assert len(lean) == 40
    lean_bytes, full_bytes = tools_list_bytes(lean), tools_list_bytes(full)
    assert lean_bytes <= LEAN_LIMIT_BYTES, lean_bytes  # auth_status included
    assert spec_tools_bytes(lean) <= LEAN_LIMIT_BYTES
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
        assert "Вернёт UUID для StatisticsCheck и DownloadStatistics" in description, name
        assert "асинхронный" not in description
    assert "Период: dateFrom/dateTo, иначе from/to." in by_name["SubmitRequest"].description


def test_lean_text_removes_repetition_only() -> None:
    assert lean_text("Список товаров.\n\nНеобязательное поле.") == "Список товаров."
    assert lean_text("Optional.") == ""
    assert (
        lean_text("Тип:\n- `DATE` — по дням;\n- `WEEK` — по неделям.")
        == "Тип: DATE - по дням; WEEK - по неделям."
    )
    # An item without punctuation of its own still ends where the next one starts.
    assert lean_text("Поля:\n- `a`\n- `b c`") == "Поля: a; `b c`"
    assert lean_text("См. [документацию](https://docs.example.com/x) <br> далее") == (
        "См. документацию далее"
    )
    money = (
        "Бюджет. Единица измерения — одна миллионная доля рубля, округляется до\nкопеек. "
        "Например, значение `1 000 000` в параметре равно 1 рублю."
    )
    assert lean_text(money) == "Бюджет. В микрорублях (1000000 = 1 ₽, до копеек)."
    json_hint = (
        "Формат — CSV.\n\nЧтобы запросить отчёт в формате JSON, добавьте в адрес метода "
        "`/json` и отправьте запрос по адресу `/api/client/statistics/json`."
    )
    assert lean_text(json_hint) == "Формат - CSV."
    # An example of a layout the text has named, and "идентификатор" for which "ID" says it.
    assert lean_text("Дата в формате ГГГГ-ММ-ДД. Например: `2019-02-10`.") == (
        "Дата в формате ГГГГ-ММ-ДД."
    )
    assert lean_text("Список идентификаторов товаров.") == "ID товаров."
    assert lean_text("Пример: `2019-02-10`.") == "Пример: 2019-02-10."  # no layout named


def test_a_tool_description_is_kept_whole() -> None:
    assert lean_tool_description("Summary") == "Summary"
    described = lean_tool_description("Summary\n\nDetail one.\n\nDetail `two`.")
    assert described == "Summary. Detail one. Detail two."
    assert lean_tool_description("Summary?\n\nMore.") == "Summary? More."
    # Nothing left after the summary: no full stop of ours either.
    assert lean_tool_description("Summary\n\nНеобязательное поле.") == "Summary"
    long = "Sentence number one. " * 40
    assert lean_tool_description(f"Summary\n\n{long}") == f"Summary. {long.strip()}"


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
    for where, _node, short_text, long_text in _parameter_texts(lean, full):
        assert CUT_MARK not in short_text or CUT_MARK in long_text, where
    for short, long in zip(lean, full, strict=True):
        assert CUT_MARK not in short.description or CUT_MARK in long.description, short.name


def _described(lean: Any, full: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, lean node, full node) for every schema node the spec describes."""
    if isinstance(full, dict):
        if isinstance(full.get("description"), str):
            yield path, lean, full
        for key, value in full.items():
            if key not in ("enum", "const", "default", "examples", "description"):
                yield from _described(lean[key], value, f"{path}.{key}")
    elif isinstance(full, list):
        for index, item in enumerate(full):
            yield from _described(lean[index], item, f"{path}[{index}]")


_SAME_AS = re.compile(r"^(?:Как в|Same as) ([\w.\[\]-]+)\.$")


def _argument(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema node a "Как в <path>." reference names ("a.b[]" = the items of a.b)."""
    node = schema
    for name in path.split("."):
        node = node["properties"][name.removesuffix("[]")]
        for _ in range(name.count("[]")):
            node = node["items"]
    return node


def _parameter_texts(
    lean: list[OperationTool], full: list[OperationTool]
) -> Iterator[tuple[str, Any, str, str]]:
    """(tool.path, full schema node, lean text, full text) of every described schema node; a
    text that points to an earlier argument saying the same is read as that argument's text."""
    for short, long in zip(lean, full, strict=True):
        for path, lean_node, full_node in _described(short.input_schema, long.input_schema):
            short_text = str(lean_node.get("description", ""))
            if reference := _SAME_AS.match(short_text):
                said = _argument(long.input_schema, reference.group(1))
                assert said["description"] == full_node["description"], (short.name, path)
                short_text = _argument(short.input_schema, reference.group(1))["description"]
                assert not _SAME_AS.match(short_text), (short.name, path)
            yield f"{short.name}{path}", full_node, short_text, full_node["description"]


def test_no_parameter_description_is_cut(
    lean: list[OperationTool], full: list[OperationTool]
) -> None:
    texts = list(_parameter_texts(lean, full))
    assert len(texts) >= 100
    for where, _node, short, _long in texts:
        assert CUT_MARK not in short, where


# An enum item of the spec's text: "- `VALUE` — meaning" (a struck-through value too).
_ENUM_ITEM = re.compile(r"^\s*[-*]\s+(?:~~)?`([A-Z][A-Z0-9_]*)`(?:~~)?\s+—\s+(\S.*)$", re.M)
_SHARED_PREFIX = re.compile(r"\(([A-Z][A-Z0-9]*_(?:[A-Z0-9]+_)*)\*\)")


def _as_named(value: str, lean_text: str) -> str:
    """How the lean text names `value`: whole, or after a "(PREFIX*)" note without the prefix."""
    for prefix in _SHARED_PREFIX.findall(lean_text):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def test_every_enum_value_the_spec_explains_keeps_its_meaning(
    lean: list[OperationTool], full: list[OperationTool]
) -> None:
    """Derived from the spec: each "`VALUE` — meaning" item of a parameter text is still in the
    lean text as the value (whole or after its "(PREFIX*)" note) followed by a meaning."""
    explained = 0
    for where, _node, short, long in _parameter_texts(lean, full):
        for value, _meaning in _ENUM_ITEM.findall(long):
            named = _as_named(value, short)
            item = re.compile(rf"(?<![\w*]){re.escape(named)}(?!\w)[^;.:]{{0,12}} - \w")
            assert item.search(short), f"{where}: {value} lost its meaning in {short!r}"
            explained += 1
    assert explained >= 50


# Code spans and numbers of a parameter text ("`dateFrom`", "`0`", "62", "1 000 000").
_LITERAL = re.compile(r"`([^`]+)`|(?<![\w.])(\d(?:[\d ]*\d)?)(?!\w)")


def _literals_kept_from(long: str, schema: dict[str, Any]) -> Iterator[str]:
    """The literals of `long` lean mode must keep, as the lean text spells them: numbers
    without thousands spaces, "ID" for "идентификатор". Left out: a date example of a layout
    the text names, and "RFC 3339" where the schema's `format: date-time` says it."""
    examples = set(phrasebook.DATE_EXAMPLE.findall(long)) if "ГГГГ-ММ-ДД" in long else set()
    for match in _LITERAL.finditer(long):
        code, number = match.groups()
        if number is not None:
            if number == "3339" and schema.get("format") == "date-time":
                continue
            yield number.replace(" ", "")
        elif re.fullmatch(r"\d[\d ]*", code):
            yield code.replace(" ", "")
        elif not any(f"`{code}`" in example for example in examples):
            yield code.replace("идентификатор", "ID")


def test_every_literal_and_number_of_a_parameter_text_is_kept(
    lean: list[OperationTool], full: list[OperationTool]
) -> None:
    """Derived from the spec: every field name, value and number a parameter text states (the
    limits, the units, the fields it refers to) is still in the lean text."""
    checked = 0
    for where, node, short, long in _parameter_texts(lean, full):
        prefixes = _SHARED_PREFIX.findall(short)
        spelled = short + " " + " ".join(p + w for p in prefixes for w in re.findall(r"\w+", short))
        for literal in _literals_kept_from(long, node):
            assert literal in spelled, f"{where}: {literal!r} lost from {short!r}"
            checked += 1
    assert checked >= 100


def test_no_tool_description_is_cut(lean: list[OperationTool], full: list[OperationTool]) -> None:
    """No "…" and nothing ends mid-sentence: every lean tool description starts with the
    summary (the title it replaces) and is that summary or ends a sentence (the spec's
    summaries have no full stop of their own)."""
    for short, long in zip(lean, full, strict=True):
        assert CUT_MARK not in short.description, short.name
        summary = lean_text(long.description.partition("\n\n")[0])
        assert short.description.startswith(summary), short.name
        assert short.description == summary or short.description[-1] in ".!?", short.name


# What a tool's answer holds, as the spec words it: lean mode's one omission (the answer says
# it itself). The report columns, the limits GetLimitsList lists, the download's format header,
# the field of the created campaign's ID.
_ANSWER_SECTIONS = (
    re.compile(r"Отчёт содержит:\n(?:[ \t]*- [^\n]*(?:\n|$))+"),
    re.compile(r"Вы можете получить лимиты ставок по инструментам:\n(?:[ \t]*- [^\n]*(?:\n|$))+"),
    re.compile(r"Формат отчёта в заголовке ответа.*?Имя файла вида `[^`]+`\.", re.DOTALL),
    re.compile(r"При успешном выполнении запроса в поле `campaignId` ответа будет[^.]*\."),
)
# Not facts for an agent: the `/json` variant of a report (a path, not a tool), link targets.
_NOT_FOR_AGENTS = (
    re.compile(r"Чтобы запросить отчёт в формате JSON, добавьте[^\n]*"),
    re.compile(r"\]\([^)]*\)"),
)
# Literals of a tool text that the tool's own arguments state: the period arguments (the only
# ones of these tools), VendorStatisticsSubmitRequest's period rule (its `dateTo` text).
_SAID_BY_ARGUMENTS = {
    "VideoCampaignsSubmitRequest": {"dateFrom", "dateTo"},
    "SearchPromoOrdersReportSubmitRequest": {"from", "to"},
    "SearchPromoProductsReportSubmitRequest": {"from", "to"},
    "VendorStatisticsSubmitRequest": {"dateFrom", "dateTo", "3"},
}


def _facts_of(description: str) -> str:
    """A spec tool description without what lean mode rightly leaves out."""
    text = html.unescape(description).replace("\xa0", " ")
    for pattern in (*_ANSWER_SECTIONS, *_NOT_FOR_AGENTS):
        text = pattern.sub(" ", text)
    return text


def test_every_literal_and_number_of_a_tool_description_is_kept(
    lean: list[OperationTool], full: list[OperationTool]
) -> None:
    """Derived from the spec: every number (limits, periods, dates, amounts) and code literal
    (tools, arguments, values) a tool description states is in the lean one, but for its
    answer contents and the literals its own arguments say."""
    checked = 0
    for short, long in zip(lean, full, strict=True):
        arguments = json.dumps(short.input_schema, ensure_ascii=False)
        for literal in _literals_kept_from(_facts_of(long.description), {}):
            if literal in _SAID_BY_ARGUMENTS.get(short.name, ()):
                assert literal in arguments, f"{short.name}: {literal!r} lost"
            else:
                assert literal in short.description, f"{short.name}: {literal!r} lost"
            checked += 1
    assert checked >= 60


# The facts without a number or a code literal that earlier lean descriptions cut.
_FACTS = {
    "UpdateProducts": ("Перезаписывает стоп-слова и фразы со ставками", "в карточке товара"),
    "AddProducts": ("До 500 товаров в кампании", "конкурентная ставка", "автостратегией"),
    "GetCampaignExpense": ("за последние 7 дней",),
    "GetCampaignDailyStats": ("за последние 7 дней",),
    "CalculateDynamicBudget": ("Отключается 1 сентября 2025", "2000 ₽ × 1 SKU"),
    "ExternalCampaign_SetSearchPromoBidsV2": ("не в продвижении - добавит", "1000 товаров за"),
    "ExternalCampaign_GetCPOMinBids": ("До 200 SKU за запрос",),
    "GetProductsCompetitiveBids": ("bid 0 - товар не в кампании", "200 товаров за запрос"),
    "ExternalCampaign_BatchEnableCarrots4": ("Только для продавцов",),
    "ListCampaignObjects": ("«Видеобаннеры»", "«Оплата за заказ»"),
    "ListReports": ("рекламного кабинета",),
    "ListReportsExternal": ("сервисными аккаунтами",),
    "AttributionSubmitRequest": ("на баннеры",),
    "MediaCampaignList": ("CSV",),
    "PatchProductCampaign": ("изменить",),
    "CreateProductCampaignCPCV2": ("товарную",),
    "GetVendorTag": ("префикс метки UTM_CAMPAIGN",),
}


def test_the_facts_earlier_lean_descriptions_cut_are_kept(lean: list[OperationTool]) -> None:
    by_name = {tool.name: tool.description for tool in lean}
    for name, facts in _FACTS.items():
        for fact in facts:
            assert fact.lower() in by_name[name].lower(), f"{name}: {fact!r} lost"


def test_only_the_answer_contents_are_left_out(
    full: list[OperationTool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each omission (`ANSWER_CONTENTS`) leaves out something, and only from a tool whose
    description has answer contents (8 reports, GetLimitsList, DownloadStatistics and
    CreateProductCampaignCPCV2)."""
    answering = {
        tool.name
        for tool in full
        for pattern in _ANSWER_SECTIONS
        if pattern.search(html.unescape(tool.description))
    }
    assert len(answering) == 11, sorted(answering)
    lean = {tool.name: lean_tool_description(tool.description) for tool in full}
    for index in range(len(ANSWER_CONTENTS)):
        fewer = ANSWER_CONTENTS[:index] + ANSWER_CONTENTS[index + 1 :]
        monkeypatch.setattr(descriptions, "ANSWER_CONTENTS", fewer)
        changed = {t.name for t in full if lean_tool_description(t.description) != lean[t.name]}
        assert changed, ANSWER_CONTENTS[index].pattern
        assert changed <= answering, changed


def test_a_long_text_said_again_in_one_tool_points_to_the_first() -> None:
    text = "Автостратегия: " + "MAX_CLICKS - максимум кликов; " * 4
    schema = {
        "type": "object",
        "properties": {
            "create": {"type": "object", "properties": {"strategy": {"description": text}}},
            "update": {
                "type": "array",
                "items": {"type": "object", "properties": {"strategy": {"description": text}}},
            },
            "short": {"description": "ID кампании."},
            "again": {"description": "ID кампании."},
            "english": {"description": "The strategy. " * 8},
            "english_again": {"description": "The strategy. " * 8},
        },
    }
    said = said_once(schema)["properties"]
    assert said["create"]["properties"]["strategy"]["description"] == text
    assert said["update"]["items"]["properties"]["strategy"]["description"] == (
        "Как в create.strategy."
    )
    assert said["again"]["description"] == "ID кампании."  # short: said again
    assert said["english_again"]["description"] == "Same as english."


def test_every_phrasebook_entry_shortens_the_ozon_text(
    ozon_spec: LoadedSpec, lean: list[OperationTool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No entry is dead: without any one of them the bundled spec's lean tools/list is longer
    (a changed spec text that an entry no longer matches shows up here)."""
    size = tools_list_bytes(lean)
    entries = phrasebook.OZON_PHRASES
    for index, (pattern, _replacement) in enumerate(entries):
        monkeypatch.setattr(phrasebook, "OZON_PHRASES", entries[:index] + entries[index + 1 :])
        without = tools_list_bytes(published(ozon_spec, "lean"))
        assert without > size, pattern.pattern
    assert len(entries) >= 20


def _lean_property(description: str, enum: list[str]) -> dict[str, Any]:
    """The lean schema of one enum argument (a JSON body property) of a one-operation spec."""
    argument = {"type": "string", "enum": enum, "description": description}
    body = json_body({"type": "object", "properties": {"p": argument}})
    tool = one_tool({"operationId": "op", "requestBody": body})
    lean_schema: dict[str, Any] = describe_tools([tool], "lean")[0].input_schema
    return dict(lean_schema["properties"]["p"])


def test_a_shared_enum_prefix_is_said_once_and_the_schema_keeps_the_values() -> None:
    colours = ["COLOUR_RED", "COLOUR_DARK_GREEN"]
    listed = "Цвет:\n- `COLOUR_RED` — красный;\n- `COLOUR_DARK_GREEN` — тёмно-зелёный."
    argument = _lean_property(listed, colours)
    assert argument["description"] == "Цвет (COLOUR_*): RED - красный; DARK_GREEN - тёмно-зелёный."
    assert argument["enum"] == colours
    # Not worth a note: a prefix shorter than a word, or a text naming one value only.
    assert _lean_property("`AB_X` or `AB_Y`.", ["AB_X", "AB_Y"])["description"] == "AB_X or AB_Y."
    assert _lean_property("Default `COLOUR_RED`.", colours)["description"] == "Default COLOUR_RED."
