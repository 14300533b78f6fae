"""Liveness, readiness and metrics endpoints of the HTTP transport.

`/healthz`: the process serves HTTP (always 200). `/readyz`: the server can authenticate tool
calls right now: a valid token is in hand, or the last token attempt succeeded; otherwise 503
with the reason (the lifecycle state and its last error, scrubbed: never a secret). `/metrics`:
Prometheus text format.

After a failed cycle the token provider waits for a caller before trying again, and an
orchestrator sends no callers to a server that is not ready; so a not-ready probe also starts
one token attempt in the background (single flight, and answered at once from memory during the
provider's cool-down, so probes cannot cause a request storm). The next probe sees its result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.adapters.auth.stats import TOKEN_NOT_USED, ProviderStats
from ozon_mcp.adapters.mcp.metrics import METRICS_CONTENT_TYPE, ServiceMetrics
from ozon_mcp.adapters.openapi import scrub
from ozon_mcp.domain.lifecycle import LifecycleState

StatsSource = Callable[[], ProviderStats]
SecretSource = Callable[[], Sequence[str] | Scrubber]
TokenAttempt = Callable[[], Awaitable[object]]

log = logging.getLogger("ozon_mcp.health")

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
_TOKEN_IN_HAND = frozenset({LifecycleState.VALID.value, LifecycleState.REFRESHING.value})


@dataclass(frozen=True)
class Readiness:
    """Whether the server can serve tool calls now, and if not, why."""

    ready: bool
    state: str
    reason: str | None = None


def readiness(stats: ProviderStats) -> Readiness:
    """Ready with a valid token in hand, or when the last token attempt succeeded."""
    if stats.state == TOKEN_NOT_USED:  # no exposed tool needs a token: nothing to wait for
        return Readiness(True, stats.state)
    has_token = stats.seconds_to_expiry is not None and stats.seconds_to_expiry > 0
    if stats.state in _TOKEN_IN_HAND or has_token:
        return Readiness(True, stats.state)
    if stats.last_error is None and stats.successes > 0:
        return Readiness(True, stats.state)  # the last attempt succeeded (token since expired)
    starting = stats.state in (LifecycleState.EMPTY.value, LifecycleState.ACQUIRING.value)
    if starting and stats.last_error is None:
        return Readiness(False, stats.state, "the first access token is being requested")
    detail = stats.last_error or "no access token"
    return Readiness(False, stats.state, f"no valid access token ({stats.state}): {detail}")


class ReadinessProbe:
    """Answers readiness from the stats; when not ready, starts one token attempt (see above)."""

    def __init__(self, token_stats: StatsSource, attempt: TokenAttempt | None = None) -> None:
        self._stats = token_stats
        self._attempt = attempt
        self._running: asyncio.Task[None] | None = None

    def check(self) -> Readiness:
        """The readiness now; a not-ready answer starts a background token attempt."""
        answer = readiness(self._stats())
        idle = self._running is None or self._running.done()
        if not answer.ready and self._attempt is not None and idle:
            self._running = asyncio.get_running_loop().create_task(self._try())
        return answer

    async def _try(self) -> None:
        assert self._attempt is not None
        try:
            await self._attempt()
        except Exception as exc:  # the provider logged it; the stats carry it to the next probe
            log.debug("readiness token attempt failed: %s", type(exc).__name__)


def operational_routes(
    token_stats: StatsSource,
    secrets: SecretSource,
    metrics: ServiceMetrics | None,
    token_attempt: TokenAttempt | None = None,
) -> tuple[list[Route], list[Route]]:
    """The open routes (`/healthz`, `/readyz`) and the protected ones (`/metrics`, if given)."""
    probe = ReadinessProbe(token_stats, token_attempt)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        answer = probe.check()
        if answer.ready:
            return JSONResponse({"status": "ready", "token_state": answer.state})
        reason = scrub(answer.reason or "", secrets())
        body = {"status": "not ready", "token_state": answer.state, "reason": reason}
        return JSONResponse(body, status_code=503)

    open_routes = [
        Route(HEALTH_PATH, healthz, methods=["GET", "HEAD"]),
        Route(READY_PATH, readyz, methods=["GET", "HEAD"]),
    ]
    protected: list[Route] = []
    if metrics is not None:

        async def metrics_endpoint(_request: Request) -> Response:
            return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

        protected.append(Route(METRICS_PATH, metrics_endpoint, methods=["GET"]))
    return open_routes, protected
