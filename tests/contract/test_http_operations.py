"""/healthz, /readyz and /metrics of the HTTP transport, served by uvicorn on loopback from the
real container, with the emulator's token endpoint failing and recovering."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from dependency_injector import providers
from mcp import Client
from mcp_support import emulator_settings, free_port, result_text
from prometheus_client.parser import text_string_to_metric_families

from ozon_mcp.adapters.emulator import EmulatorHandle, ScriptedResponse
from ozon_mcp.app.container import Container
from ozon_mcp.app.http_service import http_app
from ozon_mcp.app.runtime import close_container
from ozon_mcp.domain.retry import RetryPolicy

WAIT_LIMIT = 20.0  # seconds; the machine is busy


@asynccontextmanager
async def serving(container: Container) -> AsyncIterator[str]:
    """The container's HTTP app on a free loopback port; yields its base URL."""
    port = free_port()
    app = http_app(container, "127.0.0.1")
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve)
        with anyio.fail_after(WAIT_LIMIT):
            # uvicorn exposes readiness only as a flag, so there is no event to wait on.
            while not server.started:  # noqa: ASYNC110
                await anyio.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
    await close_container(container)


async def wait_for_status(client: httpx2.AsyncClient, url: str, status: int) -> httpx2.Response:
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        response = await client.get(url)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await anyio.sleep(0.05)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.anyio
async def test_token_endpoint_down_not_ready_then_recovered_ready(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.script_token_responses(
        [ScriptedResponse(status=503, body=b"maintenance")] * 200
    )
    container = Container(settings=emulator_settings(emulator))
    # One attempt per cycle and a short cool-down, so the test sees each state quickly.
    container.retry_policy.override(
        providers.Object(RetryPolicy(max_retries=0, exhausted_cooldown=0.2, cap=0.2))
    )
    secret = emulator.config.secret_value
    async with serving(container) as base, httpx2.AsyncClient(base_url=base) as client:
        health = await client.get("/healthz")
        down = await wait_for_status(client, "/readyz", 503)
        await wait_for_status(client, "/readyz", 503)  # stays down while the endpoint is down
        failing = await client.get("/metrics")
        emulator.control.clear_faults()  # the token endpoint recovers
        up = await wait_for_status(client, "/readyz", 200)
        async with Client(f"{base}/mcp") as mcp:
            limits = await mcp.call_tool("GetLimitsList", {})
            invalid = await mcp.call_tool("ListCampaigns", {"page": "one"})
        recovered = await client.get("/metrics")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert down.status_code == 503, down.text
    body: dict[str, Any] = down.json()
    assert body["status"] == "not ready"
    assert "503" in body["reason"]
    assert secret not in down.text
    assert samples(failing.text)[("ozon_mcp_token_requests_total", (("outcome", "failure"),))] >= 1
    assert up.status_code == 200, up.text
    assert up.json()["status"] == "ready"
    assert not limits.is_error, result_text(limits)
    assert invalid.is_error
    assert recovered.headers["content-type"].startswith("text/plain")
    after = samples(recovered.text)
    assert after[("ozon_mcp_token_requests_total", (("outcome", "success"),))] >= 1
    assert after[("ozon_mcp_token_state", (("state", "valid"),))] == 1
    assert after[("ozon_mcp_token_seconds_to_expiry", ())] > 0
    calls = "ozon_mcp_tool_calls_total"
    assert after[(calls, (("outcome", "ok"), ("tool", "GetLimitsList")))] == 1
    assert after[(calls, (("outcome", "rejected"), ("tool", "ListCampaigns")))] == 1
    latency = "ozon_mcp_upstream_request_duration_seconds_count"
    assert after[(latency, (("status_class", "2xx"),))] == 1
    assert secret not in recovered.text
