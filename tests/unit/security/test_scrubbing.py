"""The one scrubber: no encoding of a secret or of a recent token survives it."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from ozon_mcp.adapters.auth.redaction import RECENT_SECRETS, REDACTED, Scrubber
from ozon_mcp.adapters.auth.token_response import RawTokenResponse, classify_token_response
from ozon_mcp.adapters.openapi import render_response
from ozon_mcp.domain.ports import FetchFailure

# Secrets with the characters encoders treat specially, plus any printable unicode.
hostile_secrets = st.text(
    alphabet=st.one_of(
        st.sampled_from("\"'%&=</>\\+ é中😀;:#?"),
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    ),
    min_size=8,
    max_size=32,
).filter(
    # A secret that is part of the marker itself ("REDACTED") cannot be told from the marker.
    lambda s: s.strip() == s and len(set(s)) >= 4 and s not in "[REDACTED]"
)


def lower_percent(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "percent": lambda s: quote(s, safe=""),
    "percent lower-case": lambda s: lower_percent(quote(s, safe="")),
    "form": lambda s: quote_plus(s, safe=""),
    "form lower-case": lambda s: lower_percent(quote_plus(s, safe="")),
    "url path": lambda s: quote(s),
    "json": lambda s: json.dumps(s)[1:-1],
    "json unicode": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "json slash-escaped": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
    "html": lambda s: html.escape(s),
    "html no quotes": lambda s: html.escape(s, quote=False),
    "html &#39;": lambda s: html.escape(s).replace("&#x27;", "&#39;"),
    "base64": b64,
    "base64 unpadded": lambda s: b64(s).rstrip("="),
    "base64 url-safe": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
}


@settings(max_examples=150)
@given(
    secret=hostile_secrets,
    encoding=st.sampled_from(sorted(ENCODINGS)),
    before=st.text(max_size=40),
    after=st.text(max_size=40),
)
def test_no_encoding_of_the_secret_survives(
    secret: str, encoding: str, before: str, after: str
) -> None:
    scrubber = Scrubber("client-id", secret)
    encoded = ENCODINGS[encoding](secret)
    redacted = scrubber.redact(before + encoded + after)
    assert encoded not in redacted
    assert secret not in redacted
    shown = scrubber(before + encoded + after, limit=500)
    assert encoded not in shown
    assert secret not in shown


@settings(max_examples=60)
@given(tokens=st.lists(hostile_secrets, min_size=2, max_size=4, unique=True))
def test_recently_replaced_tokens_stay_hidden(tokens: list[str]) -> None:
    scrubber = Scrubber("id", "the-client-secret")
    for token in tokens:
        scrubber.remember(token)
    text = " ".join(quote(token, safe="") + " " + token for token in tokens)
    redacted = scrubber.redact(text)
    for token in tokens:
        assert token not in redacted
        assert quote(token, safe="") not in redacted


def test_the_set_of_recent_tokens_is_bounded_and_the_secret_is_kept() -> None:
    scrubber = Scrubber("id", "the-client-secret")
    tokens = [f"token-number-{i:03d}" for i in range(RECENT_SECRETS + 5)]
    for token in tokens:
        scrubber.remember(token)
    redacted = scrubber.redact(" ".join(tokens) + " the-client-secret")
    assert redacted.split(" ")[:5] == tokens[:5]  # the oldest were forgotten
    assert redacted.split(" ")[5:] == [REDACTED] * (RECENT_SECRETS + 1)


def test_zip_member_names_are_scrubbed() -> None:
    secret = "s3cr3t/v@lue"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"report-{secret}.csv", "a;b\n1;2\n")
        archive.writestr(f"{quote(secret, safe='')}.bin", b"\x00")
    rendered = render_response(
        200, "application/zip", buffer.getvalue(), operation="Report", secrets=[secret]
    )
    assert secret not in rendered.text
    assert quote(secret, safe="") not in rendered.text
    assert f"report-{REDACTED}.csv" in rendered.text


SPLIT_BY_A_TAG = "abcdef<b>ghijkl</b>mnopqr"


def test_an_html_error_page_is_scrubbed_before_its_tags_are_stripped() -> None:
    page = f"<html><body><p>bad client {SPLIT_BY_A_TAG}</p></body></html>".encode()
    rendered = render_response(
        401, "text/html", page, operation="GetThing", secrets=[SPLIT_BY_A_TAG]
    )
    for piece in ("abcdef", "ghijkl", "mnopqr"):
        assert piece not in rendered.text


def test_a_token_endpoint_html_page_is_scrubbed_before_its_tags_are_stripped() -> None:
    scrubber = Scrubber("id", SPLIT_BY_A_TAG)
    page = f"<html><body>secret was {html.escape(SPLIT_BY_A_TAG)} or {SPLIT_BY_A_TAG}</body>"
    raw = RawTokenResponse(500, {"Content-Type": "text/html"}, page.encode(), False)
    result = classify_token_response(raw, scrub=scrubber, wall_now=datetime.now(UTC))
    assert isinstance(result, FetchFailure)
    for piece in ("abcdef", "ghijkl", "mnopqr"):
        assert piece not in result.reason
    assert REDACTED in result.reason
