"""Text helpers shared by the tool builder and the result renderer: tidy and trim prose."""

from __future__ import annotations

import re

_MANY_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_SENTENCE_END = re.compile(r"[.!?;:](?=\s)|\n")
ELLIPSIS = "…"


def tidy(text: str) -> str:
    """Strip the outer whitespace, trailing spaces and runs of blank lines; markdown is kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACES.sub("\n", text)
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()


def trim(text: str, limit: int, *, note: bool = False) -> str:
    """Cut `text` to at most `limit` characters, preferring a sentence end, then a word end.

    The cut is marked with an ellipsis; with `note`, also with how many characters were cut,
    so the reader (usually a model) knows the spec says more than it sees.
    """
    if limit <= 0 or len(text) <= limit:
        return text
    suffix = f" {ELLIPSIS} (trimmed {len(text)} chars)" if note else ELLIPSIS
    room = max(limit - len(suffix), 1)
    head = text[:room]
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if sentence_ends and sentence_ends[-1] >= room * 2 // 3:
        head = head[: sentence_ends[-1]]
    else:
        boundary = max(head.rfind(" "), head.rfind("\n"))
        if boundary >= room // 2:
            head = head[:boundary]
    head = head.rstrip()
    if note:
        return f"{head} {ELLIPSIS} (trimmed {len(text) - len(head)} chars)"
    return head + ELLIPSIS


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace into single spaces and trim: for titles and messages."""
    return trim(" ".join(text.split()), limit)


_DOC_LINK = re.compile(r"\[([^\[\]]*)\]\(#([^()\s]*)\)")
_ROUTE_TEXT = re.compile(r"(?i)^(get|put|post|delete|patch|head|options|trace)\s+/\S*$")


def rewrite_doc_links(text: str, tool_names: dict[str, str]) -> str:
    """Turn links to anchors of the rendered API docs, meaningless outside them, into text.

    `[check the status](#operation/StatisticsCheck)` becomes
    ``check the status (`StatisticsCheck`)`` when that operation is a tool (named by its tool
    name), a link whose text is only the route
    (`[GET /campaign](#operation/ListCampaigns)`) becomes the tool name alone, and any other
    anchor link keeps just its text.
    """

    def replace(match: re.Match[str]) -> str:
        label, anchor = match.group(1).strip(), match.group(2)
        kind, _, target = anchor.partition("/")
        tool = tool_names.get(target) if kind == "operation" else None
        if tool is None:
            return label
        if not label or _ROUTE_TEXT.match(label):
            return f"`{tool}`"
        return f"{label} (`{tool}`)"

    return _DOC_LINK.sub(replace, text)
