"""Token URL validation: credentials only ever travel over https, except to this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ozon_mcp.domain.errors import ConfigurationError

_LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback_host(host: str) -> bool:
    """Whether `host` names this machine (127.0.0.0/8, ::1 or localhost)."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def validate_token_url(url: str, *, setting: str = "OAUTH_TOKEN_URL") -> str:
    """Return `url` if the client secret may be sent to it, else raise `ConfigurationError`.

    https is required; plain http is accepted only for a loopback host (a local emulator or a
    test server), because anything else would send the client secret in clear over a network.
    """
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigurationError(f"{setting} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            f"{setting} must be an absolute https:// URL of the OAuth 2.0 token endpoint, "
            f"got {_shown(text)}"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"{setting} must not carry credentials in the URL; set OAUTH_CLIENT_ID and "
            "OAUTH_CLIENT_SECRET instead"
        )
    if scheme == "http" and not is_loopback_host(host):
        carried = "the client secret" if setting == "OAUTH_TOKEN_URL" else "the access token"
        raise ConfigurationError(
            f"{setting} uses http:// for {host}: {carried} would travel in clear. "
            "Use https:// (plain http is only accepted for 127.0.0.1, ::1 or localhost)"
        )
    return text


def _shown(text: str) -> str:
    """A short, quoted rendering of a rejected value for an error message."""
    return repr(text[:80] + ("..." if len(text) > 80 else ""))
