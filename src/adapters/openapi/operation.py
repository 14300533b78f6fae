"""Read one OpenAPI operation as tool parts: name-independent text, schemas and bindings.

Parameters become top-level arguments under their OpenAPI names (`<in>_<name>` when two
locations share a name); the request body is added by `bodies`, the output schema by `outputs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from ozon_mcp.adapters.openapi.binding import DEFAULT_STYLE, BodyBinding, Location, ParameterBinding
from ozon_mcp.adapters.openapi.bodies import request_body
from ozon_mcp.adapters.openapi.media import json_rank
from ozon_mcp.adapters.openapi.naming import unique_argument
from ozon_mcp.adapters.openapi.outputs import output_schema
from ozon_mcp.adapters.openapi.schema import SchemaConverter, follow_refs, portable_schema
from ozon_mcp.adapters.openapi.spec import JsonObject, SpecError, escape_token
from ozon_mcp.adapters.openapi.text import one_line, rewrite_doc_links, tidy, trim

TITLE_LIMIT = 120
_LOCATIONS: tuple[Location, ...] = ("path", "query", "header", "cookie")
# Header parameters the spec says to ignore (RFC-managed or set by us); `Authorization` must
# never come from a tool argument, since the OAuth client sets it.
_RESERVED_HEADERS = frozenset(
    {"authorization", "content-type", "content-length", "host", "connection", "transfer-encoding"}
)


@dataclass(frozen=True)
class OperationParts:
    """What one operation contributes to its tool; `unusable` says why it cannot be a tool."""

    pointer: str
    title: str | None
    summary: str | None
    description: str
    input_schema: JsonObject
    output_schema: JsonObject | None
    parameters: tuple[ParameterBinding, ...]
    body: BodyBinding | None
    warnings: tuple[str, ...] = field(default=())
    unusable: str | None = None


def describe_operation(
    document: JsonObject,
    method: str,
    path: str,
    item: Mapping[str, Any],
    operation: Mapping[str, Any],
    *,
    cyclic_refs: frozenset[str],
    output_schemas: bool,
    description_limit: int,
    parameter_description_limit: int,
    tool_names: dict[str, str],
) -> OperationParts:
    """Collect the tool parts of the operation `method` `path` (raises SpecError if unreadable).

    `tool_names` maps operationIds to tool names, for links between operations in the prose.
    """
    pointer = f"/paths/{escape_token(path)}/{method}"
    converter = SchemaConverter(
        document,
        "input",
        cyclic_refs=cyclic_refs,
        description_limit=parameter_description_limit,
        tool_names=tool_names,
    )
    prose = partial(_prose, tool_names=tool_names)
    properties: JsonObject = {}
    required: list[str] = []
    bindings: list[ParameterBinding] = []
    for param, param_pointer in _parameters(document, item, operation, pointer):
        binding, schema = _parameter(param, param_pointer, converter, properties)
        if binding is None:
            continue
        schema = _documented(
            schema,
            prose(param.get("description")),
            param,
            binding.location,
            parameter_description_limit,
        )
        properties[binding.argument] = schema
        bindings.append(binding)
        if param.get("required") is True:
            required.append(binding.argument)
    body = request_body(
        document,
        operation,
        pointer,
        converter,
        properties,
        required,
        prose=prose,
        description_limit=parameter_description_limit,
    )
    warnings = [body.warning] if body.warning else []
    input_schema: JsonObject = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = required
    input_schema["additionalProperties"] = False
    defs = converter.defs()
    if defs:
        input_schema["$defs"] = defs
    warnings.extend(converter.warnings)
    summary = prose(operation.get("summary"))
    output = (
        output_schema(
            document,
            operation,
            pointer,
            cyclic_refs=cyclic_refs,
            description_limit=parameter_description_limit,
            tool_names=tool_names,
        )
        if output_schemas
        else None
    )
    if body.unusable is not None:
        warnings.append(f"{pointer}: {body.unusable}; the operation is not offered as a tool")
    return OperationParts(
        pointer=pointer,
        title=one_line(summary, TITLE_LIMIT) if summary else None,
        summary=summary,
        description=_description(
            method,
            path,
            operation,
            summary,
            prose(operation.get("description")),
            description_limit,
        ),
        # Published schemas must load in strict validators (Ajv strict mode in TS clients).
        input_schema=portable_schema(input_schema),
        output_schema=portable_schema(output) if output is not None else None,
        parameters=tuple(bindings),
        body=body.binding,
        warnings=tuple(warnings),
        unusable=body.unusable,
    )


def _parameters(
    document: JsonObject, item: Mapping[str, Any], operation: Mapping[str, Any], pointer: str
) -> list[tuple[JsonObject, str]]:
    """Path-item and operation parameters, resolved; an operation's own one wins a clash."""
    item_pointer = pointer.rsplit("/", 1)[0]
    merged: dict[tuple[str, str], tuple[JsonObject, str]] = {}
    for params, where in (
        (item.get("parameters"), f"{item_pointer}/parameters"),
        (operation.get("parameters"), f"{pointer}/parameters"),
    ):
        if params is None:
            continue
        if not isinstance(params, list):
            raise SpecError(f"{where}: must be a list of Parameter Objects")
        for index, raw in enumerate(params):
            param, param_pointer = follow_refs(document, raw, f"{where}/{index}")
            if not isinstance(param, dict):
                raise SpecError(f"{param_pointer}: a parameter must be an object")
            name, location = param.get("name"), param.get("in")
            if not isinstance(name, str) or not name:
                raise SpecError(f"{param_pointer}/name: a parameter needs a non-empty name")
            if location not in _LOCATIONS:
                raise SpecError(
                    f"{param_pointer}/in: must be one of {', '.join(_LOCATIONS)}, "
                    f"found {location!r}"
                )
            merged[(name, location)] = (param, param_pointer)
    return list(merged.values())


def _parameter(
    param: JsonObject,
    pointer: str,
    converter: SchemaConverter,
    taken: Mapping[str, Any],
) -> tuple[ParameterBinding | None, JsonObject]:
    """The binding and schema of one parameter (None for headers the spec says to ignore)."""
    name = str(param["name"])
    location = cast(Location, param["in"])
    if location == "header" and name.lower() in _RESERVED_HEADERS:
        return None, {}
    as_json = False
    if "schema" in param:
        schema = converter.convert(param["schema"], f"{pointer}/schema")
    else:
        content = param.get("content")
        if not isinstance(content, dict) or len(content) != 1:
            raise SpecError(f"{pointer}: a parameter needs a schema or exactly one content entry")
        media_type, media = next(iter(content.items()))
        media_pointer = f"{pointer}/content/{escape_token(media_type)}"
        schema = converter.convert(
            (media or {}).get("schema", {}) if isinstance(media, dict) else {},
            f"{media_pointer}/schema",
        )
        as_json = json_rank(media_type) is not None
    style = param.get("style", DEFAULT_STYLE[location])
    if not isinstance(style, str):
        raise SpecError(f"{pointer}/style: must be a string")
    explode = param.get("explode", style == "form")
    argument = unique_argument(name, f"{location}_{name}", taken)
    binding = ParameterBinding(
        argument=argument,
        name=name,
        location=location,
        style=style,
        explode=bool(explode),
        as_json=as_json,
    )
    return binding, schema


def _documented(
    schema: JsonObject, text: str, param: Mapping[str, Any], location: str, limit: int
) -> JsonObject:
    """Put the parameter's own description (or a plain fallback) on its schema."""
    documented = dict(schema)
    if text:
        documented["description"] = trim(text, limit)
    elif not documented.get("description"):
        documented["description"] = f"{location.capitalize()} parameter."
    if param.get("deprecated") is True:
        documented["deprecated"] = True
    if "example" in param and "examples" not in documented:
        documented["examples"] = [param["example"]]
    return documented


def _description(
    method: str,
    path: str,
    operation: Mapping[str, Any],
    summary: str | None,
    details: str,
    limit: int,
) -> str:
    if summary and details and details.startswith(summary):
        text = details
    else:
        text = "\n\n".join(part for part in (summary, details) if part)
    if not text:
        text = f"{method.upper()} {path}"
    if operation.get("deprecated") is True:
        text = f"Deprecated. {text}"
    return trim(text, limit, note=True)


def _prose(value: Any, *, tool_names: dict[str, str]) -> str:
    """Tidied text of a description field, with doc-site links made meaningful; "" if absent."""
    return rewrite_doc_links(tidy(value), tool_names) if isinstance(value, str) else ""
