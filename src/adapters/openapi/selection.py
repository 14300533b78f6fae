"""Which operation tools are exposed: include/exclude lists, read-only mode, profile annotations.

An agent pays for every listed tool on every turn, and one that can deactivate campaigns can
spend real money by mistake; so the exposed list is chosen here, once, and everything else
(tools/list, `tools/call`, `ozon-mcp tools`) works on the result.

Entries of `OZON_MCP_TOOLS` / `OZON_MCP_EXCLUDE_TOOLS` are tool names (operationIds), tags or
globs (`*Campaign*`, `Get*`), compared case-insensitively. An entry that matches nothing is a
configuration error that lists the valid names and tags: a typo must not silently expose (or
hide) the wrong tools.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ozon_mcp.adapters.openapi.ozon_profile import classify, is_ozon_performance
from ozon_mcp.adapters.openapi.spec import LoadedSpec, SpecError, resolve_pointer
from ozon_mcp.adapters.openapi.tools import OperationTool
from ozon_mcp.domain.errors import ConfigurationError

log = logging.getLogger("ozon_mcp.selection")

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
# Extensions by which a spec can mark a non-GET operation as safe (it changes nothing).
SAFE_MARKERS = ("x-safe", "x-read-only", "x-readonly")
_GLOB_CHARACTERS = frozenset("*?[")

INCLUDE_SOURCE = "OZON_MCP_TOOLS (--tools)"
EXCLUDE_SOURCE = "OZON_MCP_EXCLUDE_TOOLS (--exclude-tools)"


def parse_list(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Comma-separated entries, blanks dropped, order kept, duplicates removed."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(part.strip() for part in parts if part.strip()))


@dataclass(frozen=True)
class ToolSelection:
    """What the user asked for; the defaults expose every tool."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    read_only: bool = False

    @classmethod
    def parse(
        cls,
        include: str | Iterable[str] | None = None,
        exclude: str | Iterable[str] | None = None,
        *,
        read_only: bool = False,
    ) -> ToolSelection:
        """From the raw setting values (comma-separated strings)."""
        return cls(parse_list(include), parse_list(exclude), read_only)


@dataclass(frozen=True)
class _Candidate:
    tool: OperationTool
    tags: tuple[str, ...]
    read_only_safe: bool
    classified: bool

    def names(self) -> set[str]:
        names = {self.tool.name.lower()}
        if self.tool.operation_id:
            names.add(self.tool.operation_id.lower())
        return names


def select_tools(
    spec: LoadedSpec, tools: Sequence[OperationTool], selection: ToolSelection
) -> list[OperationTool]:
    """The tools to expose, in spec order, with the profile's annotations applied.

    Raises ConfigurationError when an include or exclude entry matches no tool or tag.
    """
    ozon = is_ozon_performance(spec.document)
    candidates = [_candidate(spec, tool, ozon=ozon) for tool in tools]
    chosen = candidates
    if selection.include:
        chosen = _matching(candidates, selection.include, INCLUDE_SOURCE)
    if selection.exclude:
        dropped = {id(c) for c in _matching(candidates, selection.exclude, EXCLUDE_SOURCE)}
        chosen = [c for c in chosen if id(c) not in dropped]
    if selection.read_only:
        chosen = _read_only(chosen, explicitly_named=selection.include, ozon=ozon)
    if not chosen:
        log.warning("the tool selection leaves no operation tools; only auth_status is offered")
    return [c.tool for c in chosen]


def _candidate(spec: LoadedSpec, tool: OperationTool, *, ozon: bool) -> _Candidate:
    operation = _operation(spec, tool)
    raw_tags = operation.get("tags")
    tags = tuple(t for t in raw_tags if isinstance(t, str)) if isinstance(raw_tags, list) else ()
    if ozon:
        classification = classify(tool.operation_id)
        if classification is not None:
            annotated = replace(tool, annotations=classification.annotations())
            return _Candidate(annotated, tags, classification.read_only_safe, classified=True)
        return _Candidate(tool, tags, read_only_safe=False, classified=False)
    safe = tool.method in READ_ONLY_METHODS or any(
        operation.get(marker) is True for marker in SAFE_MARKERS
    )
    return _Candidate(tool, tags, read_only_safe=safe, classified=True)


def _operation(spec: LoadedSpec, tool: OperationTool) -> dict[str, Any]:
    try:
        found = resolve_pointer(spec.document, f"#{tool.pointer}")
    except SpecError:
        return {}
    return found if isinstance(found, dict) else {}


def _matching(
    candidates: list[_Candidate], entries: Sequence[str], source: str
) -> list[_Candidate]:
    """The candidates matched by any entry; every entry must match at least one."""
    matched: set[int] = set()
    unknown: list[str] = []
    for entry in entries:
        hits = [index for index, c in enumerate(candidates) if _matches(c, entry)]
        if not hits:
            unknown.append(entry)
        matched.update(hits)
    if unknown:
        raise ConfigurationError(_unknown_message(source, unknown, candidates))
    return [c for index, c in enumerate(candidates) if index in matched]


def _matches(candidate: _Candidate, entry: str) -> bool:
    wanted = entry.lower()
    tags = {tag.lower() for tag in candidate.tags}
    if _GLOB_CHARACTERS.intersection(wanted):
        return any(fnmatch.fnmatchcase(key, wanted) for key in candidate.names() | tags)
    return wanted in candidate.names() or wanted in tags


def _unknown_message(source: str, unknown: list[str], candidates: list[_Candidate]) -> str:
    tags = sorted({tag for c in candidates for tag in c.tags}, key=str.lower)
    names = [c.tool.name for c in candidates]
    shown = ", ".join(repr(entry) for entry in unknown)
    return (
        f"{source}: {shown} matches no tool, tag or glob. "
        f"Valid tags: {', '.join(tags) or '(the spec has none)'}. "
        f"Valid tools: {', '.join(names)}"
    )


def _read_only(
    candidates: list[_Candidate], *, explicitly_named: Sequence[str], ozon: bool
) -> list[_Candidate]:
    kept: list[_Candidate] = []
    named = {entry.lower() for entry in explicitly_named}
    for candidate in candidates:
        if candidate.read_only_safe:
            kept.append(candidate)
            continue
        if ozon and not candidate.classified:
            log.warning(
                "read-only mode: %s is not in the reviewed Ozon operation table, so it is "
                "hidden (it may change the account; review it before exposing it)",
                candidate.tool.name,
            )
        elif candidate.names() & named:
            log.warning(
                "read-only mode hides %s, though it was named in OZON_MCP_TOOLS",
                candidate.tool.name,
            )
    return kept
