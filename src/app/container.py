"""The composition root: the one place where ports are wired to adapters.

Tests override providers (`container.clock.override(...)`) instead of patching modules.
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
from dependency_injector import containers, providers

from ozon_mcp.adapters.auth import (
    HttpTokenEndpoint,
    TokenProvider,
    build_token_provider,
)
from ozon_mcp.adapters.auth.redaction import Scrubber
from ozon_mcp.adapters.mcp.call_log import CallLog
from ozon_mcp.adapters.mcp.observability import InstrumentedToolRouter, InstrumentedUpstreamClient
from ozon_mcp.adapters.mcp.request_budget import RequestBudget
from ozon_mcp.adapters.mcp.resources import ReportResources
from ozon_mcp.adapters.mcp.server import ServerHooks, ToolRouter, build_server
from ozon_mcp.adapters.mcp.upstream import UpstreamClient, read_limit_for
from ozon_mcp.adapters.openapi import build_tools, load_spec
from ozon_mcp.adapters.openapi.descriptions import describe_tools
from ozon_mcp.adapters.openapi.selection import ToolSelection, select_tools
from ozon_mcp.adapters.reports import ReportQueue
from ozon_mcp.app.api_profile import resolve_profile
from ozon_mcp.app.credentials_wiring import (
    OAUTH_NOT_USED,
    operation_credentials,
    profile_endpoint_config,
    token_provider_if_used,
    token_stats_source,
    with_operation_credentials,
)
from ozon_mcp.app.report_wiring import make_report_engine, make_report_tool
from ozon_mcp.app.settings import Settings
from ozon_mcp.app.tls import verifying_context
from ozon_mcp.app.token_sharing import redis_sharing_for, token_cache_for, token_endpoint_for
from ozon_mcp.app.version import package_version
from ozon_mcp.app.wording import ENV_NAMES
from ozon_mcp.domain.clock import SystemClock
from ozon_mcp.domain.lifetime import LifetimeRules
from ozon_mcp.domain.retry import RetryPolicy

if TYPE_CHECKING:
    from mcp.server import Server

    from ozon_mcp.adapters.mcp.metrics import BudgetSource, ServiceMetrics, StatsSource
    from ozon_mcp.adapters.mcp.report_tool import ReportTool

log = logging.getLogger("ozon_mcp.container")


def make_service_metrics(token_stats: StatsSource, budget: BudgetSource) -> ServiceMetrics:
    """The Prometheus metrics; prometheus-client is imported only by a server that publishes
    them (`serve --transport http`), not by every stdio start."""
    from ozon_mcp.adapters.mcp.metrics import ServiceMetrics

    return ServiceMetrics(token_stats=token_stats, budget=budget)


def make_scrubber(settings: Settings) -> Scrubber:
    """The product's one scrubber, holding the client secret from the start."""
    secret = settings.oauth_client_secret
    return Scrubber(settings.oauth_client_id, secret.get_secret_value() if secret else None)


def make_server_hooks(
    settings: Settings,
    upstream: UpstreamClient,
    provider: TokenProvider | None,
    scrubber: Scrubber,
    budget: RequestBudget | None = None,
) -> ServerHooks:
    """What the MCP server needs from the token provider and the upstream client (provider
    None: no exposed tool uses a token, so nothing is fetched in the background)."""

    def secrets() -> Scrubber:
        # The endpoint remembers every token it is issued; a token adopted from a shared
        # cache is learnt here, at the latest when a result is rendered.
        token = provider.lifecycle.current_token() if provider is not None else None
        if token is not None:
            scrubber.remember(token.value)
        return scrubber

    stats = token_stats_source(provider)
    not_used = {"oauth": OAUTH_NOT_USED} if provider is None else {}
    return ServerHooks(
        upstream=upstream,
        auth_status=lambda: {
            **stats().as_dict(),
            **not_used,
            **(budget.status() if budget is not None else {}),
        },
        secrets=secrets,
        start_background=functools.partial(_start_background, upstream, provider),
        max_response_bytes=settings.ozon_mcp_max_response_bytes,
    )


def make_mcp_server(
    router: ToolRouter, reports: ReportTool | None, *, start_after_listing: bool = True
) -> Server[ToolRouter]:
    """The `ozon-mcp` MCP server over the router and the report tool."""
    return build_server(
        router,
        name="ozon-mcp",
        version=package_version(),
        reports=reports,
        start_after_listing=start_after_listing,
    )


async def _start_background(upstream: UpstreamClient, provider: TokenProvider | None) -> None:
    """What the server starts once its first tools/list is answered: the upstream client (and
    with it the TLS context) is built, then the token is requested in the background (none
    when no exposed tool uses one)."""
    upstream.prepare()
    if provider is not None:
        await provider.start()


class Container(containers.DeclarativeContainer):
    """Wires settings to the clock, retry policy, token endpoint, cache, provider and server."""

    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    rng = providers.Singleton(random.Random)
    lifetime_rules = providers.Singleton(
        LifetimeRules, refresh_margin=settings.provided.oauth_refresh_margin_seconds
    )
    retry_policy = providers.Singleton(RetryPolicy, max_retries=settings.provided.oauth_max_retries)

    spec = providers.Singleton(load_spec, settings.provided.openapi_spec)
    # Schemas are checked against the meta-schema on each tool's first call, not at start-up
    # (40 ms for the Ozon spec); `ozon-mcp check` checks them all.
    built_tools = providers.Singleton(
        build_tools,
        spec,
        output_schemas=settings.provided.ozon_mcp_output_schemas,
        description_limit=0,  # the spec's whole text; `describe_tools` makes it lean
        parameter_description_limit=0,
        check_schemas=False,
    )
    all_tools = providers.Singleton(
        describe_tools, built_tools, settings.provided.ozon_mcp_descriptions
    )
    tool_selection = providers.Singleton(
        ToolSelection.parse,
        settings.provided.ozon_mcp_tools,
        settings.provided.ozon_mcp_exclude_tools,
        read_only=settings.provided.ozon_mcp_read_only,
    )
    # The exposed tools (tools/list, `ozon-mcp tools`): OZON_MCP_TOOLS, OZON_MCP_EXCLUDE_TOOLS,
    # OZON_MCP_READ_ONLY, and the Ozon profile's reviewed annotations.
    tools = providers.Singleton(select_tools, spec, all_tools, tool_selection)
    # The API base URL, token URL, token request and per-tool credential, from the settings and
    # the spec's security schemes (see app/api_profile.py); scopes are the exposed tools'.
    profile = providers.Singleton(resolve_profile, settings, spec, tools)
    endpoint_config = providers.Singleton(profile_endpoint_config, settings, profile)
    # One verifying TLS context for both HTTP clients: loading the CA bundle costs 50-100 ms,
    # so the clients get its provider and make it when first built (`UpstreamClient.prepare`).
    tls_context = providers.Singleton(verifying_context)
    scrubber = providers.Singleton(make_scrubber, settings)
    http_token_endpoint = providers.Singleton(
        HttpTokenEndpoint,
        endpoint_config,
        clock=clock,
        tls=tls_context.provider,
        scrubber=scrubber,
    )
    # --- token sharing (TOKEN_CACHE=memory|redis; app/token_sharing.py) ---
    token_sharing = providers.Singleton(redis_sharing_for, settings, clock)
    token_endpoint = providers.Singleton(
        token_endpoint_for, http_token_endpoint, token_sharing, endpoint_config, lifetime_rules
    )
    token_cache = providers.Singleton(token_cache_for, token_sharing)
    # --- end of token sharing ---
    # A token provider for a given token endpoint configuration: the default one below, and
    # with the per-operation scope strategy one per distinct scope set (`auth`).
    token_provider_for = providers.Factory(
        build_token_provider,
        endpoint=token_endpoint,
        cache=token_cache,
        clock=clock,
        rng=rng,
        rules=lifetime_rules,
        retry=retry_policy,
        setting_names=providers.Object(ENV_NAMES),
        max_wait=settings.provided.oauth_max_wait_seconds,
    )
    token_provider = providers.Singleton(token_provider_for, endpoint_config)
    # The token provider when an exposed tool uses a token, else None (then nothing above is
    # built, and the OAUTH_* variables may be unset).
    active_token_provider = providers.Singleton(
        token_provider_if_used, profile, token_provider.provider
    )
    # Each call gets its operation's credential (none for open operations).
    auth = providers.Singleton(
        operation_credentials,
        profile,
        active_token_provider,
        endpoint_config.provider,
        token_provider_for.provider,
    )
    # Every upstream call of the process counts against Ozon's daily budget (issue 12).
    request_budget = providers.Singleton(
        RequestBudget, settings.provided.ozon_mcp_daily_request_budget
    )
    upstream = providers.Singleton(
        InstrumentedUpstreamClient,  # an UpstreamClient noting status and latency per call
        profile.provided.api_base_url,
        auth,
        max_body_bytes=providers.Callable(
            read_limit_for, settings.provided.ozon_mcp_max_response_bytes
        ),
        tls=tls_context.provider,
        budget=request_budget,
        read_deadline=settings.provided.ozon_mcp_read_deadline_seconds,
    )
    server_hooks = providers.Singleton(
        with_operation_credentials,
        providers.Singleton(
            make_server_hooks, settings, upstream, active_token_provider, scrubber, request_budget
        ),
        auth,
    )
    # Per-container Prometheus registry, with the daily request budget.
    service_metrics = providers.Singleton(
        make_service_metrics,
        token_stats=providers.Callable(token_stats_source, active_token_provider),
        budget=request_budget.provided.figures,
    )
    call_log = providers.Singleton(CallLog)  # one log event per tool call (LOG_FORMAT=json)
    call_listeners = providers.List(service_metrics, call_log)
    router = providers.Singleton(InstrumentedToolRouter, tools, server_hooks, call_listeners)
    # Statistics reports (issue 12): one report queue per process, shared by every call. The
    # engine drives the raw report operations, exposed or not.
    report_queue = providers.Singleton(ReportQueue)
    report_resources = providers.Singleton(ReportResources)
    report_engine = providers.Singleton(
        make_report_engine, settings, upstream, all_tools, report_queue
    )
    report_tool = providers.Singleton(
        make_report_tool, report_engine, report_resources, server_hooks
    )
    mcp_server = providers.Singleton(make_mcp_server, router, report_tool)
    # Over streamable HTTP the server's lifespan is the service's: it starts the token request
    # at once instead of after a first tools/list.
    http_mcp_server = providers.Singleton(
        make_mcp_server, router, report_tool, start_after_listing=False
    )


async def close_container(container: Container) -> None:
    """Close everything the container opened: the one close path of serve, check and demo.

    Background token work is stopped first (a refresh in flight uses the token endpoint), then
    the token endpoint's and the upstream API's HTTP clients are closed. Shielded from
    cancellation (Ctrl-C or a cancelled task group must not leave sockets open); every step
    runs even when an earlier one failed (logged); calling it twice is harmless.
    """
    steps: tuple[tuple[str, Callable[[], Awaitable[None]]], ...] = (
        ("token provider", lambda: _close_token_client(container, "token_provider")),
        ("per-operation token providers", lambda: container.auth().aclose()),
        ("token endpoint client", lambda: _close_token_client(container, "http_token_endpoint")),
        ("upstream API client", lambda: container.upstream().aclose()),
        ("Redis token store", lambda: _close_sharing(container)),
    )
    with anyio.CancelScope(shield=True):
        for what, close in steps:
            try:
                await close()
            except Exception:  # closing the rest matters more than this one failure
                log.exception("closing the %s failed", what)


async def _close_token_client(container: Container, name: str) -> None:
    """Close the token provider or endpoint client, unless no token is used (then neither was
    built, and building them to close them would need the OAUTH_* variables)."""
    if container.active_token_provider() is not None:
        await getattr(container, name)().aclose()


async def _close_sharing(container: Container) -> None:
    sharing = container.token_sharing()
    if sharing is not None:
        await sharing.store.aclose()


@asynccontextmanager
async def container_open(container: Container) -> AsyncIterator[Container]:
    """`async with container_open(c):` closes `c` on the way out, however the block ends."""
    try:
        yield container
    finally:
        await close_container(container)
