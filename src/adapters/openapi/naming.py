"""Tool names and behaviour hints derived from an operation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

MAX_NAME_LENGTH = 128  # SEP-986: tool names are [A-Za-z0-9._-]{1,128}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_PATH_SEPARATORS = re.compile(r"[^A-Za-z0-9.-]+")
_CAMEL_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")
_DESTRUCTIVE_STEMS = (
    "delet",
    "disabl",
    "deactivat",
    "remov",
    # The built-in Ozon spec words its summaries in Russian: "Удалить", "Отключить", "Выключить".
    "удал",
    "отключ",
    "выключ",
    "деактив",
)
_READ_ONLY_METHODS = frozenset({"get", "head", "options"})
_IDEMPOTENT_METHODS = frozenset({"get", "head", "options", "put", "delete"})


# What MCP assumes for a hint a tool leaves out (ToolAnnotations in the MCP specification).
MCP_HINT_DEFAULTS: Mapping[str, bool] = MappingProxyType(
    {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False, "openWorldHint": True}
)


@dataclass(frozen=True)
class OperationAnnotations:
    """MCP behaviour hints for a tool (the spec's `readOnlyHint`, `destructiveHint`, ...)."""

    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool = True

    def as_mcp(self) -> dict[str, bool]:
        """The hints under their MCP names, only those that differ from `MCP_HINT_DEFAULTS`.

        A hint left out means its MCP default, so nothing is lost, and every tools/list (which
        an agent pays for on each turn) stays small: a read-only tool is `{"readOnlyHint":
        true}`, a write that destroys nothing `{"destructiveHint": false}`, an idempotent
        destructive write `{"idempotentHint": true}`. Destructive/idempotent are never given
        for read-only tools: MCP defines them only for writes.
        """
        hints = {"readOnlyHint": self.read_only}
        if not self.read_only:
            hints["destructiveHint"] = self.destructive
            hints["idempotentHint"] = self.idempotent
        hints["openWorldHint"] = self.open_world
        return {name: value for name, value in hints.items() if value != MCP_HINT_DEFAULTS[name]}


def annotations_for(
    method: str, operation_id: str | None, summary: str | None
) -> OperationAnnotations:
    """Read-only for GET/HEAD/OPTIONS; destructive for DELETE and for operations whose id or
    summary says they delete, disable, deactivate or remove something."""
    method = method.lower()
    read_only = method in _READ_ONLY_METHODS
    words = [
        w.lower() for text in (operation_id, summary) if text for w in _CAMEL_WORDS.findall(text)
    ]
    says_destructive = any(word.startswith(_DESTRUCTIVE_STEMS) for word in words)
    return OperationAnnotations(
        read_only=read_only,
        destructive=not read_only and (method == "delete" or says_destructive),
        idempotent=method in _IDEMPOTENT_METHODS,
    )


def base_name(operation_id: str | None, method: str, path: str) -> str:
    """The operationId made safe, or `<method>_<path words>` when there is none.

    `GET /api/client/campaign/{id}` -> `get_api_client_campaign_id`.
    """
    if operation_id and operation_id.strip():
        name = _UNSAFE_NAME.sub("_", operation_id.strip()).strip("_")
    else:
        name = _PATH_SEPARATORS.sub("_", f"{method.lower()}_{path}").strip("_")
    return (name or method.lower())[:MAX_NAME_LENGTH]


def unique_names(candidates: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Make names unique in order (`X`, `X_2`, `X_3`, ...); return them and the renames made."""
    taken = set(candidates)
    used: set[str] = set()
    names: list[str] = []
    renamed: list[tuple[str, str]] = []
    for name in candidates:
        final = name
        counter = 2
        while final in used or (final != name and final in taken):
            suffix = f"_{counter}"
            final = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
            counter += 1
        used.add(final)
        names.append(final)
        if final != name:
            renamed.append((name, final))
    return names, renamed


def unique_argument(name: str, alternative: str, taken: Mapping[str, Any]) -> str:
    """`name` if free, else `alternative` (then `alternative_2`, ...): for argument clashes."""
    if name not in taken:
        return name
    candidate, counter = alternative, 2
    while candidate in taken:
        candidate, counter = f"{alternative}_{counter}", counter + 1
    return candidate
