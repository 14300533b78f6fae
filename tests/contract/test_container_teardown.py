"""The container's one close path (`close_container` / `container_open`), as serve, check, demo
and the in-memory sessions use it: everything it opened is closed, whatever happens."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import anyio
import pytest
from dependency_injector import providers
from mcp_support import emulator_settings, mcp_session

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, start_emulator
from ozon_mcp.adapters.mcp.upstream import UpstreamRequest
from ozon_mcp.app.check import run_check
from ozon_mcp.app.container import Container, close_container, container_open
from ozon_mcp.app.settings import Settings

LIMITS = UpstreamRequest(
    method="GET", target="/api/client/limits/list", headers=(), json_body=None, has_body=False
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorHandle]:
    """Nothing here changes the emulator, so the module shares one."""
    handle = start_emulator(EmulatorConfig())
    try:
        yield handle
    finally:
        handle.stop()


async def assert_closed(container: Container) -> None:
    assert container.token_provider().closed
    with pytest.raises(RuntimeError, match="closed"):
        await container.upstream().send(LIMITS)


@pytest.mark.anyio
async def test_a_session_closes_everything_and_closing_twice_is_harmless(
    emulator: EmulatorHandle,
) -> None:
    async with mcp_session(emulator_settings(emulator)) as session:
        assert not (await session.call("GetLimitsList")).is_error
        container = session.container
    await assert_closed(container)
    await close_container(container)  # again: nothing to do, nothing raised
    await assert_closed(container)


class _BrokenProvider:
    """A token provider whose close fails, to show the other steps still run."""

    closed = False

    async def aclose(self) -> None:
        raise RuntimeError("the provider could not close")


@pytest.mark.anyio
async def test_a_failing_step_is_logged_and_the_rest_still_closes(
    emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    container = Container(settings=emulator_settings(emulator))
    upstream = container.upstream()
    assert (await upstream.send(LIMITS)).status == 200
    real = container.token_provider()
    container.token_provider.override(providers.Object(_BrokenProvider()))
    with caplog.at_level(logging.ERROR, logger="ozon_mcp.container"):
        await close_container(container)
    assert "closing the token provider failed" in caplog.text
    with pytest.raises(RuntimeError, match="closed"):
        await upstream.send(LIMITS)
    await real.aclose()  # swapped out above, so not the container's to close


class _SlowProvider:
    """A token provider whose close has to wait (as cancelling a token request does)."""

    closed = False

    async def aclose(self) -> None:
        await anyio.sleep(0.01)
        self.closed = True


@pytest.mark.anyio
async def test_closing_survives_the_cancellation_that_ends_the_block(
    emulator: EmulatorHandle,
) -> None:
    container = Container(settings=emulator_settings(emulator))
    upstream = container.upstream()  # built with the real provider, which is then swapped
    real = container.token_provider()
    slow = _SlowProvider()
    container.token_provider.override(providers.Object(slow))
    with anyio.CancelScope() as scope:
        async with container_open(container):
            assert (await upstream.send(LIMITS)).status == 200
            scope.cancel()
            await anyio.sleep_forever()  # cancelled here; the close must still complete
    assert scope.cancelled_caught
    assert slow.closed
    with pytest.raises(RuntimeError, match="closed"):
        await upstream.send(LIMITS)
    await real.aclose()  # swapped out above, so not the container's to close


def test_check_closes_the_container_it_built(emulator: EmulatorHandle) -> None:
    built: list[Container] = []

    def factory(settings: Settings) -> Container:
        built.append(Container(settings=settings))
        return built[0]

    out = io.StringIO()
    code = run_check(emulator_settings(emulator), out=out, container_factory=factory)
    assert code == 0, out.getvalue()
    assert "OK    probe" in out.getvalue()
    [container] = built
    assert container.token_provider().closed
    with pytest.raises(RuntimeError, match="closed"):
        anyio.run(container.upstream().send, LIMITS)
