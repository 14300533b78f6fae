"""Text helpers shared by the tool builder and the result renderer: tidy and trim prose."""

from __future__ import annotations

import re

_MANY_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")


def tidy(text: str) -> str:
    """Strip the outer whitespace, trailing spaces and runs of blank lines; markdown is kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACES.sub("\n", text)
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()


def trim(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary and say how much was cut.

    The note keeps the reader (usually a model) aware that the spec says more than it sees.
    """
    if limit <= 0 or len(text) <= limit:
        return text
    cut_note = " … (trimmed {} chars)"
    room = max(limit - len(cut_note.format(len(text))), 1)
    head = text[:room]
    boundary = max(head.rfind(" "), head.rfind("\n"))
    if boundary >= room // 2:
        head = head[:boundary]
    head = head.rstrip()
    return head + cut_note.format(len(text) - len(head))


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace into single spaces and trim: for titles and messages."""
    return trim(" ".join(text.split()), limit)
