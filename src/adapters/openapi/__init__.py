"""OpenAPI -> MCP tools, transport-free: load and repair a spec, build one tool per operation,
turn tool arguments into HTTP requests and upstream answers into tool results.

Typical use::

    spec = load_spec()                      # bundled Ozon spec, or load_spec(path)
    tools = {t.name: t for t in build_tools(spec)}
    request = tools["ListCampaigns"].prepare_request({"page": 1})   # may raise ArgumentError
    ...                                     # send it with the shared HTTP client
    result = render_response(status, content_type, body, operation="ListCampaigns")
"""

from ozon_mcp.adapters.openapi.binding import BodyBinding, ParameterBinding, PreparedRequest
from ozon_mcp.adapters.openapi.naming import OperationAnnotations
from ozon_mcp.adapters.openapi.results import (
    DEFAULT_LIMIT_BYTES,
    RenderedResult,
    render_response,
    scrub,
)
from ozon_mcp.adapters.openapi.schema import SchemaConverter
from ozon_mcp.adapters.openapi.spec import (
    LoadedSpec,
    Repair,
    SpecError,
    bundled_spec_path,
    load_spec,
    parse_spec,
    repair_spec,
    resolve_pointer,
)
from ozon_mcp.adapters.openapi.tools import (
    DEFAULT_DESCRIPTION_LIMIT,
    DEFAULT_PARAMETER_DESCRIPTION_LIMIT,
    OperationTool,
    build_tools,
)
from ozon_mcp.adapters.openapi.validation import ArgumentError

__all__ = [
    "DEFAULT_DESCRIPTION_LIMIT",
    "DEFAULT_LIMIT_BYTES",
    "DEFAULT_PARAMETER_DESCRIPTION_LIMIT",
    "ArgumentError",
    "BodyBinding",
    "LoadedSpec",
    "OperationAnnotations",
    "OperationTool",
    "ParameterBinding",
    "PreparedRequest",
    "RenderedResult",
    "Repair",
    "SchemaConverter",
    "SpecError",
    "build_tools",
    "bundled_spec_path",
    "load_spec",
    "parse_spec",
    "render_response",
    "repair_spec",
    "resolve_pointer",
    "scrub",
]
