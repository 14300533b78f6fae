"""Output schemas: published only where every successful answer surely matches.

The MCP client validates structured content against a published output schema and turns a
mismatch into an exception, so anything uncertain (a non-JSON alternative, an empty 2xx, a
non-object root, answers that differ by status) gets no output schema at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ozon_mcp.adapters.openapi.media import promises_json
from ozon_mcp.adapters.openapi.schema import SchemaConverter, follow_refs
from ozon_mcp.adapters.openapi.spec import JsonObject, escape_token


def output_schema(
    document: JsonObject,
    operation: Mapping[str, Any],
    pointer: str,
    *,
    cyclic_refs: frozenset[str],
    description_limit: int,
    tool_names: dict[str, str],
) -> JsonObject | None:
    """The one object schema all 2xx JSON answers of the operation share, or None."""
    responses = operation.get("responses")
    chosen: JsonObject | None = None
    for code, raw in responses.items() if isinstance(responses, dict) else ():
        if not str(code).startswith("2"):
            continue
        response, response_pointer = follow_refs(document, raw, f"{pointer}/responses/{code}")
        content = response.get("content") if isinstance(response, dict) else None
        if not isinstance(content, dict) or not content:
            return None
        for media_type, media in content.items():
            if not promises_json(media_type) or not isinstance(media, dict):
                return None
            converter = SchemaConverter(
                document,
                "output",
                cyclic_refs=cyclic_refs,
                description_limit=description_limit,
                tool_names=tool_names,
            )
            where = f"{response_pointer}/content/{escape_token(media_type)}/schema"
            schema = converter.convert(media.get("schema", {}), where)
            if schema.get("type") != "object":
                return None
            defs = converter.defs()
            if defs:
                schema = {**schema, "$defs": defs}
            if chosen is not None and schema != chosen:
                return None
            chosen = schema
    return chosen
