"""Token URL validation: credentials only ever travel over https, except to this machine."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx2

from ozon_mcp.domain.errors import ConfigurationError, Setting, SettingError

_LOOPBACK_NAMES = frozenset({"localhost"})
_UNPRINTABLE = re.compile(r"[\s\x00-\x1f\x7f]")
# A DNS name (letters in any script, digits, '-', '_', '.'), an IPv4 or a bracket-less IPv6.
_HOST = re.compile(r"[\w.-]+|[0-9A-Fa-f:.]+(%[\w.-]+)?")
_CLEAR_PROXY_SCHEMES = frozenset({"http", "socks4", "socks4a", "socks5", "socks5h"})

Resolver = Callable[[str], list[str]]


def resolve_addresses(name: str) -> list[str]:
    """Every address `name` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def is_loopback_host(host: str, *, resolve: Resolver | None = None) -> bool:
    """Whether `host` names this machine (127.0.0.0/8, ::1, localhost).

    A name under `.localhost` counts only when it resolves, entirely, to loopback addresses:
    RFC 6761 asks resolvers to do so, but not every resolver does, and a name that reaches
    another machine must not get the plain-http exemption.
    """
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    if name.endswith(".localhost"):
        addresses = (resolve or resolve_addresses)(name)
        return bool(addresses) and all(_is_loopback_address(a) for a in addresses)
    return False


def _is_loopback_address(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def environment_proxy(url: str) -> str | None:
    """The proxy the HTTP client will use for `url`, from HTTP(S)_PROXY, ALL_PROXY and
    NO_PROXY, exactly as httpx2 picks it (its own matching rules); None for a direct link."""
    from httpx2._utils import URLPattern, get_environment_proxies  # the client's own rules

    target = httpx2.URL(url)
    mounts = sorted((URLPattern(key), proxy) for key, proxy in get_environment_proxies().items())
    for pattern, proxy in mounts:
        if pattern.matches(target):
            return proxy
    return None


def proxy_problems(
    targets: Iterable[tuple[str, str]], *, resolve: Resolver | None = None
) -> list[str]:
    """One line per (setting, URL) that the environment routes through an unencrypted proxy
    on another machine: the link to such a proxy is plain text, so the credentials (and, for
    a plain-http target, the whole request) would travel in clear."""
    problems = []
    for setting, url in targets:
        try:
            proxy = environment_proxy(url)
        except (ValueError, httpx2.InvalidURL):
            continue  # the URL itself is reported by validate_token_url
        if proxy is None:
            continue
        parts = urlsplit(proxy)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        if scheme in _CLEAR_PROXY_SCHEMES and not is_loopback_host(host, resolve=resolve):
            shown = f"{scheme}://{host}" + (f":{parts.port}" if parts.port else "")
            target = urlsplit(url).hostname or url
            problems.append(
                f"{setting}: the environment (HTTP_PROXY/HTTPS_PROXY/ALL_PROXY) sends requests "
                f"for {target} through {shown}, an unencrypted proxy on another machine; "
                "credentials would travel in clear. Use an https:// proxy or one on this "
                f"machine, or add {target} to NO_PROXY"
            )
    return problems


def validate_token_url(
    url: str,
    *,
    setting: str | None = None,
    carries: str = "the client secret",
    allow_query: bool = True,
) -> str:
    """Return `url` if `carries` may be sent to it, else raise a `ConfigurationError`.

    https is required; plain http is accepted only for a loopback host (a local emulator or a
    test server), because anything else would send the secret in clear over a network. Without
    `setting` (the name the caller's user knows the URL by), the error is a `SettingError` about
    `Setting.TOKEN_URL`, which each edge words in its own names.
    The host must be a host name or an IP address (no spaces or control characters anywhere);
    with `allow_query=False` (a base URL that paths are appended to) a query or a fragment is
    refused too, since every path would end up inside it.
    """
    text = url.strip() if isinstance(url, str) else ""
    what = "the API" if setting == "API_BASE_URL" else "the OAuth 2.0 token endpoint"
    if _UNPRINTABLE.search(text):
        raise _problem(
            setting, f"must not contain spaces or control characters, got {_shown(text)}"
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise _problem(setting, f"is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise _problem(setting, f"must be an absolute https:// URL of {what}, got {_shown(text)}")
    if not _HOST.fullmatch(host):
        raise _problem(
            setting, f"has an invalid host {host[:80]!r}: use a host name or an IP address"
        )
    if not allow_query and (parts.query or parts.fragment or text.endswith(("?", "#"))):
        raise _problem(
            setting,
            "must not have a query or a fragment (every operation's path is "
            f"appended to it), got {_shown(text)}",
        )
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
