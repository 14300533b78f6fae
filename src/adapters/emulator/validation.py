"""Checking requests against the spec's schemas (jsonschema, OpenAPI 3.0 dialect).

Schemas are validated in place inside the whole document, so local `$ref`s resolve; the
document is first copied with OpenAPI's `nullable: true` turned into JSON Schema's null type
(and a few spec defects neutralized, see `_to_json_schema`).
Every error names the offending field, the way a developer would look for it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT4

from ozon_mcp.adapters.openapi.spec import LoadedSpec

from .errors import ApiError
from .spec_index import Operation, Parameter

SPEC_URI = "urn:ozon-mcp:emulator-spec"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_UINT64_MAX = 2**64 - 1
_INT64_RANGE = range(-(2**63), 2**63)


def _is_uint64(value: object) -> bool:
    if isinstance(value, bool):
        return True  # not a string or integer: the `type` keyword reports it
    if isinstance(value, str):
        return value.isdigit() and value.isascii() and int(value) <= _UINT64_MAX
    if isinstance(value, int):
        return 0 <= value <= _UINT64_MAX
    return True


def _is_int64(value: object) -> bool:
    if isinstance(value, str):
        return bool(_INTEGER.match(value)) and int(value) in _INT64_RANGE
    if isinstance(value, int) and not isinstance(value, bool):
        return value in _INT64_RANGE
    return True


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def openapi_format_checker() -> FormatChecker:
    """Checks for the formats this spec uses (uint64 ids as strings, RFC 3339 date-times)."""
    checker = FormatChecker(formats=())
    checker.checks("uint64")(_is_uint64)
    checker.checks("int64")(_is_int64)
    checker.checks("date-time")(_is_date_time)
    return checker


def _to_json_schema(node: Any) -> Any:
    """Adapt OpenAPI 3.0 schemas for jsonschema, in place on a private copy.

    `nullable: true` also accepts null; `enum: null` (found in the Ozon spec) means no enum.
    """
    if isinstance(node, list):
        for item in node:
            _to_json_schema(item)
    elif isinstance(node, dict):
        for value in node.values():
            _to_json_schema(value)
        if "enum" in node and not isinstance(node["enum"], list):
            del node["enum"]
        if node.pop("nullable", False) is True:
            if isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
            if "type" not in node and "enum" not in node:
                inner = dict(node)
                node.clear()
                node["anyOf"] = [inner, {"type": "null"}]
    return node


def field_path(parts: Iterable[object]) -> str:
    """`["campaigns", 0, "id"]` -> `campaigns[0].id`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe(error: ValidationError, prefix: str = "") -> str:
    """A one-line message naming the field at fault."""
    where = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[Any] = list(error.validator_value or [])  # type: ignore[arg-type]
        missing = [n for n in required if n not in error.instance]
        name = field_path([*where, missing[0] if missing else "?"])
        return f"field '{prefix}{name}' is required"
    name = field_path(where) or "(root)"
    return f"field '{prefix}{name}': {error.message}"


class SpecValidator:
    """Validates instances against schemas at JSON pointers of one spec; thread-safe."""

    def __init__(self, spec: LoadedSpec) -> None:
        document = _to_json_schema(copy.deepcopy(spec.document))
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT4.create_resource(document)
        )
        self._checker = openapi_format_checker()
        self._validators: dict[str, Draft4Validator] = {}

    def _validator(self, pointer: str) -> Draft4Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{SPEC_URI}#{pointer}"}
            validator = Draft4Validator(
                schema, registry=self._registry, format_checker=self._checker
            )
            self._validators[pointer] = validator
        return validator

    def errors(self, pointer: str, instance: Any) -> list[ValidationError]:
        """Every violation of the schema at `pointer`, most relevant first."""
        found = list(self._validator(pointer).iter_errors(instance))
        return sorted(found, key=lambda e: (len(e.absolute_path), str(e.message)))

    def conforms(self, pointer: str, instance: Any) -> bool:
        """Whether `instance` is valid against the schema at `pointer`."""
        return self._validator(pointer).is_valid(instance)

    def parameters(
        self,
        operation: Operation,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
    ) -> dict[str, Any]:
        """Coerce and validate path and query parameters; 400 naming the first bad one."""
        values: dict[str, Any] = {}
        for param in operation.parameters:
            if param.location == "path":
                raw = [path_params[param.name]] if param.name in path_params else []
            elif param.location == "query":
                raw = list(query.get(param.name, []))
            else:
                continue  # header and cookie parameters are not used by this API
            label = f"{param.location} parameter '{param.name}'"
            if not raw:
                if param.required:
                    raise ApiError(400, f"{label} is required")
                continue
            value = _coerce(param, raw, label)
            problems = self.errors(param.schema_pointer, value)
            if problems:
                raise ApiError(400, f"invalid {label}: {problems[0].message}")
            values[param.name] = value
        return values

    def body(self, operation: Operation, raw: bytes, content_type: str) -> Any:
        """Parse and validate a JSON body; an empty body counts as `{}` (as grpc-gateway does)."""
        if operation.body_pointer is None:
            return None
        if not raw.strip():
            document: Any = {}
        else:
            media = content_type.split(";")[0].strip().lower()
            if media and media != "application/json" and not media.endswith("+json"):
                raise ApiError(
                    400, f"request body must be application/json, got Content-Type {media!r}"
                )
            try:
                document = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(400, f"request body is not valid JSON: {exc}") from None
        problems = self.errors(operation.body_pointer, document)
        if problems:
            raise ApiError(400, f"invalid request body: {describe(problems[0])}")
        return document


def _coerce(param: Parameter, raw: list[str], label: str) -> Any:
    schema = param.schema
    if schema.get("type") == "array":
        items_schema = schema.get("items")
        items: dict[str, Any] = items_schema if isinstance(items_schema, dict) else {}
        # Exploded arrays repeat the name (`ids=1&ids=2`); `ids=1,2` is accepted too.
        if not param.explode or (len(raw) == 1 and "," in raw[0]):
            raw = [piece for value in raw for piece in value.split(",")]
        return [_scalar(str(items.get("type", "string")), value, label) for value in raw]
    if len(raw) > 1:
        raise ApiError(400, f"{label} must be given once, got {len(raw)} values")
    return _scalar(str(schema.get("type", "string")), raw[0], label)


def _scalar(kind: str, value: str, label: str) -> Any:
    if kind == "integer":
        if not _INTEGER.match(value.strip()):
            raise ApiError(400, f"invalid {label}: {value!r} is not an integer")
        return int(value)
    if kind == "number":
        try:
            return float(value)
        except ValueError:
            raise ApiError(400, f"invalid {label}: {value!r} is not a number") from None
    if kind == "boolean":
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise ApiError(400, f"invalid {label}: {value!r} is not true or false")
        return lowered == "true"
    return value
