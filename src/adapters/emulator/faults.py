"""Fault injection: scripted token responses, token latency and per-operation faults."""

from __future__ import annotations

import json as jsonlib
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


def _check_status(status: int) -> None:
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code between 100 and 599, got {status!r}")


def _check_latency(seconds: float) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError(f"latency must be a number of seconds >= 0, got {seconds!r}")


@dataclass(frozen=True)
class ScriptedResponse:
    """One answer the token endpoint gives instead of its normal one.

    Give `json` (serialized for you) or raw `body` bytes (anything, even malformed), or set
    `drop_connection` to close the connection without answering. With `mint_access_token` the
    emulator puts a freshly issued, valid token into `json["access_token"]` when it answers, so a
    test can send odd companions (`"expires_in": "1800.0"`) around a token that really works.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    json: Any = None
    content_type: str | None = None
    drop_connection: bool = False
    mint_access_token: bool = False

    def __post_init__(self) -> None:
        _check_status(self.status)
        if self.body is not None and self.json is not None:
            raise ValueError("give either body (raw bytes) or json, not both")
        if self.mint_access_token and not isinstance(self.json, dict):
            raise ValueError("mint_access_token needs a json object to put the token into")

    def render(self, minted_token: str | None = None) -> tuple[bytes, str]:
        """The body bytes and content type to send."""
        if self.json is not None:
            document = self.json
            if minted_token is not None and isinstance(document, dict):
                document = {**document, "access_token": minted_token}
            data = jsonlib.dumps(document).encode("utf-8")
            return data, self.content_type or "application/json"
        return self.body or b"", self.content_type or "application/json"


@dataclass(frozen=True)
class OperationFault:
    """A fault applied to authenticated calls of one operation.

    `status=None` adds only latency. `count=None` keeps the fault until it is cleared; otherwise
    it affects that many calls and disappears.
    """

    status: int | None = 500
    latency: float = 0.0
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    count: int | None = None
    drop_connection: bool = False

    def __post_init__(self) -> None:
        if self.status is not None:
            _check_status(self.status)
        _check_latency(self.latency)
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise ValueError(f"count must be None (until cleared) or >= 1, got {self.count!r}")

    def default_body(self) -> bytes:
        """The Ozon-style error body sent when the test gave none."""
        message = f"injected fault: HTTP {self.status}"
        return jsonlib.dumps({"error": message}).encode("utf-8")


class FaultBoard:
    """The faults currently armed; thread-safe, consumed by the request handlers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token_script: deque[ScriptedResponse] = deque()
        self._token_latency = 0.0
        self._operation_faults: dict[str, OperationFault] = {}

    def script_token_responses(self, responses: list[ScriptedResponse]) -> None:
        """Queue answers for the next token requests, in order (appended to any queued)."""
        for response in responses:
            if not isinstance(response, ScriptedResponse):
                raise TypeError(f"expected ScriptedResponse, got {type(response).__name__}")
        with self._lock:
            self._token_script.extend(responses)

    def next_token_response(self) -> ScriptedResponse | None:
        """Pop the next scripted token answer, if any."""
        with self._lock:
            return self._token_script.popleft() if self._token_script else None

    def pending_token_responses(self) -> int:
        """How many scripted token answers are still queued."""
        with self._lock:
            return len(self._token_script)

    def set_token_latency(self, seconds: float) -> None:
        """Delay every token answer by `seconds`."""
        _check_latency(seconds)
        with self._lock:
            self._token_latency = float(seconds)

    @property
    def token_latency(self) -> float:
        """The current added token latency in seconds."""
        with self._lock:
            return self._token_latency

    def set_operation_fault(self, operation_id: str, fault: OperationFault) -> None:
        """Arm `fault` for `operation_id`, replacing any fault armed for it."""
        with self._lock:
            self._operation_faults[operation_id] = fault

    def take_operation_fault(self, operation_id: str) -> OperationFault | None:
        """The fault for one call of `operation_id`, counting it down."""
        with self._lock:
            fault = self._operation_faults.get(operation_id)
            if fault is None or fault.count is None:
                return fault
            if fault.count <= 1:
                del self._operation_faults[operation_id]
            else:
                self._operation_faults[operation_id] = replace(fault, count=fault.count - 1)
            return fault

    def operation_faults(self) -> dict[str, OperationFault]:
        """A snapshot of the armed operation faults."""
        with self._lock:
            return dict(self._operation_faults)

    def clear(self) -> None:
        """Disarm everything: scripted token answers, token latency, operation faults."""
        with self._lock:
            self._token_script.clear()
            self._token_latency = 0.0
            self._operation_faults.clear()
