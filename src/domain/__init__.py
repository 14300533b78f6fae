"""The pure core of ozon-mcp: the token lifecycle, its rules, its errors and its ports.

Nothing here performs I/O; adapters feed events in and act on the decisions that come out.
"""

from ozon_mcp.domain.clock import Clock, SystemClock
from ozon_mcp.domain.errors import (
    ConfigurationError,
    FailureKind,
    InvalidCredentialsError,
    MalformedTokenResponseError,
    OzonMcpError,
    TokenAcquisitionError,
    TokenEndpointUnavailableError,
)
from ozon_mcp.domain.lifecycle import (
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
    WaitReason,
    WaitUntil,
)
from ozon_mcp.domain.lifetime import (
    Lifetime,
    LifetimeRules,
    LifetimeSource,
    parse_expires_in,
    resolve_lifetime,
)
from ozon_mcp.domain.ports import (
    CacheKey,
    FetchFailure,
    ScopeSet,
    SyncTokenCache,
    SyncTokenEndpoint,
    TokenCache,
    TokenEndpoint,
    TokenGrant,
    TokenResponse,
)
from ozon_mcp.domain.retry import RandomSource, RetryPolicy, parse_retry_after
from ozon_mcp.domain.token import AccessToken, token_fingerprint

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
    "SyncTokenCache",
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
    "WaitReason",
    "WaitUntil",
    "parse_expires_in",
    "parse_retry_after",
    "resolve_lifetime",
    "token_fingerprint",
]
