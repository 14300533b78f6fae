"""Settings of one emulator instance: credentials, token lifetime, report timing and limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

DEFAULT_CLIENT_ID = "demo-client-id"
DEFAULT_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - the documented demo credential
DEFAULT_EXPIRES_IN = 1800  # seconds, as the Ozon token endpoint answers
DEFAULT_DAILY_BUDGET = 100_000  # requests per account per day (spec, tag Limits)
DEFAULT_REPORT_DELAY = 1.0  # seconds from submit until a report is OK
DEFAULT_REQUEST_LOG_SIZE = 10_000  # newest requests kept in the log; counters are never trimmed

# Report limits from the spec's `Limits` tag.
MAX_CAMPAIGNS_PER_REPORT = 10
MAX_DAYS_PER_REPORT = 62


@dataclass(frozen=True)
class EmulatorConfig:
    """How an emulator instance is started; runtime changes go through `EmulatorControl`.

    `generic=True` makes the token endpoint also accept RFC 6749 form bodies and HTTP Basic
    client authentication (Ozon itself documents JSON only). `port=0` picks a free port.
    """

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: SecretStr | str = field(default=DEFAULT_CLIENT_SECRET, repr=False)
    expires_in: int = DEFAULT_EXPIRES_IN
    generic: bool = False
    report_delay: float = DEFAULT_REPORT_DELAY
    daily_budget: int = DEFAULT_DAILY_BUDGET
    host: str = "127.0.0.1"
    port: int = 0
    request_log_size: int = DEFAULT_REQUEST_LOG_SIZE
    # Serve this spec (JSON/YAML path) instead of the bundled Ozon one; implies `generic`.
    spec_path: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.client_secret, SecretStr):
            object.__setattr__(self, "client_secret", SecretStr(str(self.client_secret)))
        if not self.client_id:
            raise ValueError("client_id must not be empty")
        if not self.secret_value:
            raise ValueError("client_secret must not be empty")
        validate_expires_in(self.expires_in)
        validate_report_delay(self.report_delay)
        validate_daily_budget(self.daily_budget)
        if not 0 <= self.port <= 65535:
            raise ValueError(
                f"port must be between 0 and 65535 (0 picks a free port), got {self.port}"
            )
        if not self.host:
            raise ValueError("host must not be empty (use 127.0.0.1 for loopback)")
        if self.request_log_size < 1:
            raise ValueError(f"request_log_size must be at least 1, got {self.request_log_size}")

    @property
    def secret_value(self) -> str:
        """The client secret in clear, for comparing with what a client sends."""
        secret = self.client_secret
        return secret.get_secret_value() if isinstance(secret, SecretStr) else secret


def validate_expires_in(seconds: int) -> None:
    """Refuse a token lifetime that no client could use."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise ValueError(f"expires_in must be a whole number of seconds >= 1, got {seconds!r}")


def validate_report_delay(seconds: float) -> None:
    """Refuse a negative or non-numeric report delay."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError(f"report_delay must be a number of seconds >= 0, got {seconds!r}")


def validate_daily_budget(requests: int) -> None:
    """Refuse a daily request budget below one request."""
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise ValueError(f"daily_budget must be a whole number >= 1, got {requests!r}")
