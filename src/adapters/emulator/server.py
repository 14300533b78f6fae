"""Running the emulator on uvicorn: in a background thread (tests) or in the foreground (CLI).

uvicorn binds the listening socket itself, so asyncio sets TCP_NODELAY on every connection
(a pre-bound socket created with protocol 0 would cost ~40 ms per keep-alive request).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from ozon_mcp.adapters.openapi.spec import LoadedSpec, load_spec

from .app import build_app
from .config import EmulatorConfig
from .control import EmulatorControl
from .state import EmulatorState

log = logging.getLogger("ozon_mcp.emulator")

_STARTUP_TIMEOUT = 15.0
_GRACEFUL_SHUTDOWN = 2  # seconds in-flight requests (e.g. injected latency) may still take


class EmulatorStartError(RuntimeError):
    """The emulator could not start listening (address in use, bad host, ...)."""


def make_server(
    config: EmulatorConfig, spec: LoadedSpec | None = None
) -> tuple[uvicorn.Server, EmulatorControl, EmulatorState]:
    """A configured, not yet started uvicorn server for the emulator, its control and state."""
    state = EmulatorState(config, spec if spec is not None else load_spec(config.spec_path))
    control = EmulatorControl(state)
    uv_config = uvicorn.Config(
        build_app(state, control),
        host=config.host,
        port=config.port,
        http="h11",  # a dropped-connection fault needs the h11 request cycle (owns the transport)
        ws="none",
        lifespan="off",
        log_config=None,  # never reconfigure the host process's logging
        access_log=False,  # the emulator logs requests itself, with token fingerprints only
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
    )
    return uvicorn.Server(uv_config), control, state


def bound_address(server: uvicorn.Server) -> tuple[str, int]:
    """The host and port a started server listens on (the real port when 0 was asked)."""
    sockets = server.servers[0].sockets
    address = sockets[0].getsockname()
    return str(address[0]), int(address[1])


def url_for(host: str, port: int) -> str:
    """`http://host:port`, with brackets for IPv6 literals."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class EmulatorHandle:
    """A running emulator: where it listens, its control surface, and how to stop it."""

    config: EmulatorConfig
    base_url: str
    control: EmulatorControl
    _runner: _ServerThread = field(repr=False)

    @property
    def token_url(self) -> str:
        """The token endpoint URL (`OAUTH_TOKEN_URL`)."""
        return self.base_url + self._runner.token_path

    @property
    def port(self) -> int:
        """The port the emulator listens on."""
        return int(self.base_url.rsplit(":", 1)[1])

    def env(self) -> dict[str, str]:
        """The settings that point `ozon-mcp serve` at this emulator."""
        return {
            "OAUTH_CLIENT_ID": self.config.client_id,
            "OAUTH_CLIENT_SECRET": self.config.secret_value,
            "OAUTH_TOKEN_URL": self.token_url,
            "API_BASE_URL": self.base_url,
            **({"OPENAPI_SPEC": self.config.spec_path} if self.config.spec_path else {}),
        }

    @property
    def running(self) -> bool:
        """Whether the server thread is still alive."""
        return self._runner.thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, close the port and end the thread; safe to call twice."""
        self._runner.request_stop()
        self._runner.thread.join(timeout)
        if self._runner.thread.is_alive():
            raise RuntimeError(f"the emulator at {self.base_url} did not stop within {timeout}s")

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _ServerThread:
    """uvicorn on its own event loop in a daemon thread, with a prompt shutdown.

    uvicorn's own `serve()` polls its exit flag every 0.1 s and sleeps 0.1 s on shutdown; tests
    start and stop emulators constantly, so this runs uvicorn's startup and stops on an event.
    """

    def __init__(
        self,
        server: uvicorn.Server,
        state: EmulatorState,
        on_change: Callable[[], object] = lambda: None,
    ) -> None:
        self.server = server
        self._state = state
        self.token_path = state.token_path  # where the spec's tokenUrl points
        self.failures: list[BaseException] = []
        self.ready = threading.Event()  # set once listening, or once the start failed
        self.finished = threading.Event()  # set when serving is over (just before the thread ends)
        self._on_change = on_change  # called when ready and when the thread ends
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._lock = threading.Lock()
        name = f"ozon-emulator-{state.config.port}"
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def request_stop(self) -> None:
        """Ask the server to shut down (returns at once)."""
        with self._lock:
            loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(stop.set)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # uvicorn raises SystemExit when it cannot bind
            self.failures.append(exc)
        finally:
            self.ready.set()
            self.finished.set()
            self._on_change()

    async def _serve(self) -> None:
        with self._lock:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        stop = self._stop
        server, config = self.server, self.server.config
        if not config.loaded:
            config.load()
        server.lifespan = config.lifespan_class(config)
        await server.startup()
        self.ready.set()
        self._on_change()
        try:
            await stop.wait()
        finally:
            await _prompt_shutdown(server, self._state)


async def _prompt_shutdown(server: uvicorn.Server, emulator: EmulatorState) -> None:
    """Close the listener, end injected pauses, let in-flight requests finish (bounded), then
    cut what remains."""
    for listener in server.servers:
        listener.close()
    emulator.pauses.interrupt()
    state = server.server_state
    for connection in list(state.connections):
        connection.shutdown()  # idle keep-alive connections close now, busy ones after answering
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _GRACEFUL_SHUTDOWN
    while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.005)  # uvicorn exposes these sets, no event to wait on
    for task in list(state.tasks):
        task.cancel()
    for connection in list(state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()
    await asyncio.sleep(0)  # let the aborted connections report their loss
    for listener in server.servers:
        await listener.wait_closed()


def _handle_or_raise(
    config: EmulatorConfig, control: EmulatorControl, runner: _ServerThread
) -> EmulatorHandle:
    if runner.server.started and runner.thread.is_alive():
        host, port = bound_address(runner.server)
        return EmulatorHandle(config, url_for(host, port), control, runner)
    runner.request_stop()
    runner.thread.join(5)
    if runner.ready.is_set():
        raise EmulatorStartError(_start_failure(config, runner.failures))
    raise EmulatorStartError(f"the emulator did not start within {_STARTUP_TIMEOUT}s")


def start_emulator(
    config: EmulatorConfig | None = None, *, spec: LoadedSpec | None = None
) -> EmulatorHandle:
    """Start the emulator in a background thread with its own event loop; return once it
    listens. Stop it with `handle.stop()` (or use the handle as a context manager)."""
    config = config or EmulatorConfig()
    server, control, state = make_server(config, spec)
    runner = _ServerThread(server, state)
    runner.start()
    runner.ready.wait(_STARTUP_TIMEOUT)
    return _handle_or_raise(config, control, runner)


@contextlib.asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None, *, spec: LoadedSpec | None = None
) -> AsyncIterator[EmulatorHandle]:
    """`start_emulator` for async code: waits without blocking the caller's event loop."""
    config = config or EmulatorConfig()
    server, control, state = make_server(config, spec)
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()  # set when the server thread is ready and when it ends

    def notify() -> None:
        with contextlib.suppress(RuntimeError):  # the caller's loop is gone: nobody waits
            loop.call_soon_threadsafe(changed.set)

    runner = _ServerThread(server, state, on_change=notify)
    runner.start()
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), _STARTUP_TIMEOUT)
        handle = _handle_or_raise(config, control, runner)
        yield handle
    finally:
        runner.request_stop()
        while not runner.finished.is_set():
            changed.clear()
            if not runner.finished.is_set():  # `finished` is set before the last notify
                await changed.wait()
        runner.thread.join()


def _start_failure(config: EmulatorConfig, failures: list[BaseException]) -> str:
    where = f"{config.host}:{config.port}"
    reason = _bind_problem(config)
    if reason is None and failures and not isinstance(failures[0], SystemExit):
        reason = repr(failures[0])
    return f"the emulator could not listen on {where}: {reason or 'see the log above'}"


def _bind_problem(config: EmulatorConfig) -> str | None:
    """Why binding failed, found by trying once more (uvicorn only logs the error)."""
    try:
        infos = socket.getaddrinfo(config.host, config.port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
            probe.bind(infos[0][4])
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def serve_forever(
    config: EmulatorConfig,
    on_ready: Callable[[str, EmulatorControl], Any],
    spec: LoadedSpec | None = None,
) -> None:
    """Serve in the current (main) thread until Ctrl-C / SIGTERM; `on_ready(base_url, control)`
    runs once the port is open. Raises EmulatorStartError if it cannot listen."""
    server, control, _ = make_server(config, spec)

    async def main() -> None:
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn: flag only
            await asyncio.sleep(0.01)
        if server.started:
            host, port = bound_address(server)
            on_ready(url_for(host, port), control)
        await serving

    try:
        asyncio.run(main())
    except SystemExit:
        raise EmulatorStartError(_start_failure(config, [])) from None
