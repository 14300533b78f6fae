"""Adapters: everything that talks to the outside world on behalf of the domain.

`from adapters import ClientCredentialsAuth` is the public reuse surface (an `auth=` for httpx
and httpx2 clients); it is imported on first use so that the rest of the package stays light.
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
