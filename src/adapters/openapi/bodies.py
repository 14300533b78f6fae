"""The request body of an operation as tool arguments.

The properties of a JSON object body are flattened next to the parameters (`body_<name>` when a
parameter already has the name); any other JSON body is one `body` argument; a body with nothing
to ask (Ozon's `Empty`) takes no argument and is sent as `{}` when the spec requires it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ozon_mcp.adapters.openapi.binding import FORM_MEDIA_TYPES, BodyBinding
from ozon_mcp.adapters.openapi.media import pick_json
from ozon_mcp.adapters.openapi.naming import unique_argument
from ozon_mcp.adapters.openapi.schema import SchemaConverter, follow_refs
from ozon_mcp.adapters.openapi.spec import JsonObject, SpecError, escape_token
from ozon_mcp.adapters.openapi.text import trim


@dataclass(frozen=True)
class BodyPart:
    """The body's binding (None: no body is ever sent), or why the operation is unusable."""

    binding: BodyBinding | None
    unusable: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class ObjectShape:
    """The top-level properties of an object schema; `open` when it also takes other keys."""

    properties: JsonObject
    required: list[str]
    open: bool


def request_body(
    document: JsonObject,
    operation: Mapping[str, Any],
    pointer: str,
    converter: SchemaConverter,
    properties: JsonObject,
    required: list[str],
    *,
    prose: Callable[[Any], str],
    description_limit: int,
) -> BodyPart:
    """Add the body's arguments to `properties` (and `required`) and say how to send it."""
    if "requestBody" not in operation:
        return BodyPart(None)
    body, body_pointer = follow_refs(document, operation["requestBody"], f"{pointer}/requestBody")
    if not isinstance(body, dict):
        raise SpecError(f"{body_pointer}: a request body must be an object")
    content = body.get("content") or {}
    if not isinstance(content, dict):
        raise SpecError(f"{body_pointer}/content: must be an object of media types")
    body_required = body.get("required") is True
    picked = pick_json(content)
    if picked is None:
        if not content:
            return BodyPart(None)
        form = _form_media(content)
        if form is not None:
            return form_body(
                form, content[form], body_pointer, converter, properties, required, body_required
            )
        types = ", ".join(content)
        if body_required:
            reason = (
                f"its required request body is {types}; only JSON, form-encoded and multipart "
                "bodies are supported"
            )
            return BodyPart(None, unusable=reason)
        return BodyPart(
            None, warning=f"{body_pointer}: request body {types} is not JSON; it is never sent"
        )
    media_type, media = picked
    media_pointer = f"{body_pointer}/content/{escape_token(media_type)}"
    raw_schema = media.get("schema", {}) if isinstance(media, dict) else {}
    schema = converter.convert(raw_schema, f"{media_pointer}/schema")
    send_as = "application/json" if media_type.strip() in ("*/*", "application/*") else media_type
    shape = object_shape(schema, converter)
    if shape is None or shape.open:
        argument = unique_argument("body", "request_body", properties)
        description = trim(prose(body.get("description")), description_limit)
        properties[argument] = {
            **schema,
            "description": description or schema.get("description") or "The JSON request body.",
        }
        if body_required:
            required.append(argument)
        return BodyPart(BodyBinding(send_as, body_required, argument=argument))
    fields: list[tuple[str, str]] = []
    for prop, prop_schema in shape.properties.items():
        argument = unique_argument(prop, f"body_{prop}", properties)
        properties[argument] = _field_schema(prop, argument, prop_schema)
        fields.append((argument, prop))
        if body_required and prop in shape.required:
            required.append(argument)
    return BodyPart(BodyBinding(send_as, body_required, fields=tuple(fields)))


def object_shape(schema: JsonObject, converter: SchemaConverter) -> ObjectShape | None:
    """The properties of an object schema (merging `allOf`), or None when it is not one."""
    schema = converter.resolve_local(schema)
    kinds = schema.get("type")
    if kinds is not None:
        kind_list = [kinds] if isinstance(kinds, str) else list(kinds)
        if "object" not in kind_list or any(k not in ("object", "null") for k in kind_list):
            return None
    elif not any(key in schema for key in ("properties", "allOf", "required")):
        return None  # `{}` accepts any JSON value: not something to flatten
    if any(key in schema for key in ("anyOf", "oneOf", "not", "if", "$ref")):
        return None
    properties = dict(schema.get("properties") or {})
    required = list(schema.get("required") or [])
    is_open = schema.get("additionalProperties") not in (None, False) or bool(
        schema.get("patternProperties")
    )
    for member in schema.get("allOf") or []:
        sub = object_shape(member, converter)
        if sub is None:
            return None
        for name, sub_schema in sub.properties.items():
            properties[name] = (
                {"allOf": [properties[name], sub_schema]} if name in properties else sub_schema
            )
        required.extend(sub.required)
        is_open = is_open or sub.open
    return ObjectShape(properties, list(dict.fromkeys(required)), is_open)


def _field_schema(prop: str, argument: str, schema: JsonObject) -> JsonObject:
    """A flattened body field, documented; a renamed one says which field it fills."""
    text = schema.get("description")
    if argument != prop:
        note = f"Request body field `{prop}`."
        return {**schema, "description": f"{note} {text}" if text else note}
    if not text:
        return {**schema, "description": "Request body field."}
    return schema


def _form_media(content: Mapping[str, Any]) -> str | None:
    """The form media type of a `content` map (form-encoded preferred), if it has one."""
    for wanted in FORM_MEDIA_TYPES:
        for media_type in content:
            if media_type.split(";")[0].strip().lower() == wanted:
                return media_type
    return None


def form_body(
    media_type: str,
    media: Any,
    body_pointer: str,
    converter: SchemaConverter,
    properties: JsonObject,
    required: list[str],
    body_required: bool,
) -> BodyPart:
    """A form-encoded or multipart body whose fields are scalars, arrays of scalars or (in
    multipart) files: each field one argument, a file as its content in base64."""
    media_pointer = f"{body_pointer}/content/{escape_token(media_type)}"
    raw_schema = media.get("schema", {}) if isinstance(media, dict) else {}
    schema = converter.convert(raw_schema, f"{media_pointer}/schema")
    shape = object_shape(schema, converter)
    multipart = media_type.split(";")[0].strip().lower() == FORM_MEDIA_TYPES[1]
    if shape is None:
        reason = f"{media_pointer}/schema: a {media_type} body must be an object of fields"
        if body_required:
            return BodyPart(None, unusable=reason)
        return BodyPart(None, warning=f"{reason}; it is never sent")
    fields: list[tuple[str, str]] = []
    files: list[str] = []
    for prop, prop_schema in shape.properties.items():
        resolved = converter.resolve_local(prop_schema) if isinstance(prop_schema, dict) else {}
        kind = _form_field_kind(resolved, multipart)
        if kind is None:
            reason = (
                f"{media_pointer}/schema/properties/{escape_token(prop)}: a form field must be a "
                "string, number, boolean or an array of them"
            )
            return BodyPart(None, unusable=reason)
        argument = unique_argument(prop, f"body_{prop}", properties)
        if kind == "file":
            files.append(prop)
            text = resolved.get("description")
            note = f"The content of the file `{prop}`, base64-encoded."
            properties[argument] = {
                "type": "string",
                "contentEncoding": "base64",
                "description": f"{note} {text}" if text else note,
            }
        else:
            properties[argument] = _field_schema(prop, argument, prop_schema)
        fields.append((argument, prop))
        if prop in shape.required:
            required.append(argument)
    return BodyPart(
        BodyBinding(media_type, body_required, fields=tuple(fields), files=tuple(files))
    )


_SCALAR_TYPES = frozenset({"string", "number", "integer", "boolean", "null"})


def _form_field_kind(schema: JsonObject, multipart: bool) -> str | None:
    """ "file", "value", or None when the field cannot be sent in a form."""
    kinds = schema.get("type")
    kind_list = [kinds] if isinstance(kinds, str) else list(kinds or [])
    is_binary = schema.get("format") in ("binary", "base64") or "contentMediaType" in schema
    if multipart and "string" in kind_list and is_binary:
        return "file"
    if not kind_list:
        return "value" if not any(k in schema for k in ("properties", "items")) else None
    if all(k in _SCALAR_TYPES for k in kind_list):
        return "value"
    if kind_list == ["array"] or set(kind_list) == {"array", "null"}:
        items = schema.get("items")
        item_kinds = items.get("type") if isinstance(items, dict) else None
        item_list = [item_kinds] if isinstance(item_kinds, str) else list(item_kinds or [])
        return "value" if item_list and all(k in _SCALAR_TYPES for k in item_list) else None
    return None
