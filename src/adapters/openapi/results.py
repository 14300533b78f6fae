"""Turn an upstream HTTP answer into what a tool call returns: text, structured content, error.

JSON becomes structured content plus readable text; CSV and other text stay text; a ZIP of
reports (Ozon answers multi-campaign statistics that way) is unpacked into its text files; other
binary content is described. Anything larger than the limit is cut with a note saying how much,
and secrets are scrubbed before any cut, so no fragment of one can survive at the edge.
"""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from html import unescape
from typing import Any

import anyio.to_thread

from ozon_mcp.adapters.auth.redaction import REDACTED, Scrubber
from ozon_mcp.adapters.openapi.text import one_line

DEFAULT_LIMIT_BYTES = 100_000
ERROR_MESSAGE_LIMIT = 500
_INLINE_RENDER_BYTES = 64 * 1024
_ZIP_NOTE_ROOM = 300  # room kept for a file's truncation note (and the final one)
__all__ = ["REDACTED", "RenderedResult", "render_response", "render_response_off_loop", "scrub"]

_TEXT_TYPES = frozenset(
    {
        "application/csv",
        "application/xml",
        "application/javascript",
        "application/x-ndjson",
        "application/yaml",
        "application/x-yaml",
    }
)
_ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed"})
_TEXT_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".xml", ".ndjson", ".md")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")
_MESSAGE_KEYS = ("message", "error_description", "detail", "title", "description", "error")
_CODE_KEYS = ("code", "name", "status", "error")
_HINTS = {
    401: "the API refused the access token; check the client credentials",
    403: "the client is not allowed to do this; check its permissions",
    404: "not found; check the identifiers in the arguments",
    429: "rate limit reached; wait before calling again",
}


@dataclass(frozen=True)
class RenderedResult:
    """What a tool call returns: `structured` only for a complete JSON answer."""

    text: str
    structured: dict[str, Any] | None
    is_error: bool


def render_response(
    status: int,
    content_type: str | None,
    body: bytes,
    *,
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    operation: str,
    secrets: Iterable[str] | Scrubber = (),
) -> RenderedResult:
    """Render one upstream answer for the model; `secrets` never appear in the result."""
    if limit_bytes <= 0:
        raise ValueError("limit_bytes must be positive")
    hidden = _as_scrubber(secrets)
    if not 200 <= status < 300:
        return RenderedResult(
            _error_text(status, content_type, body, operation, hidden), None, True
        )
    media_type, charset = _media_type(content_type)
    if not body:
        text = f"{operation} succeeded (HTTP {status}) with an empty response body."
        return RenderedResult(text, None, False)
    kind = _kind(media_type, body)
    if kind == "json":
        non_finite: list[str] = []
        data = _json(body, charset, non_finite)
        if data is not _NOT_JSON:
            rendered = _render_json(data, limit_bytes, hidden)
            if not non_finite:
                return rendered
            # NaN and Infinity are not JSON: clients would reject the structured content.
            note = (
                f"\n[the API sent {', '.join(sorted(set(non_finite)))}, which JSON does not "
                "allow; shown as null]"
            )
            return RenderedResult(rendered.text + note, rendered.structured, False)
        kind = "text"
    if kind == "zip":
        text = _render_zip(operation, body, media_type, limit_bytes, hidden)
        return RenderedResult(text, None, False)
    if kind == "text":
        text = hidden.redact(body.decode(charset or "utf-8", errors="replace"))
        return RenderedResult(_cut(text, limit_bytes), None, False)
    return RenderedResult(_describe_binary(operation, media_type, len(body)), None, False)


async def render_response_off_loop(
    status: int,
    content_type: str | None,
    body: bytes,
    *,
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    operation: str,
    secrets: Iterable[str] | Scrubber = (),
) -> RenderedResult:
    """`render_response` in a worker thread when the body is large or an archive.

    Parsing a megabyte of JSON or inflating ZIP members takes tens of milliseconds; on the
    event loop that would stall every other call (and `auth_status`). Small answers, the usual
    case, are rendered inline: a thread hop would cost more than the work.
    """
    render = functools.partial(
        render_response,
        status,
        content_type,
        body,
        limit_bytes=limit_bytes,
        operation=operation,
        secrets=secrets,
    )
    if len(body) <= _INLINE_RENDER_BYTES and not body.startswith(b"PK"):
        return render()
    return await anyio.to_thread.run_sync(render)


def scrub(text: str, secrets: Iterable[str] | Scrubber) -> str:
    """Replace every occurrence of each secret, in any encoding, with [REDACTED]."""
    return _as_scrubber(secrets).redact(text)


def _as_scrubber(secrets: Iterable[str] | Scrubber) -> Scrubber:
    return secrets if isinstance(secrets, Scrubber) else Scrubber.of(secrets)


def _media_type(content_type: str | None) -> tuple[str | None, str | None]:
    if not content_type:
        return None, None
    main, *params = content_type.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    if charset is not None:
        try:
            "".encode(charset)
        except LookupError:
            charset = None
    return main.strip().lower() or None, charset


def _kind(media_type: str | None, body: bytes) -> str:
    if media_type is None:
        if body.startswith(b"PK\x03\x04"):
            return "zip"
        if b"\x00" in body[:1024]:
            return "binary"
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return "binary"
        return "json" if _json(body, None) is not _NOT_JSON else "text"
    if media_type in ("application/json", "text/json") or media_type.endswith("+json"):
        return "json"
    if media_type.startswith("text/") or media_type in _TEXT_TYPES or media_type.endswith("+xml"):
        return "text"
    if media_type in _ZIP_TYPES or body.startswith(b"PK\x03\x04"):
        return "zip"
    return "binary"


_NOT_JSON: Any = object()


def _json(body: bytes, charset: str | None, non_finite: list[str] | None = None) -> Any:
    """The parsed body, or _NOT_JSON; NaN/Infinity become None (named in `non_finite`)."""

    def constant(name: str) -> None:
        if non_finite is not None:
            non_finite.append(name)

    try:
        return json.loads(body.decode(charset or "utf-8-sig"), parse_constant=constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON


def _render_json(data: Any, limit_bytes: int, hidden: Scrubber) -> RenderedResult:
    # Compact JSON: the C encoder (indent forces the pure-Python one, ~3x slower per call) and
    # fewer tokens for the model; structured content carries the same data for clients.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if hidden.contains_secret(text):
        # Rare: the answer echoes a secret. Scrub the data itself, not only its rendering.
        data = hidden.redact_data(data)
        text = hidden.redact(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    structured = data if isinstance(data, dict) else {"result": data}
    if len(text.encode()) <= limit_bytes:
        return RenderedResult(text, structured, False)
    return RenderedResult(_cut(text, limit_bytes), None, False)


def _cut(text: str, limit_bytes: int) -> str:
    """`text` within `limit_bytes` (UTF-8), with a note on how much was cut when it was."""
    encoded = text.encode()
    if len(encoded) <= limit_bytes:
        return text
    shown = encoded[:limit_bytes].decode(errors="ignore")
    shown_bytes = len(shown.encode())
    return (
        f"{shown}\n\n[truncated: showing the first {shown_bytes} of {len(encoded)} bytes, "
        f"{len(encoded) - shown_bytes} bytes cut; ask for less (filters, paging, a shorter "
        "period) to see the rest]"
    )


def _render_zip(
    operation: str, body: bytes, media_type: str | None, limit_bytes: int, hidden: Scrubber
) -> str:
    """List the archive and show its text files (CSV reports) within the size limit.

    Everything counts against the limit: the listing (at most a quarter of it, then "and N
    more"), each file's heading and text, and one line for the files left out; so an archive
    of ten thousand members renders no larger than one of two.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        return _describe_binary(operation, media_type or "application/zip", len(body))
    # Member names are server-chosen text like any other: an echoed secret can hide in them.
    names = {id(m): hidden.redact(m.filename) for m in members}
    head = f"ZIP archive of {len(body)} bytes with {len(members)} files: "
    listed: list[str] = []
    listing_room = max(limit_bytes // 4, 200) - len(head)
    for index, member in enumerate(members):
        entry = f"{names[id(member)]} ({member.file_size} bytes)"
        if len(entry.encode()) + 2 > listing_room:
            listed.append(f"and {len(members) - index} more (not listed: the size limit)")
            break
        listed.append(entry)
        listing_room -= len(entry.encode()) + 2
    parts = [head + ", ".join(listed)]
    budget = limit_bytes - len(parts[0].encode())
    overlap = hidden.longest
    left_out = 0
    for member in members:
        if not member.filename.lower().endswith(_TEXT_FILE_SUFFIXES):
            continue
        heading = f"=== {names[id(member)]} ===\n"
        if budget <= len(heading.encode()) + _ZIP_NOTE_ROOM:
            left_out += 1
            continue
        budget -= len(heading.encode()) + _ZIP_NOTE_ROOM
        try:
            with archive.open(member) as handle:
                # Bounded read: a zip bomb cannot inflate past it. The overlap lets a secret
                # that straddles the cut be scrubbed whole before the cut is made.
                raw = handle.read(budget + overlap + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            parts.append(f"=== {names[id(member)]}: cannot be read ===")
            continue
        text = hidden.redact(raw.decode("utf-8-sig", errors="replace"))
        encoded = text.encode()
        if len(encoded) > budget:
            shown = encoded[:budget].decode(errors="ignore")
            size = max(member.file_size, len(raw))
            text = (
                f"{shown}\n\n[truncated: showing the first {len(shown.encode())} of about "
                f"{size} bytes of {names[id(member)]}; ask for less (fewer campaigns, a shorter "
                "period) to see the rest]"
            )
        parts.append(heading + text)
        budget -= min(len(encoded), budget)
    if left_out:
        parts.append(f"=== {left_out} more text files not shown: the size limit was reached ===")
    return _cut("\n\n".join(parts), limit_bytes + _ZIP_NOTE_ROOM)


def _describe_binary(operation: str, media_type: str | None, size: int) -> str:
    kind = media_type or "an unknown type"
    return f"{operation} returned {size} bytes of {kind} (binary content, not shown)."


def _error_text(
    status: int,
    content_type: str | None,
    body: bytes,
    operation: str,
    hidden: Scrubber,
) -> str:
    head = f"HTTP {status} from {operation}"
    message = hidden.redact(_upstream_message(content_type, body, hidden))
    text = (
        f"{head}: {one_line(message, ERROR_MESSAGE_LIMIT)}" if message else f"{head} (empty body)"
    )
    hint = _HINTS.get(status)
    if hint is None and status >= 500:
        hint = "the upstream service failed; calling again later may help"
    return f"{text} ({hint})" if hint else text


def _upstream_message(content_type: str | None, body: bytes, hidden: Scrubber) -> str:
    """The error message the upstream gave, from its usual JSON fields or its text."""
    if not body.strip():
        return ""
    media_type, charset = _media_type(content_type)
    kind = _kind(media_type, body)
    if kind == "json":
        data = _json(body, charset)
        if data is not _NOT_JSON:
            return _message_from_json(data)
        kind = "text"
    if kind == "text":
        # Scrubbed before the markup is stripped: a tag inside a secret would split it.
        text = hidden.redact(body.decode(charset or "utf-8", errors="replace"))
        if media_type == "text/html" or text.lstrip()[:15].lower().startswith(
            ("<!doctype", "<html")
        ):
            title = _HTML_TITLE.search(text)
            text = unescape(title.group(1) if title else _HTML_TAG.sub(" ", text))
        return text
    return f"{len(body)} bytes of {media_type or 'binary content'}"


def _message_from_json(data: Any) -> str:
    if not isinstance(data, dict):
        return json.dumps(data, ensure_ascii=False)
    nested = data.get("error")
    if isinstance(nested, dict):
        return _message_from_json(nested)
    message = next(
        (
            data[key].strip()
            for key in _MESSAGE_KEYS
            if isinstance(data.get(key), str) and data[key].strip()
        ),
        "",
    )
    if not message:
        return json.dumps(data, ensure_ascii=False)
    code = next(
        (
            str(data[key])
            for key in _CODE_KEYS
            if isinstance(data.get(key), str | int) and not isinstance(data.get(key), bool)
        ),
        "",
    )
    if code and code not in message:
        message = f"{message} (code {code})"
    details = data.get("details")
    if isinstance(details, list) and details:
        message += f"; details: {json.dumps(details, ensure_ascii=False)}"
    return message
