"""Which shared tokens the single flight hands out, and which answers it shares (no Redis:
these rules run before any Redis call; the store only builds its clients on first use)."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock
from pydantic import SecretStr

from ozon_mcp.adapters.sharing import (
    RedisTokenStore,
    SharedToken,
    SharedTokenEndpoint,
    TokenCipher,
)
from ozon_mcp.domain.errors import FailureKind
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.ports import FetchFailure, ScopeSet, TokenGrant, TokenResponse


class _NeverCalled:
    async def request_token(self, scopes: ScopeSet) -> TokenResponse:
        raise AssertionError("not called by these tests")


def _endpoint(clock: FakeClock, margin: float = 60.0) -> SharedTokenEndpoint:
    store = RedisTokenStore("redis://127.0.0.1:1/0", TokenCipher.plaintext(), clock=clock)
    return SharedTokenEndpoint(
        _NeverCalled(),
        store,
        token_url="https://idp.example/token",
        client_id="c",
        rules=LifetimeRules(refresh_margin=margin),
    )


def _shared(clock: FakeClock, remaining: float, lifetime: float = 1800.0) -> SharedToken:
    now = clock.now().timestamp()
    return SharedToken.issued(
        "raw",
        sent_wall=now + remaining - lifetime,
        lifetime=lifetime,
        refresh_after=lifetime - 60,
        issued_wall=now,
    )


@pytest.mark.parametrize(
    ("remaining", "handed_out"),
    [(1800, True), (66, True), (65, False), (60, False), (10, False), (-5, False)],
)
def test_a_shared_token_is_handed_out_only_above_margin_plus_slack(
    remaining: float, handed_out: bool
) -> None:
    clock = FakeClock()
    grant = _endpoint(clock)._fresh_grant(_shared(clock, remaining), clock.monotonic())
    assert (grant is not None) is handed_out
    if grant is not None:
        assert grant.expires_in == pytest.approx(remaining)
        assert grant.access_token.get_secret_value() == "raw"


def test_the_slack_shrinks_for_short_tokens_but_never_below_the_minimum_lifetime() -> None:
    clock = FakeClock()
    endpoint = _endpoint(clock, margin=1.0)
    # 4 s tokens: slack 0.4 s, so 1.5 s left is handed out, 1.3 s is not.
    assert endpoint._fresh_grant(_shared(clock, 1.5, lifetime=4), clock.monotonic()) is None
    assert endpoint._fresh_grant(_shared(clock, 2.1, lifetime=4), clock.monotonic()) is not None
    tiny = _endpoint(clock, margin=0.2)
    assert tiny._fresh_grant(_shared(clock, 1.9, lifetime=4), clock.monotonic()) is None


def test_time_spent_waiting_for_another_replica_is_not_counted_twice() -> None:
    clock = FakeClock()
    endpoint = _endpoint(clock)
    asked_at = clock.monotonic()
    clock.advance(3)  # waited 3 s for the lock holder
    grant = endpoint._fresh_grant(_shared(clock, 600), asked_at)
    assert grant is not None
    assert grant.expires_in == pytest.approx(597)  # the provider dates it from asked_at


def _grant(**changes: object) -> TokenGrant:
    fields: dict[str, object] = {
        "access_token": SecretStr("raw"),
        "token_type": "Bearer",
        "expires_in": 1800,
    }
    fields.update(changes)
    return TokenGrant(**fields)  # type: ignore[arg-type]


def test_only_answers_the_lifecycle_would_accept_are_shared() -> None:
    clock = FakeClock()
    endpoint = _endpoint(clock)
    sent = clock.now().timestamp()
    shared = endpoint._shareable(_grant(), sent)
    assert shared is not None
    assert shared.expires_wall == sent + 1800
    assert shared.refresh_after == 1740
    assert endpoint._shareable(_grant(expires_in=None), sent).lifetime == 1800  # default
    for rejected in (
        _grant(access_token=SecretStr(" ")),
        _grant(token_type="mac"),
        _grant(expires_in="soon"),
        _grant(expires_in=0),
        FetchFailure(FailureKind.TRANSIENT, "down"),
    ):
        assert endpoint._shareable(rejected, sent) is None
