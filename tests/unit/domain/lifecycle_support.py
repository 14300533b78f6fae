"""Shared helpers for the domain tests: a stub RNG, ready-made grants and failures, a fetch driver.

Kept in a plain module (not a conftest) so that tests import exactly what they use.
"""

from __future__ import annotations

import math

from fake_clock import FakeClock
from pydantic import SecretStr

from ozon_mcp.domain import (
    AccessToken,
    FailureKind,
    FetchFailure,
    LifetimeRules,
    RetryPolicy,
    StartFetch,
    TokenGrant,
    TokenLifecycle,
)

# The largest float below 1.0: what `random.random()` can return at most.
JUST_BELOW_ONE = math.nextafter(1.0, 0.0)


class StubRandom:
    """A `RandomSource` always returning `value`: 0.0 means no wait, JUST_BELOW_ONE a full one."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.calls = 0

    def random(self) -> float:
        self.calls += 1
        return self.value


def grant(
    raw_token: str = "secret-access-token-1",
    *,
    expires_in: object | None = 1800,
    token_type: str | None = "Bearer",
    jwt_exp: float | None = None,
) -> TokenGrant:
    """A token endpoint answer as the adapters would hand it to the lifecycle."""
    return TokenGrant(
        access_token=SecretStr(raw_token),
        token_type=token_type,
        expires_in=expires_in,
        jwt_exp=jwt_exp,
    )


def transient(
    *, retry_after: float | None = None, status: int | None = 503, reason: str = "HTTP 503"
) -> FetchFailure:
    """A retryable failure (5xx, timeout, 429...)."""
    return FetchFailure(FailureKind.TRANSIENT, reason, status=status, retry_after=retry_after)


def permanent(
    oauth_error: str | None = "invalid_client",
    *,
    status: int | None = 401,
    retry_after: float | None = None,
) -> FetchFailure:
    """A failure that retrying cannot fix (bad credentials, refused grant...)."""
    return FetchFailure(
        FailureKind.PERMANENT,
        f"the token endpoint answered {status} {oauth_error}",
        status=status,
        retry_after=retry_after,
        oauth_error=oauth_error,
    )


def new_lifecycle(
    *,
    rng_value: float = 0.5,
    rules: LifetimeRules | None = None,
    retry: RetryPolicy | None = None,
) -> tuple[TokenLifecycle, FakeClock]:
    """A lifecycle on a fake clock with a predictable RNG."""
    clock = FakeClock()
    return TokenLifecycle(clock, StubRandom(rng_value), rules=rules, retry=retry), clock


def acquire(
    lifecycle: TokenLifecycle, raw_token: str = "secret-access-token-1", expires_in: object = 1800
) -> AccessToken:
    """Run one caller-driven fetch to success and return the token it produced."""
    decision = lifecycle.need_token()
    assert isinstance(decision, StartFetch), decision
    outcome = lifecycle.token_received(decision.ticket, grant(raw_token, expires_in=expires_in))
    assert outcome.token is not None, outcome.error
    return outcome.token
