"""The one scrubber of the product: keeps secrets out of every text it shows or logs.

`Scrubber` holds the client secret (for as long as it lives) and a bounded set of recently
issued access tokens (a replaced token may still be valid for its remaining lifetime), and
removes each of them in every encoding it may come back in: raw, percent-encoded (upper- and
lower-case hex, `+` or `%20` for spaces), JSON-escaped (with and without `\\/` and `\\uXXXX`),
HTML-escaped (named and numeric entities), plain base64 (standard and URL-safe, padded or not)
and the Basic credentials the client sends. Tool results, error messages, token-endpoint
reasons and every log record (see `ozon_mcp.app.logging_setup`) go through it.

Who feeds it: the container adds the client secret; the token endpoint calls `remember()` for
each token it is issued; the server hooks remember the token currently served.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"
RECENT_SECRETS = 8  # tokens kept after being replaced: far more than can be valid at once
MIN_SECRET_LENGTH = 4  # shorter encodings would redact ordinary words
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
_TAG = re.compile(r"<[^>]{0,200}>")
_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-f]{4})")


def form_encode(value: str) -> str:
    """application/x-www-form-urlencoded encoding of one value (RFC 6749, appendix B)."""
    return quote_plus(value, safe="")


def basic_credentials(client_id: str, client_secret: str) -> str:
    """The token68 of a Basic header; id and secret are form-encoded first (RFC 6749 2.3.1)."""
    pair = f"{form_encode(client_id)}:{form_encode(client_secret)}"
    return base64.b64encode(pair.encode("utf-8")).decode("ascii")


def secret_forms(secret: str) -> frozenset[str]:
    """Every encoding in which `secret` may come back in a body, header, URL or log line."""
    if not secret:
        return frozenset()
    forms = {secret, _one_line(secret)}
    lenient = "surrogatepass"  # a token parsed from JSON may hold a lone surrogate
    for percent in (
        quote(secret, safe="", errors=lenient),
        quote_plus(secret, safe="", errors=lenient),
        quote(secret, errors=lenient),
    ):
        forms.update((percent, _PERCENT_HEX.sub(lambda m: m.group().lower(), percent)))
    for escaped in (json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]):
        # Go escapes <, > and & in JSON; Java-style encoders use upper-case \u hex; PHP and
        # others escape `/` as `\/`.
        html_safe = escaped.replace("<", "\\u003c").replace(">", "\\u003e")
        html_safe = html_safe.replace("&", "\\u0026")
        for variant in (escaped, html_safe):
            for cased in (
                variant,
                _UNICODE_ESCAPE.sub(lambda m: "\\u" + m.group(1).upper(), variant),
            ):
                forms.update((cased, cased.replace("/", "\\/")))
    entity = html.escape(secret, quote=True)
    forms.update(
        (
            entity,
            html.escape(secret, quote=False),
            entity.replace("&#x27;", "&#39;"),
            entity.replace("&#x27;", "&apos;").replace("&quot;", "&#34;"),
            _numeric_entities(secret),
            entity.encode("ascii", "xmlcharrefreplace").decode("ascii"),
        )
    )
    raw = secret.encode("utf-8", errors="surrogatepass")
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded.decode("ascii")
        forms.update((text, text.rstrip("=")))
    # Encodings shorter than the minimum would redact ordinary text; the raw secret stays.
    # Logged reprs (httpcore prints header lists as bytes reprs): backslashes doubled, quotes
    # escaped, non-ASCII as \xNN.
    for form in list(forms):
        forms.update(_repr_forms(form))
    return frozenset(form for form in forms if len(form) >= MIN_SECRET_LENGTH or form == secret)


def _repr_forms(text: str) -> set[str]:
    as_bytes = repr(text.encode("utf-8", errors="surrogatepass"))[2:-1]
    as_text = repr(text)[1:-1]
    found = {as_bytes, as_text}
    for shown in (as_bytes, as_text):  # repr picks its quote; the other one is not escaped
        found.update((shown.replace("\\'", "'"), shown.replace("'", "\\'")))
    return found


def _numeric_entities(secret: str) -> str:
    """The secret with every character outside [A-Za-z0-9] as a decimal entity."""
    return "".join(c if c.isascii() and c.isalnum() else f"&#{ord(c)};" for c in secret)


class ScrubText(Protocol):
    """Anything that makes server-provided text safe to show: one line, no secret, trimmed."""

    def __call__(self, text: str, *, limit: int = 200, markup: bool = False) -> str: ...


class Scrubber:
    """Removes the client secret and recent access tokens, in every encoding, from text.

    Thread-safe: `add` and `remember` replace an immutable snapshot under a lock; readers use
    whichever snapshot is current.
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        recent: int = RECENT_SECRETS,
    ) -> None:
        self._lock = threading.Lock()
        self._permanent: dict[str, frozenset[str]] = {}
        self._recent: dict[str, frozenset[str]] = {}  # insertion order = age
        self._recent_limit = max(1, recent)
        self._forms: tuple[str, ...] = ()
        self._percent_pattern: re.Pattern[str] | None = None
        if client_secret:
            self.add(client_secret)
            if client_id is not None:
                self._add_forms(
                    client_secret, frozenset({basic_credentials(client_id, client_secret)})
                )

    @classmethod
    def of(cls, secrets: Iterable[str]) -> Scrubber:
        """A scrubber for a fixed list of secrets (tests, one-off renderings)."""
        scrubber = cls()
        for secret in secrets:
            scrubber.add(secret)
        return scrubber

    def add(self, secret: str) -> None:
        """Hide `secret` for the scrubber's whole life (the client secret)."""
        self._add_forms(secret, secret_forms(secret))

    def remember(self, token: str) -> None:
        """Hide an issued access token; the oldest of more than `recent` tokens is forgotten.

        Call it for every token obtained (the endpoint does), and for tokens adopted from a
        shared cache: a replaced token can still be valid, and must stay hidden until it is not.
        """
        if not token or token in self._permanent:
            return
        with self._lock:
            if token in self._recent:
                self._recent[token] = self._recent.pop(token)  # most recent again
                return
            self._recent[token] = secret_forms(token)
            while len(self._recent) > self._recent_limit:
                del self._recent[next(iter(self._recent))]
            self._rebuild()

    @property
    def forms(self) -> tuple[str, ...]:
        """Every hidden form, longest first."""
        return self._forms

    @property
    def longest(self) -> int:
        """The length in UTF-8 bytes of the longest hidden form (0 when there is none)."""
        forms = self._forms
        return len(forms[0].encode("utf-8", errors="surrogatepass")) if forms else 0

    def redact(self, text: str) -> str:
        """`text` with every hidden form replaced by [REDACTED] (nothing else changed)."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        percent = self._percent_pattern
        if percent is not None and "%" in text:
            # Percent-encodings with mixed-case hex digits (%2F and %2f in one value).
            text = percent.sub(REDACTED, text)
        return text

    def contains_secret(self, text: str) -> bool:
        """Whether any hidden form occurs in `text`."""
        if any(form in text for form in self._forms):
            return True
        percent = self._percent_pattern
        return percent is not None and "%" in text and percent.search(text) is not None

    def redact_data(self, data: Any) -> Any:
        """A copy of JSON-like `data` with every string (keys too) redacted; numbers whose text
        is a secret become [REDACTED]."""
        if not self._forms:
            return data
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, list):
            return [self.redact_data(item) for item in data]
        if isinstance(data, dict):
            return {self.redact(str(k)): self.redact_data(v) for k, v in data.items()}
        if isinstance(data, int | float) and not isinstance(data, bool):
            return REDACTED if self.contains_secret(json.dumps(data)) else data
        return data

    def __call__(self, text: str, *, limit: int = 200, markup: bool = False) -> str:
        """`text` on one line, without any secret, trimmed to about `limit` characters.

        With `markup`, the text is an HTML or text page: it is scrubbed before the tags are
        removed (a tag inside a secret would otherwise split it and let the pieces through)
        and again after, when entities are decoded.
        """
        text = self.redact(text)
        if markup:
            text = self.redact(html.unescape(plain_text(text)))
        text = _one_line(self.redact(_one_line(text)))
        if len(text) > limit:
            text = text[:limit].rstrip() + "..."
        if self.contains_secret(text):
            # A replacement or the trimming formed a secret again: show nothing rather
            # than take the risk.
            return REDACTED
        return text

    def __repr__(self) -> str:
        return f"Scrubber(<{len(self._permanent)} secrets, {len(self._recent)} tokens>)"

    def _add_forms(self, secret: str, forms: frozenset[str]) -> None:
        if not forms:
            return
        with self._lock:
            self._permanent[secret] = self._permanent.get(secret, frozenset()) | forms
            self._recent.pop(secret, None)
            self._rebuild()

    def _rebuild(self) -> None:
        every: set[str] = set()
        for forms in (*self._permanent.values(), *self._recent.values()):
            every |= forms
        # Longest first, so that an encoding containing another form is removed whole.
        self._forms = tuple(sorted(every, key=len, reverse=True))
        encoded = sorted(
            {
                _PERCENT_HEX.sub(_any_case_hex, re.escape(f))
                for f in every
                if _PERCENT_HEX.search(f)
            },
            key=len,
            reverse=True,
        )
        self._percent_pattern = re.compile("|".join(encoded)) if encoded else None


def _any_case_hex(match: re.Match[str]) -> str:
    return "%" + "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in match[0][1:])


def _one_line(text: str) -> str:
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())


def plain_text(body: str) -> str:
    """A rough, one-line text rendering of an HTML or text error page (scrub it first)."""
    return " ".join(_TAG.sub(" ", body).split())
