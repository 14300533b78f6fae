"""One MCP tool per OpenAPI operation: names, descriptions, input schemas and request bindings.

The result is transport-free: `OperationTool` holds what `tools/list` publishes plus what is
needed to turn a `tools/call` into an HTTP request (`prepare_request`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ozon_mcp.adapters.openapi.binding import (
    BodyBinding,
    ParameterBinding,
    PreparedRequest,
    build_request,
)
from ozon_mcp.adapters.openapi.naming import (
    OperationAnnotations,
    annotations_for,
    base_name,
    unique_names,
)
from ozon_mcp.adapters.openapi.operation import OperationParts, describe_operation
from ozon_mcp.adapters.openapi.schema import find_cyclic_refs
from ozon_mcp.adapters.openapi.security import (
    OperationSecurity,
    SecurityScheme,
    detect_schemes,
    operation_security,
)
from ozon_mcp.adapters.openapi.spec import LoadedSpec, SpecError
from ozon_mcp.adapters.openapi.validation import (
    check_arguments,
    coerce_arguments,
    compile_validator,
)

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

log = logging.getLogger("ozon_mcp.openapi")

DEFAULT_DESCRIPTION_LIMIT = 500
DEFAULT_PARAMETER_DESCRIPTION_LIMIT = 200


@dataclass(frozen=True)
class OperationTool:
    """An MCP tool generated from one operation, and how to call that operation.

    `input_schema` / `output_schema` are plain JSON Schema dicts ready for `types.Tool`; treat
    them as read-only. `input_validator` is compiled once, from a private copy of the schema.
    """

    name: str
    title: str | None
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    annotations: OperationAnnotations
    method: str
    path: str
    operation_id: str | None
    parameters: tuple[ParameterBinding, ...]
    body: BodyBinding | None
    pointer: str = field(default="", repr=False, compare=False)
    # What the spec requires to call it (see `security`); unspecified for hand-made tools.
    security: OperationSecurity = field(
        default=OperationSecurity("unspecified", "none"), repr=False, compare=False
    )

    @cached_property
    def input_validator(self) -> Draft202012Validator:
        """The compiled argument validator, built once on first use from a private copy.

        Checking a generated schema against the JSON Schema meta-schema costs about 1 ms per
        tool, so `build_tools(check_schemas=False)` leaves it to the first call of each tool
        instead of the server's start-up; raises SpecError naming the operation if invalid.
        """
        return _validator(self.input_schema, self.pointer, "input")

    @cached_property
    def output_validator(self) -> Draft202012Validator | None:
        """The compiled validator of the published output schema, if one is published."""
        if self.output_schema is None:
            return None
        return _validator(self.output_schema, self.pointer, "output")

    def check_schemas(self) -> None:
        """Compile both validators now; raises SpecError if a generated schema is invalid."""
        _ = self.input_validator, self.output_validator

    def validate_arguments(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """The arguments, unambiguous scalars coerced (an int id for a uint64 string); raises
        ArgumentError naming each bad, missing or unknown argument."""
        values: dict[str, Any] = coerce_arguments(self.input_schema, dict(arguments or {}))
        check_arguments(self.input_validator, values)
        return values

    def prepare_request(self, arguments: Mapping[str, Any] | None) -> PreparedRequest:
        """Validate `arguments` and build the HTTP request; raises ArgumentError when invalid."""
        values = self.validate_arguments(arguments)
        return build_request(self.method, self.path, self.parameters, self.body, values)


def build_tools(
    spec: LoadedSpec,
    *,
    output_schemas: bool = False,
    description_limit: int = DEFAULT_DESCRIPTION_LIMIT,
    parameter_description_limit: int = DEFAULT_PARAMETER_DESCRIPTION_LIMIT,
    check_schemas: bool = True,
) -> list[OperationTool]:
    """Build one tool per operation of `spec`, in document order.

    An operation that cannot be understood is skipped with a warning naming its JSON pointer (a
    SpecError is raised only for a document that is not a spec at all); a warning is also logged
    for each duplicate name made unique and each part of the spec that is not usable as given.
    With `check_schemas=False` the generated schemas are checked on each tool's first call.
    """
    cyclic = find_cyclic_refs(spec.document)
    operations = spec.operations()
    candidates = [
        base_name(_operation_id(operation), method, path)
        for method, path, _item, operation in operations
    ]
    names, renamed = unique_names(candidates)
    for original, final in renamed:
        log.warning("duplicate tool name %r: this operation is published as %r", original, final)
    tool_names: dict[str, str] = {}
    for name, (_method, _path, _item, operation) in zip(names, operations, strict=True):
        operation_id = _operation_id(operation)
        if operation_id is not None:
            tool_names.setdefault(operation_id, name)
    tools: list[OperationTool] = []
    warnings: list[str] = []
    schemes = detect_schemes(spec.document)
    for name, (method, path, item, operation) in zip(names, operations, strict=True):
        try:
            parts = describe_operation(
                spec.document,
                method,
                path,
                item,
                operation,
                cyclic_refs=cyclic,
                output_schemas=output_schemas,
                description_limit=description_limit,
                parameter_description_limit=parameter_description_limit,
                tool_names=tool_names,
            )
            security = operation_security(spec.document, operation, schemes, parts.pointer)
            warnings.extend(parts.warnings + security.warnings)
            if parts.unusable is not None:
                continue
            parts = _without_credential_parameters(parts, security, schemes)
            tool = _tool(name, method, path, operation, parts, security)
            if check_schemas:
                tool.check_schemas()
        except (SpecError, RecursionError) as exc:
            # One operation the builder cannot read never stops the others (nor the server).
            detail = str(exc) if isinstance(exc, SpecError) else "schema nesting is too deep"
            warnings.append(f"{detail}; the operation {method.upper()} {path} is skipped")
            continue
        tools.append(tool)
    for warning in dict.fromkeys(warnings):
        log.warning("%s", warning)
    return tools


def _without_credential_parameters(
    parts: OperationParts, security: OperationSecurity, schemes: Mapping[str, SecurityScheme]
) -> OperationParts:
    """Drop the parameters an apiKey scheme of the operation fills (the spec sometimes declares
    the key as a parameter too): the configured credential fills them, never an argument."""
    filled = {
        (scheme.key_in, (scheme.key_name or "").lower())
        for alternative in security.alternatives
        for name, _scopes in alternative.schemes
        if (scheme := schemes.get(name)) is not None and scheme.kind == "api_key"
    }
    dropped = [b for b in parts.parameters if (b.location, b.name.lower()) in filled]
    if not dropped:
        return parts
    arguments = {b.argument for b in dropped}
    schema = dict(parts.input_schema)
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k not in arguments}
    required = [r for r in schema.get("required", []) if r not in arguments]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    kept = tuple(b for b in parts.parameters if b.argument not in arguments)
    return dataclasses.replace(parts, input_schema=schema, parameters=kept)


def _tool(
    name: str,
    method: str,
    path: str,
    operation: Mapping[str, Any],
    parts: OperationParts,
    security: OperationSecurity,
) -> OperationTool:
    operation_id = _operation_id(operation)
    return OperationTool(
        name=name,
        title=parts.title,
        description=parts.description,
        input_schema=parts.input_schema,
        output_schema=parts.output_schema,
        annotations=annotations_for(method, operation_id, parts.summary),
        method=method.upper(),
        path=path,
        operation_id=operation_id,
        parameters=parts.parameters,
        body=parts.body,
        pointer=parts.pointer,
        security=security,
    )


def _validator(schema: dict[str, Any], pointer: str, which: str) -> Draft202012Validator:
    from jsonschema.exceptions import SchemaError  # imported with the first validator

    try:
        return compile_validator(copy.deepcopy(schema))
    except SchemaError as exc:
        raise SpecError(
            f"{pointer}: the generated {which} schema is not valid JSON Schema "
            f"({exc.message} at {'/'.join(str(p) for p in exc.absolute_path) or 'root'})"
        ) from None


def _operation_id(operation: Mapping[str, Any]) -> str | None:
    value = operation.get("operationId")
    return value if isinstance(value, str) and value.strip() else None
