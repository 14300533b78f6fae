"""Swagger 2.0 documents, converted to the OpenAPI 3.0 shape the rest of the builder reads.

Only what has one meaning in 3.0 is converted: `host` + `basePath` + `schemes` become `servers`;
`definitions`, `parameters`, `responses` and `securityDefinitions` move under `components`
(every local `$ref` is rewritten); `in: body` becomes a JSON request body and `in: formData`
parameters one form-encoded (or multipart, when `consumes` says so or a field is a file) request
body; non-body parameters get a `schema`; `collectionFormat` becomes `style`/`explode`; the
oauth2 `flow: application` becomes `flows.clientCredentials`.
"""

from __future__ import annotations

import copy
from typing import Any

JsonObject = dict[str, Any]

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_REF_MOVES = (
    ("#/definitions/", "#/components/schemas/"),
    ("#/responses/", "#/components/responses/"),
    ("#/parameters/", "#/components/parameters/"),
)
# Parameter keys that describe the value, which OpenAPI 3 keeps inside `schema`.
_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
)
_COLLECTION_FORMATS = {
    "csv": ("form", False),
    "multi": ("form", True),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "tsv": ("form", False),  # no 3.0 equivalent; csv is the closest readable form
}
_FLOWS = {
    "application": "clientCredentials",
    "password": "password",
    "implicit": "implicit",
    "accessCode": "authorizationCode",
}
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
JSON = "application/json"


def is_swagger2(document: JsonObject) -> bool:
    """Whether the document declares `swagger: "2.0"`."""
    return str(document.get("swagger", "")).strip().startswith("2.")


def convert_swagger2(document: JsonObject) -> JsonObject:
    """An OpenAPI 3.0.3 document equivalent to the Swagger 2.0 `document` (left untouched)."""
    source = _move_refs(copy.deepcopy(document))
    consumes = _media_list(source.get("consumes"))
    produces = _media_list(source.get("produces"))
    shared_params = source.get("parameters") if isinstance(source.get("parameters"), dict) else {}
    converted: JsonObject = {
        key: value
        for key, value in source.items()
        if key
        not in (
            "swagger",
            "host",
            "basePath",
            "schemes",
            "consumes",
            "produces",
            "definitions",
            "parameters",
            "responses",
            "securityDefinitions",
            "paths",
        )
    }
    converted["openapi"] = "3.0.3"
    converted["info"] = source.get("info") or {"title": "API", "version": "0"}
    servers = _servers(source)
    if servers:
        converted["servers"] = servers
    components: JsonObject = {}
    if isinstance(source.get("definitions"), dict):
        components["schemas"] = {
            name: _schema(schema) for name, schema in source["definitions"].items()
        }
    if isinstance(source.get("responses"), dict):
        components["responses"] = {
            name: _response(response, produces) for name, response in source["responses"].items()
        }
    if shared_params:
        # Body and form parameters cannot live in components.parameters: they are inlined
        # where used (see `_operation`); the rest convert one to one.
        components["parameters"] = {
            name: _parameter(param)
            for name, param in shared_params.items()
            if isinstance(param, dict) and param.get("in") not in ("body", "formData")
        }
    if isinstance(source.get("securityDefinitions"), dict):
        components["securitySchemes"] = {
            name: _security_scheme(scheme)
            for name, scheme in source["securityDefinitions"].items()
            if isinstance(scheme, dict)
        }
    if components:
        converted["components"] = components
    paths: JsonObject = {}
    for path, item in (source.get("paths") or {}).items():
        if not isinstance(item, dict):
            paths[path] = item
            continue
        new_item: JsonObject = {}
        item_params = [
            p for p in _inline(item.get("parameters"), shared_params) if isinstance(p, dict)
        ]
        for key, value in item.items():
            if key in _HTTP_METHODS and isinstance(value, dict):
                new_item[key] = _operation(value, item_params, shared_params, consumes, produces)
            elif key != "parameters":
                new_item[key] = value
        plain = [p for p in item_params if p.get("in") not in ("body", "formData")]
        if plain:
            new_item["parameters"] = [_parameter(p) for p in plain]
        paths[path] = new_item
    converted["paths"] = paths
    return converted


def _move_refs(node: Any) -> Any:
    """Rewrite every local `$ref` from its Swagger 2 place to its OpenAPI 3 place (in place)."""
    if isinstance(node, list):
        for index, child in enumerate(node):
            node[index] = _move_refs(child)
    elif isinstance(node, dict):
        for key, child in node.items():
            if key == "$ref" and isinstance(child, str):
                for old, new in _REF_MOVES:
                    if child.startswith(old):
                        node[key] = new + child[len(old) :]
            else:
                node[key] = _move_refs(child)
    return node


def _media_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _servers(source: JsonObject) -> list[JsonObject]:
    host = source.get("host")
    base_path = str(source.get("basePath") or "").rstrip("/")
    if base_path and not base_path.startswith("/"):
        base_path = "/" + base_path
    if not isinstance(host, str) or not host.strip():
        return [{"url": base_path or "/"}]  # relative: the user must give API_BASE_URL
    schemes = [s for s in _media_list(source.get("schemes")) if s in ("https", "http")]
    ordered = sorted(schemes or ["https"], key=lambda s: s != "https")  # https first
    return [{"url": f"{scheme}://{host.strip()}{base_path}"} for scheme in ordered]


def _schema(schema: Any) -> Any:
    """A Swagger 2 schema in 3.0 terms: `type: file` is a binary string, `x-nullable` nullable."""
    if isinstance(schema, list):
        return [_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    result: JsonObject = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties") and isinstance(value, dict):
            result[key] = {name: _schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") or key in ("allOf", "anyOf", "oneOf"):
            result[key] = _schema(value)
        elif key == "x-nullable":
            result["nullable"] = bool(value)
        elif key == "discriminator" and isinstance(value, str):
            result[key] = {"propertyName": value}
        else:
            result[key] = value
    if result.get("type") == "file":
        result["type"] = "string"
        result["format"] = "binary"
    return result


def _inline(params: Any, shared: JsonObject) -> list[Any]:
    """A parameter list with references to body/formData parameters replaced by the parameter."""
    if not isinstance(params, list):
        return []
    result = []
    prefix = "#/components/parameters/"
    for param in params:
        ref = param.get("$ref") if isinstance(param, dict) else None
        if isinstance(ref, str) and ref.startswith(prefix):
            target = shared.get(ref[len(prefix) :].replace("~1", "/").replace("~0", "~"))
            if isinstance(target, dict) and target.get("in") in ("body", "formData"):
                result.append(target)
                continue
        result.append(param)
    return result


def _parameter(param: JsonObject) -> JsonObject:
    """A non-body Swagger 2 parameter as an OpenAPI 3 Parameter Object (refs pass through)."""
    if "$ref" in param:
        return param
    result = {k: v for k, v in param.items() if k not in _SCHEMA_KEYS and k != "collectionFormat"}
    if "schema" not in result:
        result["schema"] = _schema({k: param[k] for k in _SCHEMA_KEYS if k in param})
    if "allowEmptyValue" in param and param.get("in") != "query":
        result.pop("allowEmptyValue", None)
    if param.get("type") == "array" and param.get("in") in ("query", "cookie"):
        fmt = param.get("collectionFormat") or "csv"  # csv is Swagger 2's default
        style, explode = _COLLECTION_FORMATS.get(str(fmt), ("form", False))
        result["style"], result["explode"] = style, explode
    return result


def _operation(
    operation: JsonObject,
    item_params: list[JsonObject],
    shared: JsonObject,
    consumes: list[str],
    produces: list[str],
) -> JsonObject:
    result = {
        k: v
        for k, v in operation.items()
        if k not in ("parameters", "responses", "consumes", "produces", "schemes")
    }
    own = [p for p in _inline(operation.get("parameters"), shared) if isinstance(p, dict)]
    own_keys = {(repr(p.get("name")), repr(p.get("in"))) for p in own}
    # The path item's body/form parameters apply unless the operation overrides them.
    inherited = [
        p
        for p in item_params
        if p.get("in") in ("body", "formData")
        and (repr(p.get("name")), repr(p.get("in"))) not in own_keys
    ]
    params = inherited + own
    op_consumes = _media_list(operation.get("consumes")) or consumes
    op_produces = _media_list(operation.get("produces")) or produces
    plain = [_parameter(p) for p in params if p.get("in") not in ("body", "formData")]
    if plain:
        result["parameters"] = plain
    body = [p for p in params if p.get("in") == "body"]
    form = [p for p in params if p.get("in") == "formData"]
    if body:
        result["requestBody"] = _json_body(body[0], op_consumes)
    elif form:
        result["requestBody"] = _form_body(form, op_consumes)
    responses = operation.get("responses")
    if isinstance(responses, dict):
        result["responses"] = {
            code: _response(response, op_produces) for code, response in responses.items()
        }
    return result


def _json_body(param: JsonObject, consumes: list[str]) -> JsonObject:
    json_types = [c for c in consumes if "json" in c.lower()] or [JSON]
    schema = _schema(param.get("schema") or {})
    body: JsonObject = {"content": {media: {"schema": schema} for media in json_types[:1]}}
    if param.get("required") is True:
        body["required"] = True
    if param.get("description"):
        body["description"] = param["description"]
    return body


def _form_body(params: list[JsonObject], consumes: list[str]) -> JsonObject:
    properties: JsonObject = {}
    required: list[str] = []
    has_file = False
    for param in params:
        name = str(param.get("name", ""))
        if not name:
            continue
        schema = _schema({k: param[k] for k in _SCHEMA_KEYS if k in param})
        has_file = has_file or param.get("type") == "file"
        if param.get("description"):
            schema["description"] = param["description"]
        properties[name] = schema
        if param.get("required") is True:
            required.append(name)
    media = MULTIPART if has_file or MULTIPART in consumes else FORM
    schema_object: JsonObject = {"type": "object", "properties": properties}
    if required:
        schema_object["required"] = required
    body: JsonObject = {"content": {media: {"schema": schema_object}}}
    if required:
        body["required"] = True
    return body


def _response(response: Any, produces: list[str]) -> Any:
    if not isinstance(response, dict) or "$ref" in response:
        return response
    result = {k: v for k, v in response.items() if k not in ("schema", "examples", "headers")}
    result.setdefault("description", "")
    if "schema" in response:
        media_types = produces or [JSON]
        given = response.get("examples")
        examples: JsonObject = given if isinstance(given, dict) else {}
        content: JsonObject = {}
        for media in media_types:
            entry: JsonObject = {"schema": _schema(response["schema"])}
            if media in examples:
                entry["example"] = examples[media]
            content[media] = entry
        result["content"] = content
    if isinstance(response.get("headers"), dict):
        result["headers"] = {
            name: {"schema": _schema(header), "description": header.get("description", "")}
            for name, header in response["headers"].items()
            if isinstance(header, dict)
        }
    return result


def _security_scheme(scheme: JsonObject) -> JsonObject:
    kind = scheme.get("type")
    extensions = {k: v for k, v in scheme.items() if k.startswith("x-")}
    description = {"description": scheme["description"]} if "description" in scheme else {}
    if kind == "basic":
        return {"type": "http", "scheme": "basic", **description, **extensions}
    if kind == "apiKey":
        return {
            "type": "apiKey",
            "name": scheme.get("name"),
            "in": scheme.get("in"),
            **description,
            **extensions,
        }
    if kind == "oauth2":
        flow_name = _FLOWS.get(str(scheme.get("flow")), str(scheme.get("flow")))
        flow: JsonObject = {"scopes": scheme.get("scopes") or {}}
        if "tokenUrl" in scheme:
            flow["tokenUrl"] = scheme["tokenUrl"]
        if "authorizationUrl" in scheme:
            flow["authorizationUrl"] = scheme["authorizationUrl"]
        flow.update(extensions)
        return {"type": "oauth2", "flows": {flow_name: flow}, **description}
    return dict(scheme)
