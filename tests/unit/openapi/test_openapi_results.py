"""Rendering upstream answers as tool results."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.openapi import RenderedResult, render_response, scrub

JSON = "application/json"


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_json_object_is_structured_content_plus_compact_text() -> None:
    body = json.dumps({"list": [{"id": "1", "title": "Кампания"}], "total": "1"}).encode()
    assert render_response(200, JSON, body, operation="ListCampaigns") == RenderedResult(
        text='{"list":[{"id":"1","title":"Кампания"}],"total":"1"}',
        structured={"list": [{"id": "1", "title": "Кампания"}], "total": "1"},
        is_error=False,
    )


@pytest.mark.parametrize(
    ("body", "structured"),
    [(b"[1, 2]", {"result": [1, 2]}), (b'"ok"', {"result": "ok"}), (b"null", {"result": None})],
)
def test_a_json_root_that_is_not_an_object_is_wrapped(body: bytes, structured: object) -> None:
    result = render_response(200, "application/problem+json", body, operation="X")
    assert result.structured == structured
    assert result.text == json.dumps(json.loads(body), separators=(",", ":"))
    assert result.is_error is False


def test_csv_is_text_only() -> None:
    csv = "sku;Показы\n1;10\n".encode("cp1251")
    result = render_response(200, "text/csv; charset=windows-1251", csv, operation="Download")
    assert result == RenderedResult("sku;Показы\n1;10\n", None, False)


def test_json_that_does_not_parse_is_shown_as_text() -> None:
    result = render_response(200, JSON, b"{broken", operation="X")
    assert result == RenderedResult("{broken", None, False)


def test_missing_content_type_is_sniffed() -> None:
    assert render_response(200, None, b'{"a": 1}', operation="X").structured == {"a": 1}
    assert render_response(200, None, b"plain words", operation="X") == RenderedResult(
        "plain words", None, False
    )
    assert render_response(200, None, b"\x00\x01\xff", operation="X") == RenderedResult(
        "X returned 3 bytes of an unknown type (binary content, not shown).", None, False
    )


def test_other_binary_content_is_described() -> None:
    result = render_response(200, "application/pdf", b"%PDF" + bytes(96), operation="Report")
    assert result == RenderedResult(
        "Report returned 100 bytes of application/pdf (binary content, not shown).", None, False
    )


def test_an_empty_success_says_so() -> None:
    assert render_response(204, None, b"", operation="Delete") == RenderedResult(
        "Delete succeeded (HTTP 204) with an empty response body.", None, False
    )


def test_a_zip_of_csv_reports_is_unpacked_as_text() -> None:
    body = zipped({"11.csv": b"a;b\n1;2\n", "12.csv": b"a;b\n3;4\n", "logo.png": b"\x89PNG"})
    result = render_response(200, "application/zip", body, operation="Download")
    assert result == RenderedResult(
        f"ZIP archive of {len(body)} bytes with 3 files: 11.csv (8 bytes), 12.csv (8 bytes), "
        "logo.png (4 bytes)\n\n=== 11.csv ===\na;b\n1;2\n\n\n=== 12.csv ===\na;b\n3;4\n",
        None,
        False,
    )


def test_a_zip_bomb_is_read_only_up_to_the_limit() -> None:
    body = zipped({"big.csv": b"x" * 5_000_000, "more.csv": b"y"})
    assert len(body) < 20_000
    result = render_response(200, "application/zip", body, limit_bytes=1000, operation="D")
    head, _, rest = result.text.partition("=== big.csv ===\n")
    assert head.startswith("ZIP archive")
    # The listing and the heading count against the limit too.
    shown = len(rest) - len(rest.lstrip("x"))
    assert 400 < shown < 1000
    assert rest[shown:].startswith(f"\n\n[truncated: showing the first {shown} of about 5000000")
    assert rest.endswith("=== 1 more text files not shown: the size limit was reached ===")
    assert len(result.text.encode()) <= 1000 + 300


def test_a_broken_zip_is_described() -> None:
    result = render_response(200, "application/zip", b"PK\x03\x04junk", operation="D")
    assert result.text == "D returned 8 bytes of application/zip (binary content, not shown)."


def test_indented_json_that_fits_once_compacted_keeps_its_structured_content() -> None:
    data = {"rows": [{"id": i, "name": "n"} for i in range(40)]}
    compact = json.dumps(data, separators=(",", ":"))
    pretty = json.dumps(data, indent=2)
    limit = len(compact) + 10
    assert len(pretty) > limit
    result = render_response(200, JSON, pretty.encode(), limit_bytes=limit, operation="X")
    assert result == RenderedResult(compact, data, False)


def test_over_the_limit_json_is_truncated_without_structured_content() -> None:
    data = {"rows": ["x" * 50 for _ in range(100)]}
    compact = json.dumps(data, separators=(",", ":"))
    result = render_response(200, JSON, json.dumps(data).encode(), limit_bytes=1000, operation="X")
    assert result.structured is None
    assert result.is_error is False
    assert result.text == (
        compact[:1000] + f"\n\n[truncated: showing the first 1000 of {len(compact)} bytes, "
        f"{len(compact) - 1000} bytes cut; ask for less (filters, paging, a shorter period) to "
        "see the rest]"
    )


def test_truncation_never_splits_a_character() -> None:
    text = "ж" * 600  # 1200 bytes in UTF-8
    result = render_response(200, "text/plain", text.encode(), limit_bytes=1001, operation="X")
    shown, _, note = result.text.partition("\n\n[truncated: ")
    assert shown == "ж" * 500
    assert note.startswith("showing the first 1000 of 1200 bytes, 200 bytes cut")


def test_the_default_limit_is_100_kb() -> None:
    body = b"a" * 100_000
    assert render_response(200, "text/plain", body, operation="X").text == body.decode()
    cut = render_response(200, "text/plain", body + b"b", operation="X").text
    assert cut.startswith("a" * 100_000 + "\n\n[truncated: showing the first 100000 of 100001")


def test_ozon_error_body_is_reported_with_the_status() -> None:
    body = json.dumps({"error": "кампания не найдена"}).encode()
    assert render_response(404, JSON, body, operation="GetCampaign") == RenderedResult(
        "HTTP 404 from GetCampaign: кампания не найдена (not found; check the identifiers in "
        "the arguments)",
        None,
        True,
    )


@pytest.mark.parametrize(
    ("status", "body", "text"),
    [
        (
            400,
            {"code": 3, "message": "invalid campaign id", "details": []},
            "HTTP 400 from Op: invalid campaign id (code 3)",
        ),
        (
            401,
            {"error": "invalid_token", "error_description": "token expired"},
            "HTTP 401 from Op: token expired (code invalid_token) (the API refused the access "
            "token; check the client credentials)",
        ),
        (
            422,
            {"name": "UNPROCESSABLE", "message": "bad url", "details": [{"field": "url"}]},
            'HTTP 422 from Op: bad url (code UNPROCESSABLE); details: [{"field": "url"}]',
        ),
        (
            403,
            {"error": {"code": 7, "message": "denied"}},
            "HTTP 403 from Op: denied (code 7) (the client is not allowed to do this; check its "
            "permissions)",
        ),
        (409, {"unexpected": True}, 'HTTP 409 from Op: {"unexpected": true}'),
        (
            429,
            {"message": "slow down"},
            "HTTP 429 from Op: slow down (rate limit reached; wait before calling again)",
        ),
    ],
)
def test_error_messages_keep_the_upstream_facts(status: int, body: object, text: str) -> None:
    result = render_response(status, JSON, json.dumps(body).encode(), operation="Op")
    assert result == RenderedResult(text, None, True)


def test_non_json_errors() -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    assert render_response(502, "text/html", html, operation="Op").text == (
        "HTTP 502 from Op: 502 Bad Gateway (the upstream service failed; calling again later "
        "may help)"
    )
    assert render_response(500, None, b"", operation="Op").text == (
        "HTTP 500 from Op (empty body) (the upstream service failed; calling again later may help)"
    )
    assert render_response(418, "text/plain", b"  I'm\n a teapot ", operation="Op").text == (
        "HTTP 418 from Op: I'm a teapot"
    )
    assert render_response(400, "application/octet-stream", b"\x00" * 9, operation="Op").text == (
        "HTTP 400 from Op: 9 bytes of application/octet-stream"
    )
    redirect = render_response(302, None, b"", operation="Op")
    assert redirect == RenderedResult("HTTP 302 from Op (empty body)", None, True)


def test_long_error_messages_are_trimmed() -> None:
    body = json.dumps({"message": "word " * 300}).encode()
    result = render_response(400, JSON, body, operation="Op")
    message = result.text.removeprefix("HTTP 400 from Op: ")
    assert len(message) <= 500
    assert message.endswith("word…")


def test_secrets_never_appear_in_any_result() -> None:
    secret = "s3cr/et+key"
    body = json.dumps(
        {"echo": f"client_secret={secret}", "url": "https://x/?s=s3cr%2Fet%2Bkey", secret: 1}
    ).encode()
    ok = render_response(200, JSON, body, operation="X", secrets=[secret, ""])
    assert secret not in ok.text
    assert "s3cr%2Fet%2Bkey" not in ok.text
    assert ok.structured == {
        "echo": "client_secret=[REDACTED]",
        "url": "https://x/?s=[REDACTED]",
        "[REDACTED]": 1,
    }
    error = render_response(
        401, JSON, json.dumps({"error": secret}).encode(), operation="X", secrets=[secret]
    )
    assert error.text.startswith("HTTP 401 from X: [REDACTED]")
    text = render_response(
        200, "text/plain", f"a {secret} b".encode(), operation="X", secrets=[secret]
    )
    assert text.text == "a [REDACTED] b"


def test_a_secret_at_the_cut_is_scrubbed_before_the_cut() -> None:
    body = ("a" * 95 + "TOKEN123456").encode()
    result = render_response(
        200, "text/plain", body, limit_bytes=100, operation="X", secrets=["TOKEN123456"]
    )
    assert "TOKE" not in result.text
    assert result.text.startswith("a" * 95 + "[REDA")


def test_scrub_replaces_every_form_of_each_secret() -> None:
    assert scrub('id "tok\\"en" tok"en tok%22en', ['tok"en']) == (
        'id "[REDACTED]" [REDACTED] [REDACTED]'
    )
    assert scrub("nothing here", []) == "nothing here"
    assert scrub("abcabc", ["abc", "abcabc"]) == "[REDACTED]"


# Secrets without upper-case letters or brackets: a string made of the marker's own
# characters could be re-formed by the marker and its neighbours, which says nothing of a leak.
SECRETS = st.text(
    alphabet=st.characters(exclude_characters="[]", exclude_categories=("Lu", "Cs")),
    min_size=4,
    max_size=20,
)


@given(secret=SECRETS, before=st.text(max_size=30), after=st.text(max_size=30))
def test_scrub_removes_any_secret_from_any_text(secret: str, before: str, after: str) -> None:
    cleaned = scrub(before + secret + after + secret, [secret])
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit_bytes must be positive"):
        render_response(200, JSON, b"{}", limit_bytes=0, operation="X")
