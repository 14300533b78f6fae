"""The scrubber keeps the client secret out of server-provided text in every encoding."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus, unquote_plus

from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.auth.redaction import REDACTED, Scrubber, basic_credentials, form_encode

secrets = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=16, max_size=40
).filter(lambda s: len(set(s)) >= 4 and s.strip() == s)


@given(secret=secrets, before=st.text(max_size=300), after=st.text(max_size=300))
def test_the_secret_never_survives_scrubbing_in_any_encoding(
    secret: str, before: str, after: str
) -> None:
    scrub = Scrubber("client-id", secret)
    for encoded in (
        secret,
        quote_plus(secret, safe=""),
        quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        basic_credentials("client-id", secret),
    ):
        for limit in (30, 200):
            result = scrub(before + encoded + after, limit=limit)
            assert secret not in result
            assert encoded not in result


def test_text_is_put_on_one_line_and_trimmed() -> None:
    scrub = Scrubber("id", "the-secret-value")
    assert scrub("a\r\nb\tc\x00d   e") == "a b c d e"
    trimmed = scrub("x" * 500, limit=50)
    assert trimmed == "x" * 50 + "..."


def test_the_secret_is_replaced_by_a_marker() -> None:
    scrub = Scrubber("id", "s3cr3t-v@lue-1234")
    assert scrub("bad secret s3cr3t-v@lue-1234 given") == f"bad secret {REDACTED} given"
    assert "s3cr3t" not in repr(scrub)


@given(client_id=st.text(min_size=1, max_size=30), secret=st.text(min_size=1, max_size=30))
def test_basic_credentials_are_form_encoded_before_base64(client_id: str, secret: str) -> None:
    decoded = base64.b64decode(basic_credentials(client_id, secret)).decode("utf-8")
    encoded_id, _, encoded_secret = decoded.partition(":")
    assert ":" not in encoded_id
    assert unquote_plus(encoded_id) == client_id
    assert unquote_plus(encoded_secret) == secret


def test_form_encoding_matches_rfc_6749_appendix_b() -> None:
    assert form_encode("a b:c/d+e%f") == "a+b%3Ac%2Fd%2Be%25f"
