"""ozon-mcp: an MCP server that turns an OpenAPI spec into tools and authenticates every upstream
call with the OAuth 2.0 client-credentials flow.

`from ozon_mcp import ClientCredentialsAuth` is the reusable httpx/httpx2 `auth=`; the pure core
is `ozon_mcp.domain`. Names are imported on first use so that `import ozon_mcp.domain` does not
pay for the HTTP or MCP libraries.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ozon_mcp.adapters.auth.httpx_auth import ClientCredentialsAuth

__all__ = ["ClientCredentialsAuth"]


def __getattr__(name: str) -> object:
    if name == "ClientCredentialsAuth":
        from ozon_mcp.adapters.auth.httpx_auth import ClientCredentialsAuth

        return ClientCredentialsAuth
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
