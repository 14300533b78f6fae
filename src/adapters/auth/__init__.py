"""Token adapters: the token endpoint client, the cache, the providers and the httpx Auth.

They perform the I/O the domain `TokenLifecycle` asks for and never re-implement its rules.
"""

from typing import TYPE_CHECKING

from ozon_mcp.adapters.auth.bearer_auth import ProviderBearerAuth
from ozon_mcp.adapters.auth.cache import InMemoryTokenCache
from ozon_mcp.adapters.auth.config import ClientAuthMethod, RequestFormat, TokenEndpointConfig
from ozon_mcp.adapters.auth.endpoint import HttpTokenEndpoint
from ozon_mcp.adapters.auth.errors import ProviderClosedError
from ozon_mcp.adapters.auth.events import LOGGER_NAME
from ozon_mcp.adapters.auth.factory import build_sync_token_provider, build_token_provider
from ozon_mcp.adapters.auth.jwt import read_jwt_exp
from ozon_mcp.adapters.auth.provider import TokenProvider
from ozon_mcp.adapters.auth.stats import ProviderStats
from ozon_mcp.adapters.auth.sync_provider import SyncTokenProvider
from ozon_mcp.adapters.auth.urls import is_loopback_host, validate_token_url

if TYPE_CHECKING:
    from ozon_mcp.adapters.auth.httpx_auth import ClientCredentialsAuth

__all__ = [
    "LOGGER_NAME",
    "ClientAuthMethod",
    "ClientCredentialsAuth",
    "HttpTokenEndpoint",
    "InMemoryTokenCache",
    "ProviderBearerAuth",
    "ProviderClosedError",
    "ProviderStats",
    "RequestFormat",
    "SyncTokenProvider",
    "TokenEndpointConfig",
    "TokenProvider",
    "build_sync_token_provider",
    "build_token_provider",
    "is_loopback_host",
    "read_jwt_exp",
    "validate_token_url",
]


def __getattr__(name: str) -> object:
    # ClientCredentialsAuth imports httpx 0.28 (about 40 ms, with its CLI's rich and pygments);
    # only programs that use it pay for that, not the server, which needs httpx2 alone.
    if name == "ClientCredentialsAuth":
        from ozon_mcp.adapters.auth.httpx_auth import ClientCredentialsAuth

        return ClientCredentialsAuth
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
