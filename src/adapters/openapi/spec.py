"""Loading an OpenAPI document and repairing the real-world defects that have one obvious meaning.

Both the tool builder and the emulator read specs through this module, so a repair made here is
seen identically by the server and by its test counterpart.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ozon_mcp.adapters.openapi.loading import parse_document, read_spec_text
from ozon_mcp.adapters.openapi.path_keys import refuse_unsafe_path_keys
from ozon_mcp.adapters.openapi.spec_errors import SpecError as SpecError
from ozon_mcp.adapters.openapi.spec_errors import SpecLoadError as SpecLoadError

log = logging.getLogger("ozon_mcp.openapi")

BUNDLED_SPEC_NAME = "ozon-performance.openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

JsonObject = dict[str, Any]

# Keys whose values are instance data (examples, defaults, enums), never Schema Objects.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})
_PATH_TEMPLATE_VARIABLE = re.compile(r"{([^{}/]+)}")
_SCHEMA_KEYWORDS = frozenset({"items", "additionalProperties", "not"})
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP_KEYWORDS = frozenset({"properties", "patternProperties"})
# Schema keywords whose null value has no meaning but "not given" (unlike `default: null`).
_NULL_MEANS_ABSENT = (
    "enum",
    "type",
    "format",
    "properties",
    "required",
    "items",
    "allOf",
    "anyOf",
    "oneOf",
    "title",
    "description",
    "pattern",
    "additionalProperties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
)


@dataclass(frozen=True)
class Repair:
    """One change made to the document so that it can be used, with where and why."""

    pointer: str
    description: str


@dataclass(frozen=True)
class LoadedSpec:
    """A parsed, repaired OpenAPI 3.x document and the list of repairs applied to it."""

    document: JsonObject
    source: str
    repairs: tuple[Repair, ...] = field(default=())

    @property
    def title(self) -> str:
        info = self.document.get("info") or {}
        return str(info.get("title", "OpenAPI"))

    def operations(self) -> list[tuple[str, str, JsonObject, JsonObject]]:
        """Every operation as (method, path, path item, operation), in document order."""
        found: list[tuple[str, str, JsonObject, JsonObject]] = []
        for path, item in (self.document.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    found.append((method, path, item, operation))
        return found

    def resolve(self, ref: str) -> Any:
        """Return the target of a local `$ref` (`#/components/...`)."""
        return resolve_pointer(self.document, ref)


def bundled_spec_path() -> Path:
    """Where the bundled Ozon Performance spec lives inside the installed package."""
    return Path(
        str(resources.files("ozon_mcp.adapters.openapi").joinpath("data", BUNDLED_SPEC_NAME))
    )


def load_spec(source: str | Path | None = None) -> LoadedSpec:
    """Read a spec from a JSON or YAML file (the bundled Ozon spec when `source` is None)."""
    path = bundled_spec_path() if source is None or str(source) == "" else Path(source)
    # Bounded: a FIFO, a device, a huge or binary file is refused before parsing.
    return parse_spec(read_spec_text(path), str(path))


def parse_spec(text: str, source: str = "<string>") -> LoadedSpec:
    """Parse JSON or YAML text into a repaired spec; refuse what is not OpenAPI 3."""
    document = parse_document(text, source)  # alias bombs and deep nesting refused
    if not isinstance(document, dict):
        raise SpecError(f"{source}: the document root (pointer '') must be an object")
    # Just parsed, held by nobody else: repaired as it is (a copy costs ~5 ms at start-up).
    return repair_spec(document, source, in_place=True)


def repair_spec(
    document: JsonObject, source: str = "<dict>", *, in_place: bool = False
) -> LoadedSpec:
    """Return a repaired deep copy of `document`; the caller's dict is left untouched.

    `in_place`: repair `document` itself (for a document nobody else holds: the same result,
    as a deep copy keeps any object shared within the document shared).
    """
    from ozon_mcp.adapters.openapi.swagger2 import convert_swagger2, is_swagger2

    if is_swagger2(document):  # converted to the OpenAPI 3.0 shape (a new dict)
        document = convert_swagger2(document)
        log.info("%s: a Swagger 2.0 document, read as OpenAPI 3.0", source)
    version = str(document.get("openapi", ""))
    if not version.startswith("3."):
        found = document.get("swagger") or document.get("openapi") or "none"
        raise SpecError(
            f"{source}: pointer '/openapi' must name OpenAPI 3.x, or '/swagger' 2.0 "
            f"(found {found!r})"
        )
    if not isinstance(document.get("paths"), dict):
        raise SpecError(f"{source}: pointer '/paths' must be an object of path items")
    fixed = document if in_place else copy.deepcopy(document)
    repairs: list[Repair] = [
        Repair(pointer, description) for pointer, description in refuse_unsafe_path_keys(fixed)
    ]
    required_components = _repair_required_components(fixed, repairs)
    _repair_boolean_required(fixed, "", repairs, parent=None, name=None)
    if required_components:
        _require_references(fixed, "", required_components, repairs)
    _repair_parameters(fixed, repairs)
    _repair_empty_keywords(fixed, repairs)
    for repair in repairs:
        log.warning("spec repaired at %s: %s", repair.pointer, repair.description)
    return LoadedSpec(document=fixed, source=source, repairs=tuple(repairs))


def _repair_required_components(document: JsonObject, repairs: list[Repair]) -> set[str]:
    """Strip a boolean `required` from top-level component schemas and return the refs that had
    `required: true`: a property that points at one of them is what must be required."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    marked: set[str] = set()
    for name, schema in schemas.items():
        if isinstance(schema, dict) and isinstance(schema.get("required"), bool):
            flag = schema.pop("required")
            pointer = f"/components/schemas/{escape_token(name)}/required"
            if flag:
                marked.add(f"#/components/schemas/{escape_token(name)}")
                what = "moved into the required list of every object property that refers to it"
            else:
                what = "dropped (false is the default)"
            repairs.append(Repair(pointer, f"boolean 'required: {flag}' {what}"))
    return marked


def _require_references(node: Any, pointer: str, marked: set[str], repairs: list[Repair]) -> None:
    """Add each property that `$ref`s a marked component schema to its object's `required`."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _require_references(item, f"{pointer}/{index}", marked, repairs)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict):
        for prop_name, prop in properties.items():
            if isinstance(prop, dict) and prop.get("$ref") in marked:
                required = node.setdefault("required", [])
                if isinstance(required, list) and prop_name not in required:
                    required.append(prop_name)
                    repairs.append(
                        Repair(f"{pointer}/required", f"added {prop_name!r} ({prop['$ref']})")
                    )
    for key, child in node.items():
        if key not in _DATA_KEYS and not key.startswith("x-"):
            _require_references(child, f"{pointer}/{escape_token(key)}", marked, repairs)


def _is_schema_container(pointer: str) -> bool:
    """Whether the object at `pointer` is a Schema Object (where `required` must be a list)."""
    parts = pointer.split("/")
    return (
        (len(parts) >= 4 and parts[1] == "components" and parts[2] == "schemas")
        or "schema" in parts
        or "properties" in parts
        or "items" in parts
    )


def _repair_boolean_required(
    node: Any,
    pointer: str,
    repairs: list[Repair],
    parent: JsonObject | None,
    name: str | None,
) -> None:
    """Move a boolean `required` found inside a Schema Object into its parent's `required` list.

    OpenAPI 3.0 allows a boolean `required` only on Parameter and Request Body objects; inside a
    schema it can only mean "this property is required by the object that holds it".
    """
    if isinstance(node, list):
        for index, item in enumerate(node):
            _repair_boolean_required(item, f"{pointer}/{index}", repairs, None, None)
        return
    if not isinstance(node, dict):
        return
    flag = node.get("required")
    if isinstance(flag, bool) and _is_schema_container(pointer) and "in" not in node:
        del node["required"]
        if flag and parent is not None and name is not None:
            required = parent.setdefault("required", [])
            if isinstance(required, list) and name not in required:
                required.append(name)
            what = f"moved into the parent's required list as {name!r}"
        else:
            what = "dropped (a schema cannot require itself; no parent object names it)"
        repairs.append(Repair(f"{pointer}/required", f"boolean 'required: {flag}' {what}"))
    properties = node.get("properties")
    # A list copy: repairing a property may add this node's own `required` list.
    for key, child in list(node.items()):
        child_pointer = f"{pointer}/{escape_token(key)}"
        if key in _DATA_KEYS or key.startswith("x-"):
            continue  # example values and extensions are data, not schemas: never rewrite them
        if key == "properties" and isinstance(properties, dict):
            for prop_name, prop in properties.items():
                _repair_boolean_required(
                    prop, f"{child_pointer}/{escape_token(prop_name)}", repairs, node, prop_name
                )
        else:
            _repair_boolean_required(child, child_pointer, repairs, None, None)


def _repair_parameters(document: JsonObject, repairs: list[Repair]) -> None:
    """Make every operation's parameters callable: path parameters required and present in the
    template, every parameter with a schema."""
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        item_pointer = f"/paths/{escape_token(path)}"
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            op_pointer = f"{item_pointer}/{method}"
            declared: set[str] = set()
            for params, pointer in (
                (item.get("parameters"), f"{item_pointer}/parameters"),
                (operation.get("parameters"), f"{op_pointer}/parameters"),
            ):
                if isinstance(params, list):
                    declared |= _repair_parameter_list(document, params, pointer, path, repairs)
            missing = [
                name
                for name in dict.fromkeys(_PATH_TEMPLATE_VARIABLE.findall(path))
                if name not in declared
            ]
            if missing:
                params = operation.setdefault("parameters", [])
                if isinstance(params, list):
                    for name in missing:
                        params.append(
                            {
                                "name": name,
                                "in": "path",
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        )
                        repairs.append(
                            Repair(
                                f"{op_pointer}/parameters",
                                f"path template variable {{{name}}} has no parameter; added a "
                                "required string path parameter",
                            )
                        )


def _repair_parameter_list(
    document: JsonObject, params: list[Any], pointer: str, path: str, repairs: list[Repair]
) -> set[str]:
    """Repair the parameters of one list in place; return the names of its path parameters."""
    template_names = set(_PATH_TEMPLATE_VARIABLE.findall(path))
    path_names: set[str] = set()
    for index in reversed(range(len(params))):
        where = f"{pointer}/{index}"
        param = params[index]
        ref = param.get("$ref") if isinstance(param, dict) else None
        if isinstance(ref, str):
            try:
                param = resolve_pointer(document, ref)
            except SpecError:
                continue  # reported with its pointer when the tool is built
            where = ref[1:]
        if not isinstance(param, dict) or param.get("in") != "path":
            if isinstance(param, dict):
                _repair_parameter_schema(param, where, repairs)
            continue
        name = param.get("name")
        if not isinstance(name, str):
            continue  # reported with its pointer when the tool is built
        if name not in template_names:
            del params[index]
            repairs.append(
                Repair(
                    f"{pointer}/{index}",
                    f"path parameter {name!r} does not occur in the path template {path!r}; "
                    "dropped",
                )
            )
            continue
        path_names.add(str(name))
        if param.get("required") is not True:
            param["required"] = True
            repairs.append(
                Repair(f"{where}/required", "a path parameter is always required; set to true")
            )
        _repair_parameter_schema(param, where, repairs)
    return path_names


def _repair_parameter_schema(param: JsonObject, pointer: str, repairs: list[Repair]) -> None:
    if "schema" not in param and "content" not in param:
        param["schema"] = {"type": "string"}
        repairs.append(Repair(f"{pointer}/schema", "parameter has no schema; treated as a string"))


def iter_schemas(document: JsonObject) -> Iterator[tuple[JsonObject, str]]:
    """Every Schema Object of the document with its JSON pointer (each object once).

    Roots are the component schemas and every `schema` field; from there the walk follows the
    keywords that hold subschemas, so example data is never mistaken for a schema.
    """
    seen: set[int] = set()
    pending: list[tuple[Any, str]] = []
    schemas = (document.get("components") or {}).get("schemas")
    if isinstance(schemas, dict):
        pending.extend(
            (schema, f"/components/schemas/{escape_token(name)}")
            for name, schema in schemas.items()
        )
    pending.extend(_schema_fields(document, ""))
    while pending:
        schema, pointer = pending.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        yield schema, pointer
        for key, child in schema.items():
            where = f"{pointer}/{escape_token(key)}"
            if key in _SCHEMA_MAP_KEYWORDS and isinstance(child, dict):
                pending.extend((sub, f"{where}/{escape_token(n)}") for n, sub in child.items())
            elif key in _SCHEMA_LIST_KEYWORDS and isinstance(child, list):
                pending.extend((sub, f"{where}/{i}") for i, sub in enumerate(child))
            elif key in _SCHEMA_KEYWORDS:
                pending.append((child, where))


def _schema_fields(node: Any, pointer: str) -> Iterator[tuple[Any, str]]:
    """The values of `schema` fields (parameters, media types, headers) outside schemas."""
    if isinstance(node, list):
        for index, child in enumerate(node):
            yield from _schema_fields(child, f"{pointer}/{index}")
    elif isinstance(node, dict):
        for key, child in node.items():
            if key in _DATA_KEYS or key.startswith("x-") or pointer == "/components/schemas":
                continue
            where = f"{pointer}/{escape_token(key)}"
            if key == "schema":
                yield child, where
            elif pointer != "" or key in ("paths", "components", "webhooks"):
                yield from _schema_fields(child, where)


def _repair_empty_keywords(document: JsonObject, repairs: list[Repair]) -> None:
    """Drop schema keywords given as null (or an empty enum): they can only mean "no rule"."""
    for schema, pointer in iter_schemas(document):
        for key in [k for k in _NULL_MEANS_ABSENT if k in schema]:
            value = schema[key]
            if value is None:
                del schema[key]
                repairs.append(Repair(f"{pointer}/{escape_token(key)}", f"null {key!r} dropped"))
            elif key == "enum" and value == []:
                del schema[key]
                repairs.append(
                    Repair(
                        f"{pointer}/enum",
                        "empty enum dropped (it would reject every value)",
                    )
                )


def escape_token(token: str) -> str:
    """Escape one JSON pointer token (`~` -> `~0`, `/` -> `~1`)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def resolve_pointer(document: JsonObject, ref: str) -> Any:
    """Follow a local JSON pointer reference such as `#/components/schemas/Foo`."""
    if not ref.startswith("#"):
        raise SpecError(f"$ref {ref!r}: only local references ('#/...') are supported")
    node: Any = document
    for raw in ref[1:].split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif (
            isinstance(node, list)
            and token.isascii()
            and token.isdigit()
            and int(token) < len(node)
        ):
            node = node[int(token)]
        else:
            raise SpecError(f"$ref {ref!r}: target does not exist in the document")
    return node
