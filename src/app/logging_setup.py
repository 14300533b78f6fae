"""Logging to stderr only (stdout belongs to the MCP stdio protocol), every record scrubbed.

The handler carries a `ScrubbingFilter`: every record, from our loggers and from third-party
ones (httpx2 and httpcore2 print request and response headers at DEBUG, mcp and uvicorn print
messages they receive), has its message, its arguments, its exception text and its structured
fields passed through the product's scrubber before it is written. Beyond the known secrets,
anything after `Bearer` or `Basic` (in a header, a repr of a header list) is redacted too, so a
token the scrubber has not learnt yet cannot be printed either.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from ozon_mcp.adapters.auth.redaction import REDACTED, Scrubber
from ozon_mcp.app.log_format import JsonLinesFormatter

_STANDARD_FIELDS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
# An authorization scheme followed by its credentials (token68 and percent signs), as a header
# value or inside the repr of a header list.
_CREDENTIALS = re.compile(r"(?i)\b(bearer|basic)\s+(?!(?:bearer|basic)\b)[A-Za-z0-9\-._~+/=%]+")
_THIRD_PARTY = ("httpx", "httpx2", "httpcore", "httpcore2", "uvicorn.access", "mcp")


class ScrubbingFilter(logging.Filter):
    """Removes secrets and credentials from a record before any handler formats it."""

    def __init__(self, scrubber: Scrubber | None = None) -> None:
        super().__init__()
        self.scrubber = scrubber or Scrubber()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: show it raw rather than lose the record
            message = f"{record.msg!s} {record.args!r}"
        record.msg = self.clean(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_FIELDS and not key.startswith("_") and isinstance(value, str):
                setattr(record, key, self.clean(value))
        return True

    def clean(self, text: str) -> str:
        """`text` without any known secret and without credentials after Bearer/Basic."""
        return _CREDENTIALS.sub(lambda m: f"{m.group(1)} {REDACTED}", self.scrubber.redact(text))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the structured `extra=` fields of the record."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_FIELDS and not key.startswith("_"):
                payload[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_text:  # the scrubbed rendering the filter left
            payload["exception"] = record.exc_text
        elif record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(
    level: str = "INFO", fmt: str = "text", scrubber: Scrubber | None = None
) -> ScrubbingFilter:
    """Send every log record to stderr at `level`, as text or JSON lines, scrubbed.

    Returns the handler's filter; `scrub_logs_with` gives it the product's scrubber once the
    container has made it.
    """
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonLinesFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    scrubbing = ScrubbingFilter(scrubber)
    handler.addFilter(scrubbing)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # The HTTP libraries log every request at INFO/DEBUG; keep them quiet unless debugging.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in _THIRD_PARTY:
        logging.getLogger(name).setLevel(quiet)
    return scrubbing


def scrub_logs_with(scrubber: Scrubber) -> None:
    """Make every scrubbing filter on the root logger's handlers use `scrubber`."""
    for handler in logging.getLogger().handlers:
        for candidate in handler.filters:
            if isinstance(candidate, ScrubbingFilter):
                candidate.scrubber = scrubber
