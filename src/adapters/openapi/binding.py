"""From validated tool arguments to the parts of an HTTP request, following OpenAPI's rules.

Path values are percent-encoded per segment (`safe=""`), so an argument can never add a `/`, a
`?` or a dot-segment and reach another endpoint. Query values follow the parameter's `style` and
`explode` (default `form` + explode: `ids=1&ids=2`), booleans are `true`/`false`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlencode

from ozon_mcp.adapters.openapi.validation import ArgumentError

Location = Literal["path", "query", "header", "cookie"]

DEFAULT_STYLE: dict[str, str] = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_PATH_VARIABLE = re.compile(r"{([^{}/]+)}")
_UNSAFE_HEADER_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MAX_URL_LENGTH = 65_000  # the HTTP client refuses 65,536 and more
_MAX_BITS = 10_000  # about 3,000 decimal digits; Python will not print more than 4,300
# Segments that URL normalisation merges or removes (RFC 3986 5.2.4).
_DOT_OR_EMPTY_SEGMENTS = frozenset({"", ".", ".."})


@dataclass(frozen=True)
class ParameterBinding:
    """How one tool argument becomes a path, query, header or cookie parameter."""

    argument: str
    name: str
    location: Location
    style: str
    explode: bool
    as_json: bool = False  # declared with `content: application/json`: sent as JSON text


@dataclass(frozen=True)
class BodyBinding:
    """How tool arguments become the JSON request body.

    With `fields`, the body object is built from flattened arguments (argument -> property);
    with `argument`, one argument holds the whole body; with neither, the operation takes an
    empty body, sent as `{}` when the spec requires one.
    """

    media_type: str
    required: bool
    fields: tuple[tuple[str, str], ...] = ()
    argument: str | None = None
    # Form bodies (`application/x-www-form-urlencoded`, `multipart/form-data`): the properties
    # that are files, given as base64 arguments and sent as multipart file parts.
    files: tuple[str, ...] = ()

    @property
    def is_form(self) -> bool:
        """Whether the body is sent form-encoded or multipart instead of as JSON."""
        return self.media_type.split(";")[0].strip().lower() in FORM_MEDIA_TYPES


@dataclass(frozen=True)
class PreparedRequest:
    """Everything the transport needs for one upstream call; `json_body` None means no body."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any | None = None
    # A form body instead of JSON: (field, text) pairs in order (repeated for arrays), and the
    # file parts of a multipart body as (field, content).
    form: tuple[tuple[str, str], ...] | None = None
    files: tuple[tuple[str, bytes], ...] = ()
    multipart: bool = False  # the form goes as multipart/form-data, even without files

    def url(self, base_url: str) -> str:
        """The full URL under `base_url` (query encoded with %20 for spaces)."""
        target = base_url.rstrip("/") + self.path
        return f"{target}?{urlencode(self.query, quote_via=quote)}" if self.query else target


def build_request(
    method: str,
    path_template: str,
    parameters: tuple[ParameterBinding, ...],
    body: BodyBinding | None,
    arguments: Mapping[str, Any],
) -> PreparedRequest:
    """Assemble the request from arguments already validated against the input schema."""
    for name, value in arguments.items():
        _check_json_value(name, value)
    path = _fill_path(path_template, parameters, arguments)
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for binding in parameters:
        value = arguments.get(binding.argument)
        if binding.location == "path" or value is None:
            continue
        with _unicode_checked(binding):
            if binding.location == "query":
                pairs = _query_pairs(binding, value)
                "".join(part for pair in pairs for part in pair).encode()  # fails on surrogates
                query.extend(pairs)
            elif binding.location == "header":
                headers[binding.name] = _header_value(binding, value)
            else:
                cookies.append(f"{binding.name}={quote(_simple(binding, value), safe='')}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    if body is not None and body.is_form:
        form, files = _form_body(body, arguments)
        if form is not None and body.media_type.startswith(FORM_MEDIA_TYPES[0]):
            headers["Content-Type"] = FORM_MEDIA_TYPES[0]  # multipart: the client adds a boundary
        multipart = not body.media_type.startswith(FORM_MEDIA_TYPES[0])
        return PreparedRequest(
            method.upper(), path, tuple(query), headers, None, form, files, multipart
        )
    json_body = _body(body, arguments)
    if json_body is not None and body is not None:
        headers["Content-Type"] = body.media_type
    prepared = PreparedRequest(method.upper(), path, tuple(query), headers, json_body)
    _check_url_length(prepared, parameters, arguments)
    return prepared


def _check_json_value(argument: str, value: Any) -> None:
    """Refuse what JSON cannot carry, naming the argument: NaN and Infinity (Python's encoder
    would send them as invalid JSON) and integers too long to print (Python refuses to turn
    them into text, which would fail deep inside the HTTP client)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ArgumentError(
                [
                    f"argument {argument!r}: {item!r} is not a JSON number (NaN and Infinity "
                    "are not allowed)"
                ]
            )
        if isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > _MAX_BITS:
            raise ArgumentError(
                [
                    f"argument {argument!r}: the number is too large ({item.bit_length()} bits; "
                    f"at most {_MAX_BITS} bits are sent)"
                ]
            )
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


def _check_url_length(
    prepared: PreparedRequest,
    parameters: tuple[ParameterBinding, ...],
    arguments: Mapping[str, Any],
) -> None:
    """A URL longer than the HTTP client accepts is refused naming the longest argument in it."""
    length = len(prepared.url(""))
    if length <= MAX_URL_LENGTH:
        return
    in_url = [b.argument for b in parameters if b.location in ("path", "query")]
    longest = max(
        (a for a in in_url if a in arguments),
        key=lambda a: len(json.dumps(arguments[a], ensure_ascii=False, default=str)),
        default=None,
    )
    which = f"argument {longest!r}" if longest else "the arguments"
    raise ArgumentError(
        [
            f"{which}: the request URL would be {length} characters long; at most "
            f"{MAX_URL_LENGTH} are allowed (send fewer or shorter values)"
        ]
    )


def _form_body(
    binding: BodyBinding, arguments: Mapping[str, Any]
) -> tuple[tuple[tuple[str, str], ...] | None, tuple[tuple[str, bytes], ...]]:
    """The fields and file parts of a form body; arrays repeat their field (`tag=a&tag=b`)."""
    pairs: list[tuple[str, str]] = []
    files: list[tuple[str, bytes]] = []
    for argument, prop in binding.fields:
        value = arguments.get(argument)
        if value is None:
            continue
        if prop in binding.files:
            try:
                files.append((prop, base64.b64decode(str(value), validate=True)))
            except (ValueError, binascii.Error):
                raise ArgumentError(
                    [f"argument {argument!r}: must be the file's content in base64"]
                ) from None
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = scalar_text(item)
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ArgumentError(
                    [f"argument {argument!r}: contains an invalid Unicode code point"]
                ) from None
            pairs.append((prop, text))
    if not pairs and not files and not binding.required:
        return None, ()
    return tuple(pairs), tuple(files)


def scalar_text(value: Any) -> str:
    """The text form of one value in a URL or header: JSON literals, strings unquoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _fill_path(
    template: str, parameters: tuple[ParameterBinding, ...], arguments: Mapping[str, Any]
) -> str:
    """The template with each variable filled, one `/`-separated segment at a time.

    Every segment that holds a variable is checked after encoding: an empty, `.` or `..`
    segment would be merged or removed by URL normalisation (in the HTTP client or a proxy),
    moving the request to another endpoint, possibly outside the API base path. Such a value
    is refused, naming the argument, whatever the parameter's style produced it.
    """
    by_name = {b.name: b for b in parameters if b.location == "path"}

    def substitute(match: re.Match[str]) -> str:
        binding = by_name.get(match.group(1))
        if binding is None:  # the spec repair adds a parameter for every variable
            raise ArgumentError([f"path variable {match.group(1)!r} has no argument"])
        value = arguments.get(binding.argument)
        if value is None:
            raise ArgumentError([f"missing required argument {binding.argument!r}"])
        if value in ("", [], {}):
            raise ArgumentError(
                [f"argument {binding.argument!r}: must not be empty (it fills a path segment)"]
            )
        with _unicode_checked(binding):
            return _path_value(binding, value)

    segments = []
    for segment in template.split("/"):
        filled = _PATH_VARIABLE.sub(substitute, segment)
        if filled in _DOT_OR_EMPTY_SEGMENTS and _PATH_VARIABLE.search(segment):
            names = [by_name[n].argument for n in _PATH_VARIABLE.findall(segment) if n in by_name]
            shown = ", ".join(repr(name) for name in names) or repr(segment)
            raise ArgumentError(
                [
                    f"argument {shown}: this value would make the path segment {filled!r} "
                    "(empty or a dot segment), which leaves the endpoint's path; give a "
                    "non-empty value"
                ]
            )
        segments.append(filled)
    return "/".join(segments)


@contextmanager
def _unicode_checked(binding: ParameterBinding) -> Iterator[None]:
    """Name the argument when its text cannot be encoded (a lone surrogate, which JSON allows
    as `\\ud800`), instead of failing later inside the HTTP client."""
    try:
        yield
    except UnicodeEncodeError:
        raise ArgumentError(
            [f"argument {binding.argument!r}: contains an invalid Unicode code point"]
        ) from None


def _segment(value: Any) -> str:
    """Percent-encode one value for a path; a value of only dots is encoded too, because
    `.` and `..` segments are removed by URL normalisation and would change the endpoint."""
    encoded = quote(scalar_text(value), safe="")
    if encoded and encoded.strip(".") == "":
        encoded = encoded.replace(".", "%2E")
    return encoded


def _path_value(binding: ParameterBinding, value: Any) -> str:
    if binding.as_json:
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    name = binding.name
    if isinstance(value, list):
        items = [_segment(item) for item in value]
        if binding.style == "label":
            return "." + ("." if binding.explode else ",").join(items)
        if binding.style == "matrix":
            if binding.explode:
                return "".join(f";{name}={item}" for item in items)
            return f";{name}=" + ",".join(items)
        return ",".join(items)
    if isinstance(value, dict):
        pairs = [(_segment(key), _segment(item)) for key, item in value.items()]
        if binding.explode:
            joined = [f"{key}={item}" for key, item in pairs]
        else:
            joined = [part for pair in pairs for part in pair]
        if binding.style == "label":
            return "." + ("." if binding.explode else ",").join(joined)
        if binding.style == "matrix":
            if binding.explode:
                return "".join(f";{part}" for part in joined)
            return f";{name}=" + ",".join(joined)
        return ",".join(joined)
    text = _segment(value)
    if binding.style == "label":
        return "." + text
    if binding.style == "matrix":
        return f";{name}={text}"
    return text


def _query_pairs(binding: ParameterBinding, value: Any) -> list[tuple[str, str]]:
    name = binding.name
    if binding.as_json:
        return [(name, json.dumps(value, ensure_ascii=False, separators=(",", ":")))]
    if isinstance(value, list):
        items = [scalar_text(item) for item in value]
        if not items:
            return []
        if binding.style == "form" and binding.explode:
            return [(name, item) for item in items]
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(binding.style, ",")
        return [(name, separator.join(items))]
    if isinstance(value, dict):
        if binding.style == "deepObject":
            return [(f"{name}[{key}]", scalar_text(item)) for key, item in value.items()]
        if binding.explode:
            return [(str(key), scalar_text(item)) for key, item in value.items()]
        flat = [part for key, item in value.items() for part in (str(key), scalar_text(item))]
        return [(name, ",".join(flat))]
    return [(name, scalar_text(value))]


def _simple(binding: ParameterBinding, value: Any) -> str:
    """`simple` style (headers, cookies): arrays and objects as comma-separated lists."""
    if binding.as_json:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, list):
        return ",".join(scalar_text(item) for item in value)
    if isinstance(value, dict):
        if binding.explode:
            return ",".join(f"{key}={scalar_text(item)}" for key, item in value.items())
        return ",".join(part for k, v in value.items() for part in (str(k), scalar_text(v)))
    return scalar_text(value)


def _header_value(binding: ParameterBinding, value: Any) -> str:
    text = _simple(binding, value)
    if _UNSAFE_HEADER_CHARACTERS.search(text):
        raise ArgumentError(
            [f"argument {binding.argument!r}: a header value cannot contain control characters"]
        )
    if not text.isascii():
        raise ArgumentError([f"argument {binding.argument!r}: a header value must be ASCII text"])
    return text


def _body(binding: BodyBinding | None, arguments: Mapping[str, Any]) -> Any | None:
    if binding is None:
        return None
    if binding.argument is not None:
        return arguments.get(binding.argument)
    if binding.fields:
        body = {prop: arguments[arg] for arg, prop in binding.fields if arg in arguments}
        return body if body or binding.required else None
    return {} if binding.required else None
