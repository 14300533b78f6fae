"""Response bodies for operations the emulator answers from the spec alone.

The spec's example is used when it is valid against the response schema. Many Ozon examples
are not (ids as numbers where the schema says uint64 strings, a single object where an array is
declared), so otherwise an instance is synthesized from the schema, keeping every part of the
example that is valid where it stands. The result is deterministic.
"""

from __future__ import annotations

import copy
import logging
import uuid
import zlib
from typing import Any

from ozon_mcp.adapters.openapi.spec import LoadedSpec

from .spec_index import Operation
from .validation import SpecValidator

log = logging.getLogger("ozon_mcp.emulator")

_MISSING: Any = object()
_MAX_DEPTH = 12  # deeper than any schema of the spec; guards against recursive schemas


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Synthesizer:
    """Builds instances that validate against the spec's schemas."""

    def __init__(self, spec: LoadedSpec, validator: SpecValidator) -> None:
        self._spec = spec
        self._validator = validator

    def instance(self, pointer: str, hint: Any = _MISSING) -> Any:
        """An instance of the schema at `pointer`, reusing the valid parts of `hint`."""
        return self._value(self._spec.resolve(f"#{pointer}"), pointer, hint, "", 0)

    def canned_body(self, operation: Operation) -> Any:
        """The success body for a plain operation: its example if valid, else synthesized."""
        pointer = operation.response_pointer
        if pointer is None:
            return {}
        if operation.has_example and self._validator.conforms(pointer, operation.example):
            return copy.deepcopy(operation.example)
        hint = operation.example if operation.has_example else _MISSING
        body = self.instance(pointer, hint)
        problems = self._validator.errors(pointer, body)
        if problems:  # a schema construct the synthesizer does not know; say so loudly
            log.warning("synthesized %s body is invalid: %s", operation.operation_id, problems[0])
        return body

    def _value(self, schema: Any, pointer: str, hint: Any, name: str, depth: int) -> Any:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            pointer = schema["$ref"].removeprefix("#")
            schema = self._spec.resolve(schema["$ref"])
        if not isinstance(schema, dict):
            return {}
        if hint is not _MISSING and self._validator.conforms(pointer, hint):
            return copy.deepcopy(hint)
        for key in ("example", "default"):
            # An enum's default is often its "unknown" member: prefer a meaningful value.
            usable = key == "example" or "enum" not in schema
            if usable and key in schema and self._validator.conforms(pointer, schema[key]):
                return copy.deepcopy(schema[key])
        for combinator in ("allOf", "oneOf", "anyOf"):
            if isinstance(schema.get(combinator), list) and schema[combinator]:
                return self._combined(schema, combinator, pointer, hint, name, depth)
        kind = schema.get("type")
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, pointer, hint, depth)
        if kind == "array" or (kind is None and "items" in schema):
            return self._array(schema, pointer, hint, name, depth)
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return _enum_value(schema["enum"], hint)
        if kind is None:
            return {}  # an empty schema (`{}`): Ozon answers such calls with `{}`
        return _scalar(kind, schema, hint, name)

    def _combined(
        self,
        schema: dict[str, Any],
        combinator: str,
        pointer: str,
        hint: Any,
        name: str,
        depth: int,
    ) -> Any:
        parts = schema[combinator]
        if combinator != "allOf":
            return self._value(parts[0], f"{pointer}/{combinator}/0", hint, name, depth + 1)
        merged: dict[str, Any] = {}
        for index, part in enumerate(parts):
            value = self._value(part, f"{pointer}/allOf/{index}", hint, name, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged

    def _object(self, schema: dict[str, Any], pointer: str, hint: Any, depth: int) -> Any:
        hints = hint if isinstance(hint, dict) else {}
        required = set(schema.get("required") or [])
        result: dict[str, Any] = {}
        for prop, subschema in (schema.get("properties") or {}).items():
            if depth >= _MAX_DEPTH and prop not in required:
                continue
            if prop == "error" and prop not in required and prop not in hints:
                continue  # an error text in a success answer would read as a failure
            sub_pointer = f"{pointer}/properties/{_escape(prop)}"
            result[prop] = self._value(
                subschema, sub_pointer, hints.get(prop, _MISSING), prop, depth + 1
            )
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not result and depth < _MAX_DEPTH:
            key, value_hint = next(iter(hints.items()), ("1", _MISSING))
            result[str(key)] = self._value(
                extra, f"{pointer}/additionalProperties", value_hint, str(key), depth + 1
            )
        return result

    def _array(
        self, schema: dict[str, Any], pointer: str, hint: Any, name: str, depth: int
    ) -> list[Any]:
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if isinstance(hint, list) and hint:
            hints = hint
        elif isinstance(hint, dict):  # Ozon examples often show one element instead of a list
            hints = [hint]
        else:
            hints = [_MISSING]
        count = max(len(hints), int(schema.get("minItems", 1)))
        if depth >= _MAX_DEPTH:
            count = int(schema.get("minItems", 0))
        return [
            self._value(
                items, f"{pointer}/items", hints[i] if i < len(hints) else _MISSING, name, depth + 1
            )
            for i in range(count)
        ]


def _enum_value(options: list[Any], hint: Any) -> Any:
    if hint in options:
        return hint
    meaningful = [o for o in options if not str(o).endswith(("UNKNOWN", "UNSPECIFIED", "INVALID"))]
    return (meaningful or options)[0]


def _scalar(kind: Any, schema: dict[str, Any], hint: Any, name: str) -> Any:
    fmt = schema.get("format")
    if kind == "boolean":
        return hint if isinstance(hint, bool) else True
    if kind == "integer":
        if isinstance(hint, int) and not isinstance(hint, bool):
            return max(hint, int(schema.get("minimum", hint)))
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        if isinstance(hint, int | float) and not isinstance(hint, bool):
            return float(hint)
        return max(1.5, float(schema.get("minimum", 1.5)))
    if fmt in ("uint64", "int64"):
        if isinstance(hint, int) and not isinstance(hint, bool) and hint >= 0:
            return str(hint)  # the example's number, as the string the schema asks for
        return str(100_000 + zlib.crc32(name.encode("utf-8")) % 900_000)
    if fmt == "date-time":
        return "2024-01-15T09:30:00.000000Z"
    if fmt == "date" or name.lower().endswith("date") or name in ("dateFrom", "dateTo"):
        return "2024-01-15"
    if isinstance(hint, str):
        return hint
    if name == "UUID":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "ozon-mcp-emulator"))
    if isinstance(hint, int | float) and not isinstance(hint, bool):
        return str(hint)
    return f"example {name}" if name else "example"
