"""Values of the domain: AccessToken secrecy, fingerprints, ScopeSet, CacheKey, errors, ports."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifecycle_support import acquire, grant, new_lifecycle
from pydantic import SecretStr

from ozon_mcp.domain import (
    AccessToken,
    CacheKey,
    ConfigurationError,
    FailureKind,
    InvalidCredentialsError,
    MalformedTokenResponseError,
    OzonMcpError,
    ScopeSet,
    StartFetch,
    TokenAcquisitionError,
    TokenEndpointUnavailableError,
    UseToken,
    token_fingerprint,
)

RAW = "eyJhbGciOiJIUzI1NiJ9.very-secret-payload.signature"


def make_token(raw: str = RAW) -> AccessToken:
    return AccessToken.create(
        raw,
        token_type="Bearer",
        obtained_at=100.0,
        lifetime=1800.0,
        refresh_after=1740.0,
        issued_wall=datetime(2026, 1, 1, tzinfo=UTC),
    )


# --- AccessToken ---------------------------------------------------------------------------------


def test_the_token_never_shows_in_repr_or_str() -> None:
    token = make_token()

    for text in (repr(token), str(token), f"{token}", f"{token!r}", repr([token])):
        assert RAW not in text
        assert "very-secret-payload" not in text
    assert str(token) == f"AccessToken({token.fingerprint})"


def test_the_token_is_kept_as_a_secret_str_and_read_only_on_purpose() -> None:
    token = make_token()

    assert isinstance(token.secret, SecretStr)
    assert RAW not in repr(token.secret)
    assert RAW not in str(token.secret)
    assert token.value == RAW
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.expires_at = 1e9  # type: ignore[misc]


def test_create_derives_the_monotonic_times_from_the_send_time() -> None:
    token = make_token()

    assert token.obtained_at == 100.0
    assert token.expires_at == 1900.0
    assert token.refresh_at == 1840.0
    assert token.lifetime == 1800.0
    assert token.token_type == "Bearer"


@pytest.mark.parametrize(
    ("now", "expired", "refresh_due"),
    [(100.0, False, False), (1839.9, False, False), (1840.0, False, True), (1900.0, True, True)],
)
def test_expiry_and_refresh_due_are_inclusive_at_their_instant(
    now: float, expired: bool, refresh_due: bool
) -> None:
    token = make_token()

    assert token.is_expired(now) is expired
    assert token.needs_refresh(now) is refresh_due


def test_decisions_and_outcomes_never_show_the_token() -> None:
    lifecycle, clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    answer = grant(RAW)
    outcome = lifecycle.token_received(decision.ticket, answer)
    clock.advance(1750)
    use = lifecycle.need_token()

    assert isinstance(use, UseToken)
    for text in (repr(answer), repr(outcome), repr(use), str(outcome), repr(lifecycle.snapshot())):
        assert RAW not in text


# --- fingerprints --------------------------------------------------------------------------------


def test_fingerprints_are_stable_short_and_not_the_token() -> None:
    fingerprint = token_fingerprint(RAW)

    assert fingerprint == token_fingerprint(RAW)
    assert fingerprint == make_token().fingerprint
    assert fingerprint.startswith("tok-")
    assert len(fingerprint) == 14
    assert all(c in "0123456789abcdef" for c in fingerprint[4:])
    assert RAW[:8] not in fingerprint


def test_a_known_fingerprint_does_not_change_between_releases() -> None:
    # Logs of different versions must stay comparable.
    assert token_fingerprint("abc") == "tok-ba7816bf8f"


@given(st.text(min_size=1), st.text(min_size=1))
def test_different_tokens_get_different_fingerprints(first: str, second: str) -> None:
    if first != second:
        assert token_fingerprint(first) != token_fingerprint(second)


def test_a_non_ascii_token_gets_a_fingerprint() -> None:
    assert token_fingerprint("токен-✓").startswith("tok-")


# --- ScopeSet and CacheKey -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scopes"),
    [
        (None, frozenset()),
        ("", frozenset()),
        ("read", frozenset({"read"})),
        ("read write", frozenset({"read", "write"})),
        ("write,read", frozenset({"read", "write"})),
        (" read ,, write  read ", frozenset({"read", "write"})),
    ],
)
def test_scopes_are_parsed_from_spaces_or_commas(text: str | None, scopes: frozenset[str]) -> None:
    assert ScopeSet.parse(text).scopes == scopes


def test_the_scope_parameter_is_sorted_and_absent_when_empty() -> None:
    assert ScopeSet.parse("write read").as_parameter() == "read write"
    assert ScopeSet.parse("read,write") == ScopeSet.parse("write read")
    assert ScopeSet().as_parameter() is None


def test_cache_keys_are_stable_opaque_and_ignore_scope_order() -> None:
    key = CacheKey("https://idp/token", "client-1", ScopeSet.parse("a b"))

    assert key.digest == CacheKey("https://idp/token", "client-1", ScopeSet.parse("b,a")).digest
    assert len(key.digest) == 32
    assert "client-1" not in key.digest
    assert key == CacheKey("https://idp/token", "client-1", ScopeSet.parse("b a"))
    assert hash(key) == hash(CacheKey("https://idp/token", "client-1", ScopeSet.parse("a b")))


@pytest.mark.parametrize(
    "other",
    [
        CacheKey("https://idp/token", "client-2"),
        CacheKey("https://other/token", "client-1"),
        CacheKey("https://idp/token", "client-1", ScopeSet.parse("read")),
    ],
)
def test_a_different_client_url_or_scope_set_gets_another_key(other: CacheKey) -> None:
    assert CacheKey("https://idp/token", "client-1").digest != other.digest


def test_fields_cannot_bleed_into_each_other_in_the_cache_key() -> None:
    assert CacheKey("a\nb", "c").digest != CacheKey("a", "b\nc").digest
    assert CacheKey("u", "c\nx").digest != CacheKey("u", "c", ScopeSet.parse("x")).digest


@given(
    st.tuples(st.text(), st.text(), st.frozensets(st.text(min_size=1).filter(str.split))),
    st.tuples(st.text(), st.text(), st.frozensets(st.text(min_size=1).filter(str.split))),
)
def test_distinct_cache_keys_never_share_a_digest(
    first: tuple[str, str, frozenset[str]], second: tuple[str, str, frozenset[str]]
) -> None:
    one = CacheKey(first[0], first[1], ScopeSet(first[2]))
    two = CacheKey(second[0], second[1], ScopeSet(second[2]))
    same = (one.token_url, one.client_id, one.scopes.as_parameter()) == (
        two.token_url,
        two.client_id,
        two.scopes.as_parameter(),
    )

    assert (one.digest == two.digest) == same


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_type", "kind"),
    [
        (TokenEndpointUnavailableError, FailureKind.TRANSIENT),
        (InvalidCredentialsError, FailureKind.PERMANENT),
        (MalformedTokenResponseError, FailureKind.MALFORMED),
    ],
)
def test_each_acquisition_error_knows_how_it_is_treated(
    error_type: type[TokenAcquisitionError], kind: FailureKind
) -> None:
    error = error_type("the message", status=503, attempts=2)

    assert error.kind is kind
    assert isinstance(error, TokenAcquisitionError)
    assert isinstance(error, OzonMcpError)
    assert str(error) == error.message
    assert error.message.count("the message") == 1
    assert error.reason == "the message"
    assert error.status == 503
    assert error.attempts == 2


def test_configuration_errors_belong_to_the_same_family() -> None:
    assert issubclass(ConfigurationError, OzonMcpError)
    assert not issubclass(ConfigurationError, TokenAcquisitionError)


def test_an_acquisition_error_defaults_to_one_attempt_without_status() -> None:
    error = TokenAcquisitionError("x")

    assert error.attempts == 1
    assert error.status is None
    assert error.kind is FailureKind.TRANSIENT


def test_error_messages_never_contain_the_token() -> None:
    lifecycle, clock = new_lifecycle()
    acquire(lifecycle, RAW, expires_in=60)
    clock.advance(31)
    use = lifecycle.need_token()
    assert isinstance(use, UseToken)
    assert use.refresh is not None

    outcome = lifecycle.token_received(use.refresh, grant(RAW + "-2", token_type="MAC"))

    assert outcome.error is not None
    assert "only Bearer" in outcome.error.message
    assert RAW not in outcome.error.message
    assert RAW not in repr(outcome)
    assert lifecycle.snapshot().last_error == outcome.error.message
