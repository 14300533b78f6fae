"""Counters of a token provider, readable in-process (the MCP `auth_status` tool, benchmarks)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ozon_mcp.domain.lifecycle import LifecycleSnapshot


@dataclass(frozen=True)
class ProviderStats:
    """A point-in-time view of a token provider; it never contains a token or a secret.

    `cache_hits` counts callers answered at once with the token in hand, `waits` callers that had
    to wait for a token request; `token_requests` counts requests sent to the token endpoint.
    """

    token_requests: int
    successes: int
    failures: int
    refreshes: int
    cache_hits: int
    waits: int
    invalidations: int
    ignored_invalidations: int
    state: str
    fingerprint: str | None
    seconds_to_expiry: float | None
    seconds_to_refresh: float | None
    last_error: str | None

    def as_dict(self) -> dict[str, object]:
        """The stats as a JSON-ready dict."""
        return asdict(self)

    def merged_with(self, other: ProviderStats) -> ProviderStats:
        """Counters summed; the token facts of whichever holds the longer-lived token."""
        mine = self.seconds_to_expiry or 0.0
        theirs = other.seconds_to_expiry or 0.0
        facts = self if mine >= theirs else other
        return ProviderStats(
            token_requests=self.token_requests + other.token_requests,
            successes=self.successes + other.successes,
            failures=self.failures + other.failures,
            refreshes=self.refreshes + other.refreshes,
            cache_hits=self.cache_hits + other.cache_hits,
            waits=self.waits + other.waits,
            invalidations=self.invalidations + other.invalidations,
            ignored_invalidations=self.ignored_invalidations + other.ignored_invalidations,
            state=facts.state,
            fingerprint=facts.fingerprint,
            seconds_to_expiry=facts.seconds_to_expiry,
            seconds_to_refresh=facts.seconds_to_refresh,
            last_error=self.last_error or other.last_error,
        )


# The `state` of a server none of whose exposed tools needs a client-credentials token.
TOKEN_NOT_USED = "not_used"  # noqa: S105 - a state name, not a secret


def token_not_used_stats() -> ProviderStats:
    """The stats of a server that requests no token at all (every exposed tool is open or uses
    a static credential): nothing requested, nothing failed, state `not_used`."""
    return ProviderStats(
        token_requests=0,
        successes=0,
        failures=0,
        refreshes=0,
        cache_hits=0,
        waits=0,
        invalidations=0,
        ignored_invalidations=0,
        state=TOKEN_NOT_USED,
        fingerprint=None,
        seconds_to_expiry=None,
        seconds_to_refresh=None,
        last_error=None,
    )


class AuthCounters:
    """The mutable counters behind `ProviderStats` (updated by one loop or under one lock)."""

    def __init__(self) -> None:
        self.token_requests = 0
        self.successes = 0
        self.failures = 0
        self.refreshes = 0
        self.cache_hits = 0
        self.waits = 0
        self.invalidations = 0
        self.ignored_invalidations = 0

    def stats(self, snapshot: LifecycleSnapshot) -> ProviderStats:
        """Freeze the counters together with the lifecycle's current facts."""
        return ProviderStats(
            token_requests=self.token_requests,
            successes=self.successes,
            failures=self.failures,
            refreshes=self.refreshes,
            cache_hits=self.cache_hits,
            waits=self.waits,
            invalidations=self.invalidations,
            ignored_invalidations=self.ignored_invalidations,
            state=snapshot.state.value,
            fingerprint=snapshot.fingerprint,
            seconds_to_expiry=snapshot.seconds_to_expiry,
            seconds_to_refresh=snapshot.seconds_to_refresh,
            last_error=snapshot.last_error,
        )
