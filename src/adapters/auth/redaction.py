"""Keeps the client secret out of every text that may reach a log line or an error message."""

from __future__ import annotations

import base64
import json
import re
from typing import Protocol
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
_TAG = re.compile(r"<[^>]{0,200}>")


def form_encode(value: str) -> str:
    """application/x-www-form-urlencoded encoding of one value (RFC 6749, appendix B)."""
    return quote_plus(value, safe="")


def basic_credentials(client_id: str, client_secret: str) -> str:
    """The token68 of a Basic header; id and secret are form-encoded first (RFC 6749 2.3.1)."""
    pair = f"{form_encode(client_id)}:{form_encode(client_secret)}"
    return base64.b64encode(pair.encode("utf-8")).decode("ascii")


class ScrubText(Protocol):
    """Anything that makes server-provided text safe to show: one line, no secret, trimmed."""

    def __call__(self, text: str, *, limit: int = 200) -> str: ...


class Scrubber:
    """Removes a secret, in every encoding it is sent in, from server-provided text."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        variants = {
            client_secret,
            _one_line(client_secret),
            form_encode(client_secret),
            quote(client_secret, safe=""),
            json.dumps(client_secret)[1:-1],
            basic_credentials(client_id, client_secret),
        }
        # Longest first, so that an encoding containing the raw secret is removed whole.
        self._variants = tuple(sorted((v for v in variants if v), key=len, reverse=True))

    def __call__(self, text: str, *, limit: int = 200) -> str:
        """`text` on one line, without the secret, trimmed to about `limit` characters."""
        text = _one_line(self._redact(_one_line(self._redact(text))))
        if len(text) > limit:
            text = text[:limit].rstrip() + "..."
        if any(variant in text for variant in self._variants):
            # A replacement or the trimming formed the secret again: show nothing rather
            # than take the risk.
            return REDACTED
        return text

    def _redact(self, text: str) -> str:
        for variant in self._variants:
            text = text.replace(variant, REDACTED)
        return text

    def __repr__(self) -> str:
        return "Scrubber(<secret>)"


def _one_line(text: str) -> str:
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())


def plain_text(body: str) -> str:
    """A rough, one-line text rendering of an HTML or text error page."""
    return " ".join(_TAG.sub(" ", body).split())
