"""A token endpoint whose TLS certificate did not verify: not retried, remembered like a refusal,
and the error says what to fix, in each edge's names."""

from __future__ import annotations

from lifecycle_support import new_lifecycle

from ozon_mcp.domain import (
    PLAIN_NAMES,
    FailureKind,
    FetchFailure,
    LifecycleState,
    RetryScheduled,
    Setting,
    StartFetch,
    UntrustedEndpointError,
)

URL = "https://auth.example.com/oauth/token"
UNVERIFIED = FetchFailure(
    FailureKind.PERMANENT,
    f"the TLS certificate of the token endpoint {URL} did not verify "
    "(CERTIFICATE_VERIFY_FAILED: unable to get local issuer certificate)",
    certificate_unverified=True,
)


def test_it_is_not_retried_and_is_remembered_for_the_permanent_cool_down() -> None:
    lifecycle, clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)

    outcome = lifecycle.fetch_failed(decision.ticket, UNVERIFIED)

    assert not isinstance(outcome, RetryScheduled)
    assert outcome.cooldown == lifecycle.retry.permanent_cooldown == 30.0
    assert lifecycle.state is LifecycleState.FAILED
    error = outcome.error
    assert isinstance(error, UntrustedEndpointError)
    assert error.kind is FailureKind.PERMANENT
    assert error.attempts == 1
    clock.advance(29.0)
    assert not isinstance(lifecycle.need_token(), StartFetch)  # still answered from memory
    clock.advance(1.5)
    assert isinstance(lifecycle.need_token(), StartFetch)  # the cool-down is over


def test_the_message_names_the_url_and_how_to_trust_the_ca() -> None:
    lifecycle, _clock = new_lifecycle()
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch)
    error = lifecycle.fetch_failed(decision.ticket, UNVERIFIED).error
    assert error is not None
    server = error.worded({**PLAIN_NAMES, Setting.TOKEN_URL: "OAUTH_TOKEN_URL"}).message
    assert f"the TLS certificate of the token endpoint {URL} did not verify" in server
    assert "not retried" in server
    assert "check that OAUTH_TOKEN_URL names the right host" in server
    assert "SSL_CERT_FILE" in server
    assert "SSL_CERT_DIR" in server
    assert "check that token_url names" in error.summary(PLAIN_NAMES)  # the library's words
    assert "client_secret" not in server  # not a credentials problem
