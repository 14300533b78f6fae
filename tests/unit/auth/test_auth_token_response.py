"""Classifying token endpoint answers for the domain, and keeping secrets out of reasons."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.adapters.auth.token_response import RawTokenResponse, classify_token_response
from ozon_mcp.domain.errors import FailureKind
from ozon_mcp.domain.ports import FetchFailure, TokenGrant, TokenResponse

SECRET = "a-very-secret-client-secret-42"
TOKEN = "issued-access-token-0123456789abcdef"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SCRUB = Scrubber("client", SECRET)


def _classify(
    status: int,
    body: bytes | str | dict[str, object] = b"",
    headers: dict[str, str] | None = None,
    *,
    truncated: bool = False,
) -> TokenResponse:
    if isinstance(body, dict):
        body = json.dumps(body)
        headers = {"Content-Type": "application/json", **(headers or {})}
    if isinstance(body, str):
        body = body.encode("utf-8")
    raw = RawTokenResponse(status, headers or {}, body, truncated)
    return classify_token_response(raw, scrub=SCRUB, wall_now=NOW)


def _failure(response: TokenResponse) -> FetchFailure:
    assert isinstance(response, FetchFailure)
    return response


def test_a_token_answer_becomes_a_grant_with_raw_fields_passed_on() -> None:
    response = _classify(
        200, {"access_token": TOKEN, "expires_in": "1800.0", "token_type": "bearer", "scope": "a"}
    )
    assert isinstance(response, TokenGrant)
    assert response.access_token.get_secret_value() == TOKEN
    assert response.expires_in == "1800.0"  # validated by the domain, not here
    assert response.token_type == "bearer"
    assert response.scope == "a"
    assert response.jwt_exp is None
    assert TOKEN not in repr(response)


def test_missing_or_null_expires_in_and_odd_token_types_are_left_to_the_domain() -> None:
    for document in ({"access_token": TOKEN}, {"access_token": TOKEN, "expires_in": None}):
        response = _classify(200, document)
        assert isinstance(response, TokenGrant)
        assert response.expires_in is None
    mac = _classify(200, {"access_token": TOKEN, "token_type": "mac"})
    assert isinstance(mac, TokenGrant)
    assert mac.token_type == "mac"


def test_the_exp_of_a_jwt_access_token_is_passed_on() -> None:
    payload = base64.urlsafe_b64encode(b'{"exp": 1767229200}').decode().rstrip("=")
    response = _classify(200, {"access_token": f"eyJhbGciOiJub25lIn0.{payload}.sig"})
    assert isinstance(response, TokenGrant)
    assert response.jwt_exp == 1767229200.0


def test_a_scope_that_is_not_text_is_ignored() -> None:
    response = _classify(200, {"access_token": TOKEN, "scope": ["a", "b"]})
    assert isinstance(response, TokenGrant)
    assert response.scope is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("<html><body>Welcome to the portal</body></html>", "no JSON"),
        ("[1, 2]", "not an object"),
        ({"token": TOKEN, "expires_in": 60}, "without a usable access_token"),
        ({"access_token": 12345}, "without a usable access_token"),
        ({"access_token": TOKEN, "token_type": 7}, "token_type is not a string"),
    ],
)
def test_a_2xx_without_a_usable_token_is_malformed(
    body: str | dict[str, object], fragment: str
) -> None:
    failure = _failure(_classify(200, body, {"Content-Type": "text/html"}))
    assert failure.kind is FailureKind.MALFORMED
    assert fragment in failure.reason
    assert failure.status == 200
    assert TOKEN not in failure.reason


def test_a_2xx_larger_than_the_cap_is_malformed() -> None:
    failure = _failure(_classify(200, b"{" * 100, truncated=True))
    assert failure.kind is FailureKind.MALFORMED
    assert "larger than" in failure.reason


def test_an_oauth_error_inside_a_2xx_is_classified_like_an_error_answer() -> None:
    failure = _failure(_classify(200, {"error": "invalid_client"}))
    assert failure.kind is FailureKind.PERMANENT
    assert failure.oauth_error == "invalid_client"
    busy = _failure(_classify(200, {"error": "temporarily_unavailable"}))
    assert busy.kind is FailureKind.TRANSIENT


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_overload_and_server_errors_are_transient_with_retry_after(status: int) -> None:
    failure = _failure(_classify(status, "busy", {"retry-after": "7"}))
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.status == status
    assert failure.retry_after == 7.0
    assert f"HTTP {status}" in failure.reason


def test_an_http_date_retry_after_is_converted_to_seconds() -> None:
    failure = _failure(_classify(503, "", {"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"}))
    assert failure.retry_after == 30.0


@pytest.mark.parametrize("status", [400, 401, 403])
def test_refused_credentials_are_permanent_and_name_the_oauth_error(status: int) -> None:
    failure = _failure(
        _classify(status, {"error": "invalid_client", "error_description": "unknown client"})
    )
    assert failure.kind is FailureKind.PERMANENT
    assert failure.oauth_error == "invalid_client"
    assert "invalid_client" in failure.reason
    assert "unknown client" in failure.reason


def test_a_400_saying_temporarily_unavailable_is_transient() -> None:
    failure = _failure(_classify(400, {"error": "temporarily_unavailable"}))
    assert failure.kind is FailureKind.TRANSIENT


def test_an_oauth_error_code_with_odd_characters_is_not_passed_as_a_code() -> None:
    failure = _failure(_classify(400, {"error": "bad code\nwith newline"}))
    assert failure.oauth_error is None
    assert "\n" not in failure.reason


def test_a_redirect_is_never_followed_and_points_at_the_token_url_setting() -> None:
    failure = _failure(_classify(302, "", {"Location": "https://elsewhere.example/token"}))
    assert failure.kind is FailureKind.MALFORMED
    assert "redirect to https://elsewhere.example/token" in failure.reason
    assert "never sent to another URL" in failure.reason


@pytest.mark.parametrize("status", [404, 405, 410])
def test_other_4xx_without_an_oauth_error_mean_a_wrong_url(status: int) -> None:
    failure = _failure(_classify(status, "<h1>Not Found</h1>", {"Content-Type": "text/html"}))
    assert failure.kind is FailureKind.MALFORMED
    assert "Not Found" in failure.reason
    assert "<h1>" not in failure.reason


def test_other_4xx_with_an_oauth_error_are_permanent() -> None:
    failure = _failure(_classify(404, {"error": "invalid_request"}))
    assert failure.kind is FailureKind.PERMANENT


def test_an_informational_status_is_not_a_token_answer() -> None:
    assert _failure(_classify(101, "")).kind is FailureKind.MALFORMED


error_statuses = st.sampled_from([200, 302, 400, 401, 403, 404, 429, 500, 503])
surroundings = st.text(max_size=200)


@given(status=error_statuses, before=surroundings, after=surroundings, as_json=st.booleans())
def test_an_error_body_echoing_the_secret_never_puts_it_in_the_reason(
    status: int, before: str, after: str, as_json: bool
) -> None:
    echoed = f"{before}{SECRET}{after}"
    body: str | dict[str, object] = (
        {"error": "invalid_client", "error_description": echoed} if as_json else echoed
    )
    response = _classify(status, body, {"Location": echoed})
    failure = _failure(response)
    assert SECRET not in failure.reason
    assert len(failure.reason) < 600


@given(document=st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=6))
def test_a_2xx_body_is_never_quoted_in_a_reason(document: dict[str, str]) -> None:
    document = {**document, "token_type": 5, "access_token": TOKEN}  # type: ignore[dict-item]
    failure = _failure(_classify(200, document))
    assert TOKEN not in failure.reason
