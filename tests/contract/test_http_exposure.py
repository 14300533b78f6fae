"""`ozon-mcp serve --transport http` as a subprocess: the static bearer (MCP_HTTP_BEARER_TOKEN)
guards /mcp, and a non-loopback bind without client authentication refuses to start."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_support import free_port, result_text
from test_mcp_transports import SERVE, http_serve, serve_env

from ozon_mcp.adapters.emulator import EmulatorHandle

BEARER = "test-bearer-8Qz_x-41"
MCP_ACCEPT = "application/json, text/event-stream"

ALL_IPV4 = "0.0.0.0"  # noqa: S104 (never bound: these tests check the refusal)


@pytest.mark.anyio
async def test_with_a_bearer_token_only_clients_that_send_it_get_in(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    env = {
        **serve_env(emulator),
        "MCP_HTTP_BEARER_TOKEN": BEARER,
        "MCP_HTTP_ALLOWED_HOSTS": "mcp.internal",
    }
    with http_serve(env, tmp_path) as (process, port, stderr_path):
        url = f"http://127.0.0.1:{port}/mcp"
        headers = {"Accept": MCP_ACCEPT, "Content-Type": "application/json"}
        async with httpx2.AsyncClient() as raw:
            anonymous = await raw.post(url, json={}, headers=headers)
            wrong = await raw.post(
                url, json={}, headers={**headers, "Authorization": "Bearer nope"}
            )
            health = await raw.get(f"http://127.0.0.1:{port}/healthz")
            metrics = await raw.get(f"http://127.0.0.1:{port}/metrics")
            signed = {**headers, "Authorization": f"Bearer {BEARER}"}
            named = await raw.post(url, json={}, headers={**signed, "Host": "mcp.internal"})
            rebound = await raw.post(url, json={}, headers={**signed, "Host": "evil.example"})
            metrics_ok = await raw.get(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {BEARER}"}
            )
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {BEARER}"}) as authorised,
            Client(streamable_http_client(url, http_client=authorised)) as client,
        ):
            tools = (await client.list_tools()).tools
            limits = await client.call_tool("GetLimitsList", {})
        process.send_signal(signal.SIGINT)
        exit_code = process.wait(15)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert BEARER not in anonymous.text + wrong.text
    assert health.status_code == 200  # the liveness probe needs no token
    assert metrics.status_code == 401  # /metrics is protected like /mcp
    assert named.status_code != 421  # MCP_HTTP_ALLOWED_HOSTS: the name clients reach it by
    assert rebound.status_code == 421
    assert metrics_ok.status_code == 200
    assert "ozon_mcp_token_requests_total" in metrics_ok.text
    assert len(tools) == 42  # 40 operations + auth_status + get_campaign_statistics
    assert not limits.is_error, result_text(limits)
    assert exit_code == 0
    assert BEARER not in stderr_path.read_text(encoding="utf-8")


@pytest.mark.anyio
async def test_without_a_bearer_token_a_loopback_bind_serves_anyone(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    with http_serve(serve_env(emulator), tmp_path) as (process, port, _):
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            limits = await client.call_tool("GetLimitsList", {})
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
    assert not limits.is_error, result_text(limits)


@pytest.mark.parametrize("host", [ALL_IPV4, "::"])
def test_a_non_loopback_bind_without_authentication_refuses_before_binding(
    emulator: EmulatorHandle, tmp_path: Path, host: str
) -> None:
    port = free_port()
    args = [*SERVE, "--transport", "http", "--host", host, "--port", str(port)]
    result = subprocess.run(
        args, env=serve_env(emulator), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert f"refusing to serve HTTP on {host}" in result.stderr
    for remedy in ("MCP_HTTP_BEARER_TOKEN", "MCP_HTTP_AUTH_ISSUER", "--allow-unauthenticated"):
        assert remedy in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    # Refused before any listening socket existed: the port is still free.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
