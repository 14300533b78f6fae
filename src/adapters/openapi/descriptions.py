"""Lean tool descriptions: what an agent needs to pick a tool and fill its arguments, short.

An agent pays for the whole tools/list on every turn (the Ozon spec's full text is 63 KB, most
of it Russian prose at two bytes a character). Lean mode, the default, cuts repetition, not
information, from every `description`, the tool's own and those of its arguments:

- the spec's boilerplate goes: "optional field" under fields the schema marks optional,
  hints at `/json` variants that are not tools, links to example archives, a date example
  after the text has named the layout, "RFC 3339" where the schema says `date-time`, the
  "(uint64, as digits)" note where the schema's `pattern` says it;
- the layout is folded onto one line (lists run on, `;` between items), with plain dashes and
  no backticks around a single identifier (typography that costs bytes and says nothing);
- the sentences the Ozon spec repeats at length across operations (the asynchronous report
  workflow becomes "Вернёт UUID для StatisticsCheck и DownloadStatistics.", the period rule
  one line), a tool's "Метод для ..." sentence that repeats its summary, enum items that
  repeat their introduction: all said shortly (`phrasebook.OZON_PHRASES`: every condition,
  default, limit, side effect, unit, field, value and meaning kept); "идентификатор" is "ID";
- enum values that share a prefix of a word or more are named once with it
  ("Состояние (CAMPAIGN_STATE_*): RUNNING - ..."); the schema's `enum` keeps them whole;
- a long text said again word for word in the same tool's arguments points to the argument
  that says it ("Как в createCampaign.autopilotStrategy.").

Nothing is cut, with one exception: `ANSWER_CONTENTS`, what a tool's answer holds (the columns
of the Ozon reports, the limits GetLimitsList lists, the download's format header), which the
answer says itself when it comes. Every limit, default and side effect stays (per-request
limits, the 7-day default period, UpdateProducts overwriting stop words, ...); enum values,
defaults, formats, patterns and `required` in the schemas are never touched. The title goes:
the description starts with the same summary.

`OZON_MCP_DESCRIPTIONS=full` publishes the spec's text as it is, titles included.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from ozon_mcp.adapters.openapi.lazy_pattern import LazyPattern
from ozon_mcp.adapters.openapi.phrasebook import RFC3339_NOTE, plain_typography, rephrase
from ozon_mcp.adapters.openapi.tools import OperationTool

DescriptionMode = Literal["lean", "full"]
DESCRIPTION_MODES: tuple[DescriptionMode, ...] = ("lean", "full")
# Shorter common prefixes of enum values are not worth the "(PREFIX*)" note.
_MIN_ENUM_PREFIX = 6

# Keywords whose values are data, not schemas: never rewrite a "description" found inside them.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "example"})

# Sentences that repeat what the schema or the tool list already says (whole sentences only).
_REDUNDANT = [
    # `required` in the schema says it.
    LazyPattern(
        r"(?:^|\s)(?:Необязательное|Обязательное) (?:поле|параметр)\.(?=\s|$)", needs="бязательное"
    ),
    LazyPattern(r"(?i)(?:^|\s)(?:This field is )?(?:optional|required)\.(?=\s|$)", needs="."),
    # The `/json` variant of a report is another path, not a tool: the agent cannot use it.
    LazyPattern(
        r"(?:^|\s)Чтобы запросить отчёт в формате JSON, добавьте[^\n]*?`/json`[^\n]*?`[^`]+`\.",
        needs="Чтобы запросить отчёт в формате JSON",
    ),
    # Links to downloadable example archives: nothing an agent can act on.
    LazyPattern(
        r"(?:^|\n)Архивы с примерами отчётов[^\n]*:(?:\n\s*- \[[^\]]*\]\([^)]*\))+",
        needs="Архивы с примерами отчётов",
    ),
    LazyPattern(r"(?:^|\n)\[Подробнее[^\]]*\]\([^)]*\)", needs="[Подробнее"),
]

# The same explanation repeated across operations, said once, briefly, with every fact kept.
_REPHRASED = [
    (
        LazyPattern(
            r"Performance API асинхронный\.\s*Поэтому в результате запроса будет не сам отчёт, "
            r"а уникальный идентификатор\s+отправленного запроса, с помощью которого можно "
            r"проверить статус формирования отчёта \((`[^`]+`)\) и скачать отчёт"
            r"(?: в формате (\w+))? \((`[^`]+`)\)\.",
            needs="Performance API асинхронный.",
        ),
        lambda m: (
            f"Вернёт UUID для {m.group(1)} и {m.group(3)}"
            f"{' (' + m.group(2) + ')' if m.group(2) else ''}."
        ),
    ),
    (
        LazyPattern(
            r"Единица измерения — одна миллионная доля рубля, округляется до\s+копеек\. "
            r"Например, значение `1 000 000` в параметре равно 1 рублю\.",
            needs="Единица измерения — одна миллионная доля рубля",
        ),
        lambda _m: "В микрорублях (`1000000` = 1 ₽, до копеек).",
    ),
    (
        LazyPattern(
            r"В запросе укажите временной промежуток с помощью полей `from` и `to` или "
            r"`dateFrom` и `dateTo`\. Если заполнены все\s+четыре поля, в ответе будет "
            r"статистика по временному промежутку из полей `dateFrom` и `dateTo`\.",
            needs="В запросе укажите временной промежуток с помощью полей",
        ),
        lambda _m: "Период: `dateFrom`/`dateTo`, иначе `from`/`to`.",
    ),
]

# What a tool's answer holds, which the answer itself says when it comes (the CSV header names
# the columns, the response its fields and its `content-type`): the one thing lean mode leaves
# out of the Ozon tool descriptions, so that the 40 tools fit in 30 KB with every fact an agent
# needs to choose and call them. Matched against the folded text (before it is rephrased).
ANSWER_CONTENTS = (
    # The report columns (8 report tools).
    LazyPattern(r"(?:^|\s)Отчёт содержит: [^.]+\.", needs="Отчёт содержит: "),
    # GetLimitsList: which limits the answer lists.
    LazyPattern(
        r" Вы можете получить лимиты ставок по инструментам: Оплата за заказ: Минимальная и "
        r"максимальная ставка для инструмента\. Минимальные ставки за заказ для некоторых "
        r"категорий товаров\. Спецразмещение и Оплата за клик: Минимальная и максимальная "
        r"ставка за клик\. Минимальные ставки за клик для некоторых категорий товаров\.",
        needs=" Вы можете получить лимиты ставок",
    ),
    # DownloadStatistics: the format of the file (each report tool's `campaigns` text says
    # when it is CSV and when ZIP).
    LazyPattern(
        r" Формат отчёта в заголовке ответа указан в поле `content-type`\. Формат зависит от "
        r"того, сколько кампаний в поле `campaigns` исходного запроса: .*? Имя файла вида "
        r"`[^`]+`\.",
        needs=" Формат отчёта в заголовке ответа",
    ),
    # CreateProductCampaignCPCV2: where the answer holds the new campaign's ID.
    LazyPattern(
        r" При успешном выполнении запроса в поле `campaignId` ответа будет идентификатор "
        r"созданной кампании\.",
        needs=" При успешном выполнении запроса в поле `campaignId`",
    ),
)

_MARKDOWN_LINK = LazyPattern(r"\[([^\[\]]+)\]\((?:https?://)[^()\s]+\)", needs="](http")
_HTML_BREAK = LazyPattern(r"(?i)\s*<br\s*/?>\s*", needs="<")
_LIST_ITEM = re.compile(r"\n[ \t]*[-*][ \t]+")
_ITEM_ENDS = frozenset(".,;:!?")
_HTML_TAG = LazyPattern(r"</?[A-Za-z][^<>]*>", needs="<")


def lean_text(text: str, omit: Sequence[LazyPattern] = ()) -> str:
    """`text` with the known repetition removed and the layout folded onto one line.

    List items become `; `-separated (their order and words kept); whitespace runs become one
    space; markdown links keep their text. `omit`: sentences to leave out, matched against the
    folded text before it is rephrased.
    """
    for pattern in _REDUNDANT:
        text = pattern.sub("", text)
    for pattern, replacement in _REPHRASED:
        text = pattern.sub(replacement, text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _HTML_BREAK.sub(" ", text)
    text = html.unescape(_HTML_TAG.sub(" ", text))  # "2&nbsp;000" is "2 000"
    # Each run of whitespace (`str.isspace`, as regex `\s`) becomes one space.
    text = " ".join(_fold_lists("\n" + text.strip()).split()).strip(" ;")
    for pattern in omit:
        text = pattern.sub("", text)
    return plain_typography(rephrase(text))


def _fold_lists(text: str) -> str:
    """List items run on after their introduction ("Тип:") and after each other: items carry
    their own punctuation; one that ends without any gets a ";" so items stay apart."""
    parts = _LIST_ITEM.split(text)
    folded = parts[0]
    for item in parts[1:]:
        previous = folded.rstrip()
        if previous and previous[-1] not in _ITEM_ENDS:
            folded = previous + ";"
        folded += " " + item
    return folded


def lean_tool_description(description: str) -> str:
    """A tool description without its repetition and `ANSWER_CONTENTS`, nothing else cut.

    The summary (the first paragraph, the title of full mode) gets a full stop when sentences
    follow it, so that they read apart from it.
    """
    summary, _, details = description.strip().partition("\n\n")
    lean_summary = lean_text(summary)
    if not details.strip():
        return lean_summary
    if summary.rstrip()[-1:] not in _ITEM_ENDS:
        summary = summary.rstrip() + "."
    text = lean_text(f"{summary}\n\n{details}", omit=ANSWER_CONTENTS)
    return lean_summary if text == f"{lean_summary}." else text


def lean_parameter_description(description: str) -> str:
    """A schema description without its repetition, whole (nothing is cut)."""
    return lean_text(description) or description


def lean_tools(tools: Sequence[OperationTool]) -> list[OperationTool]:
    """The tools with lean descriptions (tool and every schema `description`), no titles."""
    # The schema texts leaned so far: a third of them recur (in other tools, or in the output
    # schema), and each is leaned once.
    leaned: dict[str, str] = {}
    return [
        replace(
            tool,
            title=None,
            description=lean_tool_description(tool.description) or tool.description,
            input_schema=said_once(_lean_schema(tool.input_schema, leaned=leaned)),
            output_schema=(
                _lean_schema(tool.output_schema, top=False, leaned=leaned)
                if tool.output_schema
                else None
            ),
        )
        for tool in tools
    ]


def describe_tools(tools: Sequence[OperationTool], mode: DescriptionMode) -> list[OperationTool]:
    """The tools as published in `mode` ("full": the spec's text as built)."""
    return list(tools) if mode == "full" else lean_tools(tools)


# A note that only restates a schema `pattern` for string-encoded integers ("uint64, as
# digits"): the pattern says it already.
_PATTERN_NOTE = LazyPattern(r"\s*\(?\b(?:u?int(?:32|64)), as digits\)?\.?$", needs=", as digits")


def _lean_schema(node: Any, *, top: bool = True, leaned: dict[str, str]) -> Any:
    """Lean descriptions throughout a schema; `top` marks the input schema itself, whose
    properties (the tool's arguments) always keep a description. `leaned`: the lean
    description of each text met so far (`lean_parameter_description`), filled in."""
    if isinstance(node, list):
        return [_lean_schema(item, top=False, leaned=leaned) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DATA_KEYWORDS:
            result[key] = value
        elif key == "properties" and isinstance(value, dict):
            result[key] = {
                name: _lean_property(schema, argument=top, leaned=leaned)
                for name, schema in value.items()
            }
        elif key == "description" and isinstance(value, str):
            text = _without_pattern_note(value) if "pattern" in node else value
            if node.get("format") == "date-time":
                text = RFC3339_NOTE.sub("", text)  # the format says it
            if text:
                if text not in leaned:
                    leaned[text] = lean_parameter_description(text)
                result[key] = _shared_prefix_once(leaned[text], node)
        else:
            result[key] = _lean_schema(value, top=False, leaned=leaned)
    return result


# A long text said again in the same tool's arguments points to where it was said first.
SAID_ONCE_MIN_BYTES = 100
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def same_as(path: str, text: str) -> str:
    """The reference to the argument at `path` whose description is `text`, in its language."""
    return f"Как в {path}." if _CYRILLIC.search(text) else f"Same as {path}."


def said_once(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (a leaned input schema, changed in place) with each description of at least
    `SAID_ONCE_MIN_BYTES` that an earlier argument of the tool has word for word replaced by a
    reference to that argument ("Как в createCampaign.autopilotStrategy."). Paths name the
    properties, "[]" the items of an array."""
    first: dict[str, str] = {}

    def visit(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        text = node.get("description")
        if path and isinstance(text, str) and _size(text) >= SAID_ONCE_MIN_BYTES:
            if text in first:
                node["description"] = same_as(first[text], text)
            else:
                first[text] = path
        for name, child in (node.get("properties") or {}).items():
            visit(child, f"{path}.{name}" if path else name)
        visit(node.get("items"), f"{path}[]")

    visit(schema, "")
    return schema


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _lean_property(schema: Any, *, argument: bool, leaned: dict[str, str]) -> Any:
    result = _lean_schema(schema, top=False, leaned=leaned)
    original = schema.get("description") if isinstance(schema, dict) else None
    if argument and isinstance(original, str) and isinstance(result, dict):
        result.setdefault("description", original)  # an argument keeps one, always
    return result


def _without_pattern_note(text: str) -> str:
    return _PATTERN_NOTE.sub("", text).strip()


def _shared_prefix_once(text: str, node: dict[str, Any]) -> str:
    """`text` naming the schema's enum values by what follows their common prefix, the prefix
    said once ("Состояние (CAMPAIGN_STATE_*): RUNNING - ..."); the schema keeps every value
    whole. Only a prefix of a word or more ending in "_", only if the text names two values."""
    values = node.get("enum")
    if not values or not all(isinstance(value, str) for value in values):
        return text
    shortest, longest = min(values), max(values)  # the common prefix of all is theirs
    common = next(
        (shortest[:i] for i, (a, b) in enumerate(zip(shortest, longest, strict=False)) if a != b),
        shortest,
    )
    prefix = common[: common.rfind("_") + 1]
    if len(prefix) < _MIN_ENUM_PREFIX:
        return text
    named = re.compile(rf"\b{re.escape(prefix)}(?=\w)")
    first = named.search(text)
    if first is None or len(named.findall(text)) < 2:
        return text
    head, tail = text[: first.start()], text[first.start() :]
    intro = head.rstrip()
    note = f"{intro[:-1]} ({prefix}*): " if intro.endswith(":") else f"{head}({prefix}*) "
    return note + named.sub("", tail)
