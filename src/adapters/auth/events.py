"""Lifecycle events of a token provider: one log line each, plus the matching counters.

Logger `ozon_mcp.auth`. Each record carries `auth_event` (token_requested, token_acquired,
token_refreshed, refresh_scheduled, token_request_failed, token_permanent_failure,
token_invalidated, token_rejected_again, lifetime_warning, token_adopted, fetch_abandoned)
and structured fields in `extra`. Only fingerprints appear, never a token or the secret; cache
hits are only counted.
"""

from __future__ import annotations

import logging

from ozon_mcp.adapters.auth.stats import AuthCounters
from ozon_mcp.domain.clock import Clock
from ozon_mcp.domain.errors import PLAIN_NAMES, FailureKind, SettingNames
from ozon_mcp.domain.lifecycle import Acquired, FetchOutcome, FetchTicket, RetryScheduled
from ozon_mcp.domain.token import AccessToken

LOGGER_NAME = "ozon_mcp.auth"


class AuthEvents:
    """Turns what the provider did and what the lifecycle decided into log lines and counts."""

    def __init__(
        self,
        clock: Clock,
        counters: AuthCounters,
        logger: logging.Logger | None = None,
        *,
        names: SettingNames = PLAIN_NAMES,
    ) -> None:
        self._clock = clock
        self.names = names  # how this edge spells settings in messages
        self.counters = counters
        self._logger = logger or logging.getLogger(LOGGER_NAME)
        self._scheduled_for: str | None = None

    def fetch_started(self, ticket: FetchTicket) -> None:
        """A token request is being sent."""
        self.counters.token_requests += 1
        purpose = "refresh" if ticket.is_refresh else "new token"
        self._emit(
            logging.INFO,
            "token_requested",
            f"token requested ({purpose}, attempt {ticket.attempt})",
            attempt=ticket.attempt,
            refresh=ticket.is_refresh,
            fetch=ticket.number,
        )

    def fetch_settled(self, outcome: FetchOutcome, serving: AccessToken | None) -> None:
        """A token request finished; `serving` is the token callers get now, if any."""
        if isinstance(outcome, Acquired):
            self._succeeded(outcome)
        else:
            self._failed(outcome, serving)

    def fetch_abandoned(self, ticket: FetchTicket) -> None:
        """A token request was cancelled before it had a result (shutdown, loop gone)."""
        self._emit(
            logging.DEBUG,
            "fetch_abandoned",
            f"token request abandoned (attempt {ticket.attempt}): cancelled before an answer",
            attempt=ticket.attempt,
            fetch=ticket.number,
        )

    def refresh_scheduled(self, token: AccessToken) -> None:
        """The background refresher will renew `token` at its refresh time (logged once each)."""
        if self._scheduled_for == token.fingerprint:
            return
        self._scheduled_for = token.fingerprint
        refresh_in = max(0.0, token.refresh_at - self._clock.monotonic())
        self._emit(
            logging.DEBUG,
            "refresh_scheduled",
            f"refresh of {token.fingerprint} scheduled in {refresh_in:.1f} s",
            fingerprint=token.fingerprint,
            refresh_in=round(refresh_in, 3),
        )

    def invalidated(self, fingerprint: str, *, effective: bool, reason: str) -> None:
        """A resource server rejected a token; `effective` when it was the current one."""
        if not effective:
            self.counters.ignored_invalidations += 1
            return
        self.counters.invalidations += 1
        self._emit(
            logging.WARNING,
            "token_invalidated",
            f"token {fingerprint} invalidated: {reason}",
            fingerprint=fingerprint,
            reason=reason,
        )

    def adopted(self, token: AccessToken) -> None:
        """A token from the shared cache was taken over."""
        self._emit(
            logging.INFO,
            "token_adopted",
            f"token {token.fingerprint} taken from the token cache",
            fingerprint=token.fingerprint,
        )

    def cache_failed(self, operation: str, exc: BaseException) -> None:
        """The token cache failed; the provider carries on with the token in memory."""
        self._emit(
            logging.WARNING,
            "cache_error",
            f"token cache {operation} failed ({type(exc).__name__}); continuing without it",
            operation=operation,
        )

    # --- internals -----------------------------------------------------------------------------

    def _succeeded(self, outcome: Acquired) -> None:
        token = outcome.token
        self.counters.successes += 1
        now = self._clock.monotonic()
        expires_in = token.expires_at - now
        refresh_in = max(0.0, token.refresh_at - now)
        if outcome.lifetime.warning:
            self._emit(
                logging.WARNING,
                "lifetime_warning",
                f"token lifetime: {outcome.lifetime.warning}",
                fingerprint=token.fingerprint,
                lifetime_source=outcome.lifetime.source.value,
            )
        event, verb = "token_acquired", "acquired"
        if outcome.ticket.is_refresh:
            self.counters.refreshes += 1
            event, verb = "token_refreshed", "refreshed"
        self._emit(
            logging.INFO,
            event,
            f"token {verb}: {token.fingerprint}, expires in {expires_in:.0f} s, "
            f"refresh in {refresh_in:.0f} s",
            fingerprint=token.fingerprint,
            expires_in=round(expires_in, 3),
            refresh_in=round(refresh_in, 3),
            attempt=outcome.ticket.attempt,
        )

    def _failed(self, outcome: FetchOutcome, serving: AccessToken | None) -> None:
        assert not isinstance(outcome, Acquired)
        self.counters.failures += 1
        failure = outcome.failure
        kind, status = failure.kind, failure.status
        reason = outcome.error.worded(self.names).message
        delay = outcome.delay if isinstance(outcome, RetryScheduled) else None
        pause = None if isinstance(outcome, RetryScheduled) else outcome.cooldown
        fields: dict[str, object] = {
            "attempt": outcome.ticket.attempt,
            "kind": kind.value,
            "http_status": status,
            "delay": round(delay, 3) if delay is not None else None,
            "cooldown": round(pause, 3) if pause is not None else None,
        }
        still = ""
        if serving is not None:
            left = serving.expires_at - self._clock.monotonic()
            still = f"; still serving {serving.fingerprint} ({left:.0f} s left)"
            fields["fingerprint"] = serving.fingerprint
        where = f"HTTP {status}" if status is not None else "no HTTP answer"
        head = f"token request failed (attempt {outcome.ticket.attempt}, {kind.value}, {where})"
        if delay is not None:
            text = f"{head}: {reason}; next attempt in {delay:.2f} s{still}"
            self._emit(logging.WARNING, "token_request_failed", text, **fields)
        elif kind is FailureKind.PERMANENT:
            text = f"token request failed permanently: {reason}{still}"
            self._emit(logging.ERROR, "token_permanent_failure", text, **fields)
        else:
            text = f"{head}: {reason}; no new attempt for {pause or 0.0:.0f} s{still}"
            self._emit(logging.ERROR, "token_request_failed", text, **fields)

    def rejected_again(self, fingerprint: str, rejections: int, pause: float) -> None:
        """The API refused the token fetched to replace a refused one: replacing pauses."""
        self._emit(
            logging.ERROR,
            "token_rejected_again",
            f"token {fingerprint} was rejected by the API (HTTP 401) right after it replaced a "
            f"rejected token ({rejections} in a row): no new token for {pause:.0f} s; check "
            "that this client may use the API",
            fingerprint=fingerprint,
            rejections=rejections,
            pause=round(pause, 3),
        )

    def _emit(self, level: int, event: str, message: str, **fields: object) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, message, extra={"auth_event": event, **fields})
