"""String formats: which ones tool arguments are checked against, and which ones are published.

jsonschema's own FormatChecker checks `date-time` and `uri` only when optional packages are
installed (rfc3339-validator, rfc3987) and `email` only for an "@"; without them
`from: "not-a-date"` would reach the API. The checks here need nothing extra and are strict
where an API would be: RFC 3339 date-times with a calendar-valid date and an offset, ISO dates,
RFC 3986 absolute URIs, addresses with a local part and a domain.

`PORTABLE_FORMATS` are the JSON Schema format names every strict client validator knows (Ajv +
ajv-formats, used by TypeScript MCP clients, refuses a schema with any other `format`); the
schema builder translates or drops the rest (see `schema.portable_schema`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import FormatChecker

PORTABLE_FORMATS = frozenset(
    {
        "date-time",
        "date",
        "time",
        "duration",
        "email",
        "hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "uri-template",
        "uuid",
        "json-pointer",
        "relative-json-pointer",
        "regex",
    }
)

# What a model should send instead, named in the error message.
FORMAT_HINTS = {
    "date-time": "an RFC 3339 date-time with an offset, such as 2024-01-31T09:30:00Z",
    "date": "a date as YYYY-MM-DD, such as 2024-01-31",
    "time": "a time with an offset, such as 09:30:00Z",
    "email": "an email address such as name@example.com",
    "uri": "an absolute URI such as https://example.com/path",
    "uri-reference": "a URI or a relative reference such as /path?x=1",
    "uuid": "a UUID such as 123e4567-e89b-12d3-a456-426614174000",
    "ipv4": "an IPv4 address such as 192.0.2.1",
    "ipv6": "an IPv6 address such as 2001:db8::1",
    "hostname": "a host name such as api.example.com",
}

# OpenAPI's integer formats on strings (Ozon's ids) become patterns every validator knows.
UINT64_PATTERN = "^[0-9]{1,20}$"
INT64_PATTERN = "^-?[0-9]{1,19}$"
PATTERN_HINTS = {
    UINT64_PATTERN: 'an unsigned 64-bit integer written as a string of digits, such as "1234567"',
    INT64_PATTERN: 'a 64-bit integer written as a string of digits, such as "-42"',
}
_STRING_INTEGERS = {
    "uint64": (UINT64_PATTERN, "uint64, as digits"),
    "int64": (INT64_PATTERN, "int64, as digits"),
    "int32": (INT64_PATTERN, "int32, as digits"),
}
_INTEGER_BOUNDS = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, None),
}

_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME = r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
_DATE_TIME = re.compile(rf"({_DATE})[Tt ]({_TIME})")
_DATE_ONLY = re.compile(_DATE)
_TIME_ONLY = re.compile(_TIME)
# RFC 3986 characters: unreserved, reserved, and %XX escapes; nothing else (no spaces).
_URI_CHARS = r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})"
_URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:{_URI_CHARS}*")
_URI_REFERENCE = re.compile(rf"{_URI_CHARS}*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    rf"@(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
)


def is_date_time(value: object) -> bool:
    """RFC 3339 `date-time`: date, `T`, time, offset; the date and time must exist."""
    if not isinstance(value, str):
        return True  # the `type` keyword reports non-strings
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    return is_date(match.group(1)) and _valid_time(match.group(2))


def is_date(value: object) -> bool:
    """RFC 3339 `full-date` (YYYY-MM-DD) of a day that exists."""
    if not isinstance(value, str):
        return True
    if _DATE_ONLY.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_time(value: object) -> bool:
    """RFC 3339 `full-time`: hh:mm:ss[.frac] plus `Z` or an offset."""
    if not isinstance(value, str):
        return True
    return _TIME_ONLY.fullmatch(value) is not None and _valid_time(value)


def _valid_time(text: str) -> bool:
    hour, minute, second = int(text[0:2]), int(text[3:5]), int(text[6:8])
    # 60 is a leap second, which RFC 3339 allows.
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset = text[-6:]
    if offset[0] in "+-":
        return int(offset[1:3]) <= 23 and int(offset[4:6]) <= 59
    return True


def is_email(value: object) -> bool:
    """An address with a dot-atom local part and a host name (or an [IP literal])."""
    return not isinstance(value, str) or _EMAIL.fullmatch(value) is not None


def is_uri(value: object) -> bool:
    """An absolute RFC 3986 URI: a scheme, a colon, then only characters a URI may hold."""
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


def is_uri_reference(value: object) -> bool:
    """A URI or a relative reference (RFC 3986 characters only)."""
    return not isinstance(value, str) or _URI_REFERENCE.fullmatch(value) is not None


def is_hostname(value: object) -> bool:
    """An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens."""
    return not isinstance(value, str) or _HOSTNAME.fullmatch(value) is not None


def argument_format_checker() -> FormatChecker:
    """A FormatChecker that really checks the formats APIs use, with no optional packages.

    jsonschema's built-in checks are kept where they need nothing extra (uuid, ipv4, ipv6,
    regex); the ones that silently pass without extras (or only look for "@") are ours.
    """
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=("uuid", "ipv4", "ipv6", "regex"))
    checker.checks("date-time")(is_date_time)
    checker.checks("date")(is_date)
    checker.checks("time")(is_time)
    checker.checks("email")(is_email)
    checker.checks("uri")(is_uri)
    checker.checks("uri-reference")(is_uri_reference)
    checker.checks("hostname")(is_hostname)
    return checker


def portable_format(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (one node) with a non-standard `format` translated or dropped.

    A strict validator refuses a schema with a format it does not know; the meaning is kept
    where a standard keyword can carry it: `uint64`/`int64` strings get a digits `pattern` and a
    note in the description, `int32` integers their bounds, `byte` strings
    `contentEncoding: base64`. OpenAPI's `int64`/`float`/`double` on numbers only restate the
    type and are dropped, as are unknown formats.
    """
    name = schema.get("format")
    if not isinstance(name, str) or name in PORTABLE_FORMATS:
        return schema
    out = {key: value for key, value in schema.items() if key != "format"}
    kinds = _kinds(out)
    if "string" in kinds and name in _STRING_INTEGERS and not kinds & {"integer", "number"}:
        pattern, note = _STRING_INTEGERS[name]
        out.setdefault("pattern", pattern)
        description = out.get("description")
        out["description"] = f"{description} ({note})" if description else f"{note}."
    elif kinds & {"integer", "number"} and name in _INTEGER_BOUNDS:
        low, high = _INTEGER_BOUNDS[name]
        if "minimum" not in out and "exclusiveMinimum" not in out:
            out["minimum"] = low
        if high is not None and "maximum" not in out and "exclusiveMaximum" not in out:
            out["maximum"] = high
    elif "string" in kinds and name == "byte":
        out.setdefault("contentEncoding", "base64")
    return out


def _kinds(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {kind for kind in declared if isinstance(kind, str)}
    return set()
