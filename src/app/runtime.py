"""`ozon-mcp serve`: build the container and run the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

import logging
import sys
from typing import cast

import anyio
from dependency_injector import providers
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings

from ozon_mcp.adapters.mcp.stdio_input import DaemonLineReader
from ozon_mcp.adapters.mcp.stdio_pipes import fileno, pipe_stdin, pipe_stdout
from ozon_mcp.app.api_profile import credential_problems
from ozon_mcp.app.container import Container, close_container
from ozon_mcp.app.logging_setup import configure_logging, scrub_logs_with
from ozon_mcp.app.settings import Settings, SettingsError, report_problems
from ozon_mcp.app.tls import check_ca_variables
from ozon_mcp.domain.errors import ConfigurationError

log = logging.getLogger("ozon_mcp")

EXIT_OK = 0


def build_container(settings: Settings, *, publish_metrics: bool = True) -> Container:
    """A container for `settings` whose server is already built (so bad config fails early).

    `publish_metrics=False` (stdio: nothing could scrape them) leaves the Prometheus metrics
    out of every call.
    Raises `SettingsError` listing the OAuth variables that are missing when an exposed tool
    needs a client-credentials token (only the spec can tell: see `credential_problems`)."""
    container = Container(settings=settings)
    check_ca_variables()  # a CA bundle that cannot be read stops the start (exit 2)
    if not publish_metrics:
        container.call_listeners.override(providers.List(container.call_log))
    scrub_logs_with(container.scrubber())  # before anything can log a token
    missing = credential_problems(settings, container.profile())
    if missing:
        raise SettingsError(missing)
    container.mcp_server()
    return container


def serve(
    settings: Settings,
    *,
    transport: str,
    host: str,
    port: int,
    allow_unauthenticated: bool = False,
    stateless: bool = False,
) -> int:
    """Run the server until the client disconnects or Ctrl-C; returns the exit code."""
    configure_logging(settings.log_level, settings.log_format)
    if transport == "http":
        from ozon_mcp.app.http_service import exposure_problems

        refused = exposure_problems(settings, host, allow_unauthenticated=allow_unauthenticated)
        if refused:
            return report_problems(refused)
    # As `check` does: no secret or token over plain http to another machine.
    problems = settings.connection_problems(credentials=False)  # the spec decides those
    if problems:
        return report_problems(problems)
    try:
        container = build_container(settings, publish_metrics=transport == "http")
    except SettingsError as exc:
        return report_problems(exc.problems)
    except ConfigurationError as exc:
        return report_problems([str(exc)])
    tools = container.tools()
    log.info(
        "serving %d tools from %s over %s; upstream %s",
        len(tools),
        container.spec().title,
        transport,
        container.profile().api_base_url,  # anyspec: API_BASE_URL or the spec's first server
    )
    try:
        if transport == "http":
            anyio.run(_serve_http, container, host, port, stateless)
        else:
            anyio.run(_serve_stdio, container)
    except KeyboardInterrupt:
        log.info("interrupted; shut down cleanly")
    return EXIT_OK


async def _serve_stdio(container: Container) -> None:
    server = container.mcp_server()
    try:
        async with (
            pipe_stdin(fileno(sys.stdin)) as piped_in,
            pipe_stdout(fileno(sys.stdout), fileno(sys.stderr)) as piped_out,
        ):
            # Pipes are watched by the event loop (no thread per message). Otherwise: the SDK
            # reads stdin in a thread that Ctrl-C cannot stop, so a daemon thread reads it here
            # (it never holds up the exit); the SDK writes stdout.
            stdin = piped_in or DaemonLineReader(sys.stdin.fileno())
            async with stdio_server(
                stdin=cast("anyio.AsyncFile[str]", stdin),
                stdout=cast("anyio.AsyncFile[str] | None", piped_out),
            ) as (read, write):
                await server.run(read, write, server.create_initialization_options())
    except* (BrokenPipeError, ConnectionResetError):
        # The client stopped reading our stdout (it exited or closed the pipe): the session is
        # over, whichever writer noticed first.
        log.info("the client closed the stdio connection; shut down")
    finally:
        with anyio.CancelScope(shield=True):
            await close_container(container)


def http_security(host: str) -> TransportSecuritySettings:
    """DNS-rebinding protection on, allowing the loopback names and the bind address."""
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):  # noqa: S104
        hosts.append(f"{host}:*")
    origins = [f"http://{name}" for name in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


async def _serve_http(container: Container, host: str, port: int, stateless: bool) -> None:
    import uvicorn  # only the HTTP transport needs it (70 ms of imports saved on stdio)

    from ozon_mcp.app.http_service import http_app

    app = http_app(container, host, port, stateless=stateless)
    # log_config=None: uvicorn logs through our stderr handler and its scrubbing filter.
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="on", log_config=None
    )
    http_server = uvicorn.Server(config)
    mode = " (stateless)" if stateless else ""
    log.info("streamable HTTP endpoint%s: http://%s:%d/mcp", mode, host, port)
    try:
        await http_server.serve()
    finally:
        with anyio.CancelScope(shield=True):
            await close_container(container)
