"""The pure core of ozon-mcp: the token lifecycle, its rules, its errors and its ports.

Nothing here performs I/O; adapters feed events in and act on the decisions that come out.
"""

from domain.clock import Clock, FakeClock, SystemClock
from domain.errors import (
    ConfigurationError,
    FailureKind,
    InvalidCredentialsError,
    MalformedTokenResponseError,
    OzonMcpError,
    TokenAcquisitionError,
    TokenEndpointUnavailableError,
)
from domain.lifecycle import (
    AwaitFetch,
    BackgroundStep,
    Decision,
    Fail,
    FetchOutcome,
    FetchTicket,
    Idle,
    LifecycleProtocolError,
    LifecycleSnapshot,
    LifecycleState,
    StartFetch,
    TokenLifecycle,
    UseToken,
    WaitUntil,
)
from domain.lifetime import (
    Lifetime,
    LifetimeRules,
    LifetimeSource,
    parse_expires_in,
    resolve_lifetime,
)
from domain.ports import (
    CacheKey,
    FetchFailure,
    ScopeSet,
    SyncTokenEndpoint,
    TokenCache,
    TokenEndpoint,
    TokenGrant,
    TokenResponse,
)
from domain.retry import RandomSource, RetryPolicy, parse_retry_after
from domain.token import AccessToken, token_fingerprint

__all__ = [
    "AccessToken",
    "AwaitFetch",
    "BackgroundStep",
    "CacheKey",
    "Clock",
    "ConfigurationError",
    "Decision",
    "Fail",
    "FailureKind",
    "FakeClock",
    "FetchFailure",
    "FetchOutcome",
    "FetchTicket",
    "Idle",
    "InvalidCredentialsError",
    "LifecycleProtocolError",
    "LifecycleSnapshot",
    "LifecycleState",
    "Lifetime",
    "LifetimeRules",
    "LifetimeSource",
    "MalformedTokenResponseError",
    "OzonMcpError",
    "RandomSource",
    "RetryPolicy",
    "ScopeSet",
    "StartFetch",
    "SyncTokenEndpoint",
    "SystemClock",
    "TokenAcquisitionError",
    "TokenCache",
    "TokenEndpoint",
    "TokenEndpointUnavailableError",
    "TokenGrant",
    "TokenLifecycle",
    "TokenResponse",
    "UseToken",
    "WaitUntil",
    "parse_expires_in",
    "parse_retry_after",
    "resolve_lifetime",
    "token_fingerprint",
]
