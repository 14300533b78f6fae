"""Convert OpenAPI Schema Objects into self-contained JSON Schema (draft 2020-12).

MCP clients receive the schemas without the spec, so every local `$ref` is inlined; a schema
that refers to itself (directly or through others) is emitted once under `$defs` instead, which
keeps the result finite and valid. OpenAPI-only keywords are translated (`nullable`, `example`,
boolean `exclusiveMinimum`) or dropped (`xml`, `discriminator`, `externalDocs`, `x-*`), and
properties that do not belong to the direction are removed (`readOnly` ones from inputs,
`writeOnly` ones from outputs).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any, Literal

from ozon_mcp.adapters.openapi.formats import portable_format
from ozon_mcp.adapters.openapi.spec import JsonObject, SpecError, escape_token, resolve_pointer
from ozon_mcp.adapters.openapi.text import rewrite_doc_links, tidy, trim

Direction = Literal["input", "output"]

JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})

_SUBSCHEMA_KEYS = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "contains",
        "if",
        "then",
        "else",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contentSchema",
    }
)
_SUBSCHEMA_LIST_KEYS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SUBSCHEMA_MAP_KEYS = frozenset({"properties", "patternProperties", "dependentSchemas"})
# OpenAPI-only or identity keywords that have no meaning (or a harmful one) once inlined.
_DROPPED_KEYS = frozenset(
    {
        "nullable",
        "discriminator",
        "xml",
        "externalDocs",
        "example",
        "readOnly",
        "writeOnly",
        "$id",
        "$schema",
        "$anchor",
        "$dynamicAnchor",
        "$comment",
        "$defs",
        "definitions",
    }
)
_ANNOTATION_KEYS = frozenset({"title", "description", "default", "examples", "deprecated"})
_DEF_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def local_ref(node: Any, pointer: str) -> str | None:
    """The `$ref` string of `node`, or None; refuse references that are not local."""
    if not isinstance(node, dict) or "$ref" not in node:
        return None
    ref = node["$ref"]
    if not isinstance(ref, str):
        raise SpecError(f"{pointer}/$ref: must be a string, found {type(ref).__name__}")
    if not ref.startswith("#"):
        raise SpecError(
            f"{pointer}/$ref: {ref!r} points outside the document; only local references "
            "('#/...') are supported, bundle the spec into one file first"
        )
    return ref


def follow_refs(document: JsonObject, node: Any, pointer: str) -> tuple[Any, str]:
    """Follow a chain of `$ref`s from `node` and return (target, JSON pointer of the target)."""
    seen: set[str] = set()
    while (ref := local_ref(node, pointer)) is not None:
        if ref in seen:
            raise SpecError(f"{pointer}/$ref: {ref!r} is part of a circle of bare references")
        seen.add(ref)
        try:
            node = resolve_pointer(document, ref)
        except SpecError:
            raise SpecError(
                f"{pointer}/$ref: {ref!r} does not point at anything in the document"
            ) from None
        pointer = ref[1:]
    return node, pointer


def _refs_below(node: Any, found: set[str]) -> set[str]:
    """Every `$ref` string inside `node` (without following them)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            found.add(ref)
        for key, child in node.items():
            if key not in ("example", "examples", "default", "enum", "const"):
                _refs_below(child, found)
    elif isinstance(node, list):
        for child in node:
            _refs_below(child, found)
    return found


def find_cyclic_refs(document: JsonObject) -> frozenset[str]:
    """The local `$ref`s that can reach themselves: these go to `$defs` instead of inline."""
    edges: dict[str, set[str]] = {}
    pending = list(_refs_below(document, set()))
    while pending:
        ref = pending.pop()
        if ref in edges:
            continue
        try:
            target = resolve_pointer(document, ref)
        except SpecError:
            target = None  # reported with its pointer when a tool actually uses it
        edges[ref] = _refs_below(target, set())
        pending.extend(edges[ref] - edges.keys())
    cyclic: set[str] = set()
    for start in edges:
        frontier, seen = list(edges[start]), set()
        while frontier:
            ref = frontier.pop()
            if ref == start:
                cyclic.add(start)
                break
            if ref not in seen:
                seen.add(ref)
                frontier.extend(edges.get(ref, ()))
    return frozenset(cyclic)


class SchemaConverter:
    """Turns the schemas of one tool into JSON Schema, collecting shared `$defs` for cycles.

    Use one converter per generated root schema: `convert` every part, then put `defs()` under
    the root's `$defs` (when not empty), since the emitted refs are `#/$defs/<name>`.
    """

    def __init__(
        self,
        document: JsonObject,
        direction: Direction,
        *,
        cyclic_refs: frozenset[str],
        description_limit: int = 0,
        tool_names: dict[str, str] | None = None,
    ) -> None:
        self._document = document
        self._tool_names = tool_names or {}
        self._direction = direction
        self._cyclic = cyclic_refs
        self._description_limit = description_limit
        self._def_names: dict[str, str] = {}
        self._defs: dict[str, JsonObject] = {}
        self.warnings: list[str] = []

    def convert(self, schema: Any, pointer: str) -> JsonObject:
        """Return the JSON Schema equivalent of the Schema Object `schema` found at `pointer`."""
        if isinstance(schema, bool):
            return {} if schema else {"not": {}}
        if not isinstance(schema, dict):
            raise SpecError(f"{pointer}: expected a Schema Object, found {type(schema).__name__}")
        if "$ref" in schema:
            return self._convert_ref(schema, pointer)
        out = self._convert_keywords(schema, pointer)
        out = _merge_single_all_of(out)
        if schema.get("nullable") is True:
            out = _allow_null(out)
        return out

    def defs(self) -> dict[str, JsonObject]:
        """The `$defs` needed by what was converted so far (converts pending cyclic targets)."""
        while pending := [ref for ref in self._def_names if self._def_names[ref] not in self._defs]:
            for ref in pending:
                name = self._def_names[ref]
                self._defs[name] = {}  # reserve, so a self-reference does not convert it again
                target, target_pointer = follow_refs(self._document, {"$ref": ref}, ref[1:])
                self._defs[name] = self.convert(target, target_pointer)
        return dict(sorted(self._defs.items()))

    def resolve_local(self, schema: JsonObject) -> JsonObject:
        """Follow an emitted `#/$defs/<name>` reference to its definition (else return as is)."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            self.defs()
            return self._defs.get(ref.removeprefix("#/$defs/"), schema)
        return schema

    def _convert_ref(self, schema: JsonObject, pointer: str) -> JsonObject:
        ref = local_ref(schema, pointer)
        assert ref is not None
        if ref in self._cyclic:
            base: JsonObject = {"$ref": f"#/$defs/{self._def_name(ref)}"}
            follow_refs(self._document, schema, pointer)  # fail now, naming the pointer
        else:
            target, target_pointer = follow_refs(self._document, schema, pointer)
            base = self.convert(target, target_pointer)
        siblings = {
            key: value
            for key, value in schema.items()
            if key != "$ref" and not key.startswith("x-")
        }
        if not siblings:
            return base
        # OpenAPI 3.0 ignores siblings of $ref, but authors mean them: a description or
        # `nullable` next to a reference describes this use of the referenced schema.
        nullable = siblings.pop("nullable", None) is True
        converted = self._convert_keywords(siblings, pointer) if siblings else {}
        annotations = {k: v for k, v in converted.items() if k in _ANNOTATION_KEYS}
        constraints = {k: v for k, v in converted.items() if k not in _ANNOTATION_KEYS}
        result = {**base, **annotations}
        if constraints:
            result = {"allOf": [base], **converted}
        return _allow_null(result) if nullable else result

    def _convert_keywords(self, schema: JsonObject, pointer: str) -> JsonObject:
        out: JsonObject = {}
        hidden: set[str] = set()
        for key, value in schema.items():
            where = f"{pointer}/{escape_token(key)}"
            if key.startswith("x-") or key in _DROPPED_KEYS:
                continue
            if key == "properties":
                out[key], hidden = self._convert_properties(value, where)
            elif key in _SUBSCHEMA_MAP_KEYS:
                out[key] = {
                    name: self.convert(sub, f"{where}/{escape_token(name)}")
                    for name, sub in _as_dict(value, where).items()
                }
            elif key in _SUBSCHEMA_LIST_KEYS:
                out[key] = [
                    self.convert(sub, f"{where}/{index}")
                    for index, sub in enumerate(_as_list(value, where))
                ]
            elif key == "items" and isinstance(value, list):
                out["prefixItems"] = [
                    self.convert(sub, f"{where}/{index}") for index, sub in enumerate(value)
                ]
            elif key in _SUBSCHEMA_KEYS:
                # 2020-12 accepts boolean subschemas (`additionalProperties: false`) as they are.
                out[key] = value if isinstance(value, bool) else self.convert(value, where)
            elif key == "type":
                out[key] = _checked_type(value, where)
            elif key == "required":
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    out[key] = list(dict.fromkeys(value))
                elif not isinstance(value, bool):  # a boolean was already reported by repair
                    raise SpecError(f"{where}: must be a list of property names")
            elif key == "title":
                if isinstance(value, str) and value.strip() and value not in JSON_TYPES:
                    out[key] = value  # a title that only repeats the type is generator noise
            elif key == "description":
                if isinstance(value, str) and value.strip():
                    text = rewrite_doc_links(tidy(value), self._tool_names)
                    out[key] = trim(text, self._description_limit)
            elif key == "examples":
                if isinstance(value, list):
                    out[key] = copy.deepcopy(value)
            elif key == "pattern":
                if _compiles(value):
                    out[key] = value
                else:
                    self.warnings.append(
                        f"{where}: pattern {value!r} is not a valid regular expression here; "
                        "it is not enforced"
                    )
            else:
                out[key] = copy.deepcopy(value)
        if "example" in schema and "examples" not in out:
            out["examples"] = [copy.deepcopy(schema["example"])]
        if hidden and isinstance(out.get("required"), list):
            out["required"] = [name for name in out["required"] if name not in hidden]
        if out.get("required") == []:
            del out["required"]
        _fix_exclusive_bounds(out)
        return out

    def _convert_properties(self, value: Any, pointer: str) -> tuple[JsonObject, set[str]]:
        hidden_flag = "readOnly" if self._direction == "input" else "writeOnly"
        converted: JsonObject = {}
        hidden: set[str] = set()
        for name, sub in _as_dict(value, pointer).items():
            where = f"{pointer}/{escape_token(name)}"
            if self._flagged(sub, hidden_flag, where):
                hidden.add(name)
                continue
            converted[name] = self.convert(sub, where)
        return converted, hidden

    def _flagged(self, schema: Any, flag: str, pointer: str) -> bool:
        """Whether `schema` (or what it refers to) is marked `readOnly`/`writeOnly`."""
        if not isinstance(schema, dict):
            return False
        if schema.get(flag) is True:
            return True
        if "$ref" in schema:
            target, target_pointer = follow_refs(self._document, schema, pointer)
            return self._flagged(target, flag, target_pointer)
        return False

    def _def_name(self, ref: str) -> str:
        if ref not in self._def_names:
            base = _DEF_NAME_UNSAFE.sub("_", ref.rsplit("/", 1)[-1]) or "schema"
            name, counter = base, 2
            while name in self._def_names.values():
                name, counter = f"{base}_{counter}", counter + 1
            self._def_names[ref] = name
        return self._def_names[ref]


def portable_schema(schema: Any) -> Any:
    """A generated schema that strict validators accept: no non-standard `format` anywhere.

    Walks subschemas only (never `enum`, `const`, `default` or `examples` values); see
    `formats.portable_format` for what each OpenAPI format becomes. Lenient argument coercion
    keys on `type`, so it still accepts a number for a uint64 string.
    """
    if not isinstance(schema, dict):
        return schema
    out: JsonObject = {}
    for key, value in schema.items():
        if key in _SUBSCHEMA_KEYS:
            out[key] = portable_schema(value)
        elif key in _SUBSCHEMA_LIST_KEYS and isinstance(value, list):
            out[key] = [portable_schema(item) for item in value]
        elif (key in _SUBSCHEMA_MAP_KEYS or key == "$defs") and isinstance(value, dict):
            out[key] = {name: portable_schema(item) for name, item in value.items()}
        else:
            out[key] = value
    return portable_format(_with_implied_type(out))


# Keywords that apply to one JSON type only; strict validators want that type declared.
_ARRAY_KEYWORDS = frozenset({"items", "prefixItems", "minItems", "maxItems", "uniqueItems"})
_OBJECT_KEYWORDS = frozenset(
    {"properties", "required", "additionalProperties", "minProperties", "maxProperties"}
)


def _with_implied_type(schema: JsonObject) -> JsonObject:
    """Declare `type` where a node's keywords already say it (`items` without `type: array`).

    OpenAPI requires `type: array` beside `items`, but specs omit it; Ajv strict mode then
    refuses the whole schema. Only nodes whose keywords belong to one type alone get one.
    """
    if "type" in schema or "$ref" in schema:
        return schema
    array, obj = bool(schema.keys() & _ARRAY_KEYWORDS), bool(schema.keys() & _OBJECT_KEYWORDS)
    if array != obj:
        return {"type": "array" if array else "object", **schema}
    return schema


def _allow_null(schema: JsonObject) -> JsonObject:
    """Let `schema` also accept null (OpenAPI 3.0 `nullable: true`)."""
    kind = schema.get("type")
    if isinstance(kind, str) and "$ref" not in schema:
        out = {**schema, "type": [kind, "null"] if kind != "null" else "null"}
    elif isinstance(kind, list) and "$ref" not in schema:
        out = {**schema, "type": kind if "null" in kind else [*kind, "null"]}
    else:
        annotations = {k: v for k, v in schema.items() if k in _ANNOTATION_KEYS}
        rest = {k: v for k, v in schema.items() if k not in _ANNOTATION_KEYS}
        return {"anyOf": [rest, {"type": "null"}], **annotations}
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _merge_single_all_of(schema: JsonObject) -> JsonObject:
    """`allOf: [X]` plus annotations (the usual way to attach `nullable` to a ref) becomes X."""
    members = schema.get("allOf")
    if not (isinstance(members, list) and len(members) == 1 and isinstance(members[0], dict)):
        return schema
    member = members[0]
    if "$ref" in member:
        return schema
    rest = {k: v for k, v in schema.items() if k != "allOf"}
    for key, value in rest.items():
        if key in member and key not in _ANNOTATION_KEYS and member[key] != value:
            return schema
    return {**member, **rest}


def _fix_exclusive_bounds(schema: JsonObject) -> None:
    """OpenAPI 3.0 `exclusiveMaximum: true` + `maximum: n` is 2020-12 `exclusiveMaximum: n`."""
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = schema.get(exclusive)
        if isinstance(flag, bool):
            del schema[exclusive]
            if flag and bound in schema:
                schema[exclusive] = schema.pop(bound)


def _checked_type(value: Any, pointer: str) -> str | list[str]:
    kinds: Iterable[Any] = value if isinstance(value, list) else [value]
    for kind in kinds:
        if kind not in JSON_TYPES:
            raise SpecError(
                f"{pointer}: unknown type {kind!r}; expected one of {', '.join(sorted(JSON_TYPES))}"
            )
    return list(dict.fromkeys(value)) if isinstance(value, list) else str(value)


def _compiles(pattern: Any) -> bool:
    if not isinstance(pattern, str):
        return False
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _as_dict(value: Any, pointer: str) -> JsonObject:
    if not isinstance(value, dict):
        raise SpecError(f"{pointer}: must be an object, found {type(value).__name__}")
    return value


def _as_list(value: Any, pointer: str) -> list[Any]:
    if not isinstance(value, list):
        raise SpecError(f"{pointer}: must be a list, found {type(value).__name__}")
    return value
