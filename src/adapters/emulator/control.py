"""`handle.control`: fault injection and observation for tests, safe to call from any thread."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import SecretStr

from .config import validate_daily_budget, validate_report_delay
from .faults import PLAIN, Delivery, OperationFault, RandomTokenFaults, ScriptedResponse
from .requestlog import RecordedRequest
from .state import EmulatorState


class EmulatorControl:
    """Changes a running emulator's behaviour and reports what it received.

    Every method takes effect for requests arriving after it returns. The HTTP endpoints under
    `/__emulator__/` call the same methods.
    """

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    # -- token endpoint -------------------------------------------------------------------
    def script_token_responses(self, responses: list[ScriptedResponse]) -> None:
        """Answer the next token requests with these responses, in order, then normally."""
        self._state.faults.script_token_responses(list(responses))

    def set_token_latency(self, seconds: float) -> None:
        """Delay every token answer by `seconds` (0 to stop)."""
        self._state.faults.set_token_latency(seconds)

    def set_expires_in(self, seconds: int) -> None:
        """The lifetime (and `expires_in`) of tokens issued from now on."""
        self._state.token_settings.set(seconds)

    def set_random_token_faults(self, faults: RandomTokenFaults | None) -> None:
        """Fail token requests at random (shares of 503, 429 and timeouts; None to stop).
        Scripted answers still come first."""
        self._state.faults.set_random_token_faults(faults)

    def random_token_faults_drawn(self) -> dict[str, int]:
        """How many random token faults of each kind ("503", "429", "timeout") were served."""
        return self._state.faults.random_faults_drawn()

    def set_client_secret(self, secret: str) -> None:
        """Accept `secret` (instead of the configured one) from now on; tokens already issued
        stay valid. `handle.config` and `handle.env()` keep showing the secret it started with."""
        self._state.config = replace(self._state.config, client_secret=SecretStr(secret))

    def revoke_all_tokens(self) -> int:
        """Revoke every token issued so far (API calls with them get 401); returns how many."""
        return self._state.tokens.revoke_all()

    def mint_token(self, expires_in: int | None = None) -> str:
        """Issue a valid token without a token request (for scripted bodies and direct calls)."""
        lifetime = self._state.token_settings.get() if expires_in is None else expires_in
        return self._state.tokens.issue(self._state.config.client_id, lifetime)

    def issued_tokens(self) -> list[str]:
        """Every raw token issued so far, so tests can assert none of them leaks anywhere."""
        return self._state.tokens.issued()

    # -- API operations -------------------------------------------------------------------
    @property
    def operation_ids(self) -> list[str]:
        """The operationIds the emulator routes (all operations of the spec)."""
        return sorted(self._state.index.by_id)

    def set_operation_fault(
        self,
        operation_id: str,
        status: int | None = 500,
        latency: float = 0.0,
        body: bytes | None = None,
        count: int | None = None,
        headers: Mapping[str, str] | None = None,
        drop_connection: bool = False,
        *,
        content_type: str = "application/json",
        delivery: Delivery = PLAIN,
        echo: bool = False,
    ) -> None:
        """Make authenticated calls of `operation_id` fail (`status`, `body`, `headers`), wait
        `latency` seconds first, or lose their connection; for `count` calls or until cleared.
        `delivery` compresses, trickles or cuts the body; `echo` reflects the request into it."""
        if operation_id not in self._state.index.by_id:
            close = difflib.get_close_matches(operation_id, self._state.index.by_id, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"unknown operationId {operation_id!r}{hint}")
        fault = OperationFault(
            status=status,
            latency=latency,
            body=body,
            headers=dict(headers or {}),
            count=count,
            drop_connection=drop_connection,
            content_type=content_type,
            delivery=delivery,
            echo=echo,
        )
        self._state.faults.set_operation_fault(operation_id, fault)

    def clear_faults(self) -> None:
        """Remove every fault: operation faults, scripted token answers, token latency and
        random token faults."""
        self._state.faults.clear()

    # -- time, reports, budget --------------------------------------------------------------
    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward: tokens expire, reports finish, days roll over."""
        self._state.clock.advance(seconds)

    def freeze_clock(self) -> None:
        """Stop the emulator's clock: only `advance_clock` moves it until `reset()`. For tests
        that drive the client's clock too, so both agree on every token's age exactly."""
        self._state.clock.freeze()

    def set_report_delay(self, seconds: float) -> None:
        """How long reports submitted from now on take to become OK."""
        validate_report_delay(seconds)
        self._state.reports.set_delay(seconds)

    def fail_next_reports(self, count: int = 1, message: str = "report generation failed") -> None:
        """Make the next `count` submitted reports end in state ERROR."""
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        self._state.reports.fail_next(count, message)

    def set_daily_budget(self, requests: int) -> None:
        """The daily request budget per account (calls already counted today stay counted)."""
        validate_daily_budget(requests)
        self._state.budget.set_limit(requests)

    def reset_daily_budget(self) -> None:
        """Forget the calls counted today."""
        self._state.budget.reset()

    def reset(self) -> None:
        """Back to the state right after start, as a fresh emulator on the same port: no
        faults, tokens, reports, counted calls or log entries; the configured token lifetime,
        report delay and budget; the clock at real time. Lets tests share one emulator."""
        self._state.reset()

    # -- observation ----------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """The request log, oldest first (the newest `request_log_size` requests)."""
        return self._state.log.entries()

    def clear_requests(self) -> None:
        """Empty the request log and reset the counters."""
        self._state.log.clear()

    @property
    def token_requests(self) -> int:
        """Requests received by the token endpoint."""
        return self._state.log.token_requests

    @property
    def api_calls(self) -> int:
        """Requests received by the spec's operations, whatever the answer."""
        return self._state.log.api_calls

    @property
    def in_flight(self) -> int:
        """Requests being handled right now (arrived, not yet answered)."""
        return self._state.log.in_flight

    @property
    def tokens_issued(self) -> int:
        """Token requests answered with a valid token."""
        return self._state.log.tokens_issued

    def stats(self) -> dict[str, Any]:
        """Counters and settings in one JSON-ready dict."""
        state = self._state
        return {
            "token_requests": state.log.token_requests,
            "api_calls": state.log.api_calls,
            "tokens_issued": state.log.tokens_issued,
            "expires_in": state.token_settings.get(),
            "token_latency": state.faults.token_latency,
            "pending_token_responses": state.faults.pending_token_responses(),
            "random_token_faults": state.faults.random_faults_drawn(),
            "operation_faults": sorted(state.faults.operation_faults()),
            "daily_budget": state.budget.limit,
            "budget_used": state.budget.snapshot(),
            "reports": state.reports.counts(),
            "clock_offset": state.clock.offset,
        }
