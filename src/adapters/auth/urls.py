"""Token URL validation: credentials only ever travel over https, except to this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ozon_mcp.domain.errors import ConfigurationError, Setting, SettingError

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


def validate_token_url(
    url: str, *, setting: str | None = None, carries: str = "the client secret"
) -> str:
    """Return `url` if `carries` may be sent to it, else raise a `ConfigurationError`.

    https is required; plain http is accepted only for a loopback host (a local emulator or a
    test server), because anything else would send the secret in clear over a network. Without
    `setting` (the name the caller's user knows the URL by), the error is a `SettingError` about
    `Setting.TOKEN_URL`, which each edge words in its own names.
    """
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise _problem(setting, f"is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise _problem(setting, f"must be an absolute https:// URL, got {_shown(text)}")
    if parts.username is not None or parts.password is not None:
        raise _problem(
            setting,
            "must not carry credentials in the URL; give the client id and secret separately",
        )
    if scheme == "http" and not is_loopback_host(host):
        raise _problem(
            setting,
            f"uses http:// for {host}: {carries} would travel in clear. "
            "Use https:// (plain http is only accepted for 127.0.0.1, ::1 or localhost)",
        )
    return text


def _problem(setting: str | None, problem: str) -> ConfigurationError:
    if setting is None:
        return SettingError(Setting.TOKEN_URL, problem)
    return ConfigurationError(f"{setting} {problem}")


def _shown(text: str) -> str:
    """A short, quoted rendering of a rejected value for an error message."""
    return repr(text[:80] + ("..." if len(text) > 80 else ""))
