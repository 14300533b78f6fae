"""Reading `exp` from a JWT access token without verifying it."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.auth import read_jwt_exp


def _segment(document: object) -> str:
    raw = json.dumps(document).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _jwt(payload: object) -> str:
    return f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment(payload)}.c2lnbmF0dXJl"


@given(st.integers(min_value=0, max_value=2**40) | st.floats(0, 2e10, allow_nan=False))
def test_the_exp_claim_of_a_jwt_is_read(exp: float) -> None:
    assert read_jwt_exp(_jwt({"sub": "client", "exp": exp})) == float(exp)


@given(st.text(max_size=60))
def test_arbitrary_text_is_never_an_error(text: str) -> None:
    result = read_jwt_exp(text)
    assert result is None or isinstance(result, float)


def test_opaque_tokens_have_no_exp() -> None:
    assert read_jwt_exp("8d2e1f0c6b5a4e3d9c8b7a6f5e4d3c2b") is None
    assert read_jwt_exp("a.b") is None
    assert read_jwt_exp("a.b.c.d") is None


def test_a_jwt_without_a_usable_exp_has_none() -> None:
    assert read_jwt_exp(_jwt({"sub": "client"})) is None
    assert read_jwt_exp(_jwt({"exp": "1700000000"})) is None
    assert read_jwt_exp(_jwt({"exp": True})) is None
    assert read_jwt_exp(_jwt({"exp": 10**400})) is None
    assert read_jwt_exp(_jwt(["exp", 1])) is None


def test_a_payload_that_is_not_base64_json_has_no_exp() -> None:
    assert read_jwt_exp("header.!!!notbase64!!!.signature") is None
    not_json = base64.urlsafe_b64encode(b"\xff\xfe garbage").decode().rstrip("=")
    assert read_jwt_exp(f"header.{not_json}.signature") is None


def test_an_absurdly_long_token_is_not_decoded() -> None:
    huge = _jwt({"exp": 1, "pad": "x" * 20_000})
    assert read_jwt_exp(huge) is None
