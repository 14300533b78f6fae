"""Refusing spec path keys that could send a request (and its token) somewhere else.

A path key is appended to `API_BASE_URL`; one that does not start with `/`, starts with `//`,
carries a scheme, user info (`@`), a query or fragment, a backslash or a dot segment could change
the host or climb out of the base path once the URL is parsed and normalised. Such a path item is
removed from the document at load time (its operations become no tools) and the removal is
reported with its JSON pointer; the rest of the spec stays usable.
"""

from __future__ import annotations

import re
from typing import Any

_DOT_SEGMENT = re.compile(r"^(?:\.|%2e){1,2}$", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_key_problem(key: str) -> str | None:
    """Why `key` cannot be used as a path under the API base URL, or None when it can."""
    if not isinstance(key, str) or not key.startswith("/"):
        return "does not start with '/'"
    if key.startswith("//"):
        return "starts with '//' (a network-path reference naming another host)"
    if _SCHEME.match(key) or "://" in key:
        return "contains a URL scheme"
    for character, what in (("@", "'@' (user info)"), ("\\", "a backslash"), ("?", "a '?'")):
        if character in key:
            return f"contains {what}"
    if "#" in key:
        return "contains a '#'"
    if _CONTROL.search(key):
        return "contains a control character"
    if any(_DOT_SEGMENT.match(segment) for segment in key.split("/")):
        return "contains a '.' or '..' segment"
    return None


def refuse_unsafe_path_keys(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Remove every unsafe path item from `document["paths"]` in place.

    Returns (JSON pointer, description) for each one removed, for the caller to report.
    """
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return []
    refused: list[tuple[str, str]] = []
    for key in list(paths):
        problem = path_key_problem(key)
        if problem is None:
            continue
        del paths[key]
        pointer = "/paths/" + str(key).replace("~", "~0").replace("/", "~1")
        refused.append(
            (pointer, f"path key {str(key)[:80]!r} {problem}; its operations are skipped")
        )
    return refused
