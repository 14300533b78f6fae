"""Builds the client-credentials token request (body and headers), without sending it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ozon_mcp.adapters.auth.config import TokenEndpointConfig
from ozon_mcp.adapters.auth.redaction import basic_credentials
from ozon_mcp.domain.ports import ScopeSet


@dataclass(frozen=True)
class PreparedTokenRequest:
    """The headers and body of one token request; both carry the secret, so no repr."""

    headers: dict[str, str] = field(repr=False)
    content: bytes = field(repr=False)


def token_request_parameters(config: TokenEndpointConfig, scopes: ScopeSet) -> dict[str, str]:
    """The request parameters: the grant, the credentials when sent in the body, scope, audience."""
    parameters = {"grant_type": "client_credentials"}
    if config.client_auth == "post":
        parameters["client_id"] = config.client_id
        parameters["client_secret"] = config.secret_value
    scope = scopes.as_parameter()
    if scope:
        parameters["scope"] = scope
    if config.audience:
        parameters["audience"] = config.audience
    return parameters


def build_token_request(config: TokenEndpointConfig, scopes: ScopeSet) -> PreparedTokenRequest:
    """The request for `scopes` in the configured body format and client authentication."""
    parameters = token_request_parameters(config, scopes)
    headers = {"Accept": "application/json"}
    if config.request_format == "json":
        headers["Content-Type"] = "application/json"
        content = json.dumps(parameters, separators=(",", ":")).encode("utf-8")
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        content = urlencode(parameters).encode("ascii")
    if config.client_auth == "basic":
        token68 = basic_credentials(config.client_id, config.secret_value)
        headers["Authorization"] = f"Basic {token68}"
    return PreparedTokenRequest(headers=headers, content=content)
