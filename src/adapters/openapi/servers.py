"""The API base URL a spec names: its first server, with server variables at their defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from ozon_mcp.domain.errors import ConfigurationError

_VARIABLE = re.compile(r"{([^{}]+)}")


def first_server_url(document: Mapping[str, Any]) -> str:
    """The absolute URL of the spec's first server (variables replaced by their defaults).

    Raises ConfigurationError asking for API_BASE_URL when the spec names no server, or only a
    relative one (which would be relative to wherever the spec was downloaded from).
    """
    servers = document.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    url = first.get("url") if isinstance(first, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            "API_BASE_URL is not set and the spec names no server (pointer '/servers'): set "
            "API_BASE_URL to the API's absolute URL, such as https://api.example.com"
        )
    variables = first.get("variables") if isinstance(first, dict) else None
    filled = _fill_variables(url.strip(), variables if isinstance(variables, dict) else {})
    parts = urlsplit(filled)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"API_BASE_URL is not set and the spec's first server URL {filled!r} (pointer "
            "'/servers/0/url') is not an absolute http(s) URL: set API_BASE_URL to the API's "
            "absolute URL"
        )
    return filled.rstrip("/")


def _fill_variables(url: str, variables: Mapping[str, Any]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        variable = variables.get(name)
        default = variable.get("default") if isinstance(variable, dict) else None
        if default is None:
            raise ConfigurationError(
                f"API_BASE_URL is not set and the spec's server variable {{{name}}} (pointer "
                f"'/servers/0/variables') has no default: set API_BASE_URL"
            )
        return str(default)

    return _VARIABLE.sub(substitute, url)


def resolve_against(base_url: str, url: str) -> str:
    """`url` made absolute against the API base URL (RFC 3986; an absolute `url` is kept)."""
    return urljoin(base_url.rstrip("/") + "/", url.strip())


def same_host(first: str, second: str) -> bool:
    """Whether two absolute URLs name the same host (scheme and port ignored)."""
    return (urlsplit(first).hostname or "").lower() == (urlsplit(second).hostname or "").lower()
