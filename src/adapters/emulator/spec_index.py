"""The operations of the spec as the emulator routes them: paths, parameters, schemas, roles.

Everything here is read from the spec; the only hand-made knowledge is which reports a listing
shows and the `kind` label a report carries, which the spec gives in prose only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from ozon_mcp.adapters.openapi.spec import LoadedSpec

JSON = "application/json"

# Listing operations that show reports submitted through the API (the spec says so in prose).
REPORT_LISTINGS = {"ListReportsExternal": "statistics", "VendorStatisticsListReports": "vendor"}
# The `kind` a report shows in StatisticsCheck (enum of extstatStatisticsResponse.kind).
REPORT_KINDS = {
    "VideoCampaignsSubmitRequest": "VIDEO",
    "AttributionSubmitRequest": "ATTRIBUTION",
    "SearchPromoOrdersReportSubmitRequest": "ATTRIBUTION",
}


class OperationRole(Enum):
    """What the emulator does for an operation beyond checking and answering from the spec."""

    PLAIN = "plain"  # answered with the spec's example or a synthesized instance
    REPORT_SUBMIT = "report_submit"
    REPORT_CHECK = "report_check"
    REPORT_DOWNLOAD = "report_download"
    REPORT_LIST = "report_list"


@dataclass(frozen=True)
class Parameter:
    """A path or query parameter and where its schema lives in the document."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    schema_pointer: str
    explode: bool = True  # OpenAPI's default for query parameters (style=form)


@dataclass(frozen=True)
class Operation:
    """One routable operation (a spec operation, or the `/json` variant of a report submit)."""

    operation_id: str
    method: str
    path: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    body_pointer: str | None
    body_required: bool
    response_status: int
    response_content_type: str | None
    response_pointer: str | None
    example: Any
    has_example: bool
    role: OperationRole
    family: str  # "statistics" or "vendor" for report operations
    json_variant: bool = False

    @property
    def report_kind(self) -> str:
        """The `kind` label of reports this operation submits."""
        return REPORT_KINDS.get(self.operation_id, "STATS")


@dataclass(frozen=True)
class _Route:
    operation: Operation
    pattern: re.Pattern[str]
    names: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """A routed request: the operation and its decoded path parameters."""

    operation: Operation
    path_params: dict[str, str]


class OperationIndex:
    """All routable operations of a spec, matched by method and path."""

    def __init__(self, spec: LoadedSpec) -> None:
        self.spec = spec
        operations: list[Operation] = []
        for method, path, item, op in spec.operations():
            operation = _build_operation(spec, method, path, item, op)
            operations.append(operation)
            if operation.role is OperationRole.REPORT_SUBMIT and operation.family == "statistics":
                operations.extend(_json_variants(operation))
        self.operations = tuple(operations)
        self.by_id = {o.operation_id: o for o in operations if not o.json_variant}
        # Literal paths win over templated ones (`/statistics/list` before `/statistics/{UUID}`).
        routes = [_compile(o) for o in operations]
        self._routes = sorted(routes, key=lambda r: len(r.names))

    def match(self, method: str, path: str) -> Match | list[str] | None:
        """The operation for a request, the allowed methods if only the path matched, or None."""
        allowed: list[str] = []
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.operation.method == method.upper():
                return Match(route.operation, dict(zip(route.names, found.groups(), strict=True)))
            allowed.append(route.operation.method)
        return sorted(set(allowed)) or None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _deref(spec: LoadedSpec, node: Any, pointer: str) -> tuple[Any, str]:
    """Follow `$ref`s, returning the target and its pointer."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        pointer = node["$ref"].removeprefix("#")
        node = spec.resolve(node["$ref"])
    return node, pointer


def _build_operation(
    spec: LoadedSpec, method: str, path: str, item: dict[str, Any], op: dict[str, Any]
) -> Operation:
    op_pointer = f"/paths/{_escape(path)}/{method}"
    operation_id = str(op.get("operationId") or f"{method.upper()} {path}")
    parameters = _parameters(spec, path, item, op, op_pointer)
    body_pointer, body_required = _request_body(spec, op, op_pointer)
    status, content_type, response_pointer, example, has_example = _success_response(
        spec, op, op_pointer
    )
    tags = tuple(str(t) for t in op.get("tags") or ())
    role = _role(spec, method, parameters, operation_id, response_pointer)
    family = "vendor" if "Vendor" in tags else "statistics"
    return Operation(
        operation_id=operation_id,
        method=method.upper(),
        path=path,
        tags=tags,
        parameters=parameters,
        body_pointer=body_pointer,
        body_required=body_required,
        response_status=status,
        response_content_type=content_type,
        response_pointer=response_pointer,
        example=example,
        has_example=has_example,
        role=role,
        family=REPORT_LISTINGS.get(operation_id, family),
    )


def _parameters(
    spec: LoadedSpec, path: str, item: dict[str, Any], op: dict[str, Any], op_pointer: str
) -> tuple[Parameter, ...]:
    found: dict[tuple[str, str], Parameter] = {}
    sources = [(item.get("parameters") or [], f"/paths/{_escape(path)}/parameters")]
    sources.append((op.get("parameters") or [], f"{op_pointer}/parameters"))
    for params, base in sources:  # operation-level parameters override path-level ones
        for index, raw in enumerate(params):
            param, pointer = _deref(spec, raw, f"{base}/{index}")
            if not isinstance(param, dict) or "name" not in param:
                continue
            schema, schema_pointer = _deref(spec, param.get("schema") or {}, f"{pointer}/schema")
            location = str(param.get("in", "query"))
            found[(param["name"], location)] = Parameter(
                name=str(param["name"]),
                location=location,
                required=bool(param.get("required")) or location == "path",
                schema=schema if isinstance(schema, dict) else {},
                schema_pointer=schema_pointer,
                explode=param.get("explode", param.get("style", "form") == "form") is not False,
            )
    return tuple(found.values())


def _request_body(spec: LoadedSpec, op: dict[str, Any], op_pointer: str) -> tuple[str | None, bool]:
    if "requestBody" not in op:
        return None, False
    body, pointer = _deref(spec, op["requestBody"], f"{op_pointer}/requestBody")
    content = body.get("content") or {}
    if JSON not in content or "schema" not in content[JSON]:
        return None, bool(body.get("required"))
    _, schema_pointer = _deref(
        spec, content[JSON]["schema"], f"{pointer}/content/{_escape(JSON)}/schema"
    )
    return schema_pointer, bool(body.get("required"))


def _success_response(
    spec: LoadedSpec, op: dict[str, Any], op_pointer: str
) -> tuple[int, str | None, str | None, Any, bool]:
    responses = op.get("responses") or {}
    codes = sorted(c for c in responses if str(c).isdigit() and 200 <= int(c) < 300)
    if not codes:
        return 200, None, None, None, False
    code = codes[0]
    response, pointer = _deref(spec, responses[code], f"{op_pointer}/responses/{code}")
    content = response.get("content") or {}
    if not content:
        return int(code), None, None, None, False
    content_type = JSON if JSON in content else next(iter(content))
    media = content[content_type]
    schema_pointer = (
        f"{pointer}/content/{_escape(content_type)}/schema" if "schema" in media else None
    )
    if schema_pointer is not None:
        _, schema_pointer = _deref(spec, media["schema"], schema_pointer)
    if "example" in media:
        return int(code), content_type, schema_pointer, media["example"], True
    for example in (media.get("examples") or {}).values():
        value, _ = _deref(spec, example, "")
        if isinstance(value, dict) and "value" in value:
            return int(code), content_type, schema_pointer, value["value"], True
    return int(code), content_type, schema_pointer, None, False


def _role(
    spec: LoadedSpec,
    method: str,
    parameters: tuple[Parameter, ...],
    operation_id: str,
    response_pointer: str | None,
) -> OperationRole:
    if operation_id in REPORT_LISTINGS:
        return OperationRole.REPORT_LIST
    names = {(p.name, p.location) for p in parameters}
    if method == "get" and ("UUID", "path") in names:
        return OperationRole.REPORT_CHECK
    if method == "get" and ("UUID", "query") in names:
        return OperationRole.REPORT_DOWNLOAD
    if method == "post" and response_pointer is not None:
        schema = spec.resolve(f"#{response_pointer}")
        properties = schema.get("properties") if isinstance(schema, dict) else None
        # A submit answers with the request's UUID only (extstatStatisticsRequestID).
        if isinstance(properties, dict) and "UUID" in properties and "state" not in properties:
            return OperationRole.REPORT_SUBMIT
    return OperationRole.PLAIN


def _json_variants(operation: Operation) -> list[Operation]:
    """The `/json` addresses the spec documents for asking the same report as JSON."""
    paths = [operation.path + "/json"]
    if "/statistic/" in operation.path:  # the spec spells these with "statistics" too
        paths.append(operation.path.replace("/statistic/", "/statistics/") + "/json")
    return [replace(operation, path=path, json_variant=True) for path in paths]


def _compile(operation: Operation) -> _Route:
    names: list[str] = []
    pattern = ""
    for piece in re.split(r"(\{[^}/]+\})", operation.path):
        if piece.startswith("{") and piece.endswith("}"):
            names.append(piece[1:-1])
            pattern += "([^/]+)"
        else:
            pattern += re.escape(piece)
    return _Route(operation, re.compile(pattern), tuple(names))
