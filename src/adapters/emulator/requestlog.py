"""The log of every request the emulated API received, and the counters tests assert on."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Literal

BodyFormat = Literal["json", "form"]
ClientAuth = Literal["post", "basic"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator saw it. Tokens appear only as fingerprints.

    For an API call `token_fingerprint` is the bearer token presented (valid or not); for a
    token request it is the token issued in the answer (None when none was issued).
    `status` is None when the connection was dropped without an answer.
    """

    time: float  # emulator wall clock, seconds since the epoch
    method: str
    path: str
    operation_id: str | None
    token_fingerprint: str | None
    body_format: BodyFormat | None
    client_auth: ClientAuth | None
    status: int | None
    query: str = ""
    kind: Literal["token", "api", "other"] = "api"
    # The scopes of the token issued (token request) or presented (API call), space-separated.
    scope: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the HTTP control surface)."""
        return asdict(self)


class RequestLog:
    """Bounded log of recent requests plus unbounded counters; thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[RecordedRequest] = deque(maxlen=max_entries)
        self._token_requests = 0
        self._api_calls = 0
        self._tokens_issued = 0
        self._in_flight = 0

    def arrived(self) -> None:
        """A request reached a handler (it is recorded once answered)."""
        with self._lock:
            self._in_flight += 1

    def departed(self) -> None:
        """A request has been answered or dropped."""
        with self._lock:
            self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        """Requests being handled right now (e.g. waiting out injected latency)."""
        with self._lock:
            return self._in_flight

    def record(self, entry: RecordedRequest, *, issued_token: bool = False) -> None:
        """Append one request and update the counters."""
        with self._lock:
            self._entries.append(entry)
            if entry.kind == "token":
                self._token_requests += 1
            elif entry.kind == "api":
                self._api_calls += 1
            if issued_token:
                self._tokens_issued += 1

    def entries(self) -> list[RecordedRequest]:
        """The logged requests, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget logged requests and reset the counters."""
        with self._lock:
            self._entries.clear()
            self._token_requests = self._api_calls = self._tokens_issued = 0

    @property
    def token_requests(self) -> int:
        """Requests received by the token endpoint (answered, scripted or dropped)."""
        with self._lock:
            return self._token_requests

    @property
    def api_calls(self) -> int:
        """Requests received by the routes of spec operations, whatever their outcome."""
        with self._lock:
            return self._api_calls

    @property
    def tokens_issued(self) -> int:
        """Token requests that were answered with a valid token."""
        with self._lock:
            return self._tokens_issued
