"""Running the emulator: clean start and stop, concurrency, the request log, the HTTP control
surface and the standalone command."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import httpx2
import pytest

from ozon_mcp.adapters.emulator import (
    EmulatorConfig,
    EmulatorHandle,
    EmulatorStartError,
    running_emulator,
    start_emulator,
)
from ozon_mcp.adapters.emulator.cli import main
from ozon_mcp.adapters.openapi.spec import LoadedSpec
from ozon_mcp.domain.token import token_fingerprint

# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True

TokenBody = Callable[[EmulatorConfig], dict[str, str]]


def test_start_and_stop_leave_no_thread_and_free_the_port(
    ozon_spec: LoadedSpec, token_request_body: TokenBody
) -> None:
    threads_before = set(threading.enumerate())
    handle = start_emulator(EmulatorConfig(), spec=ozon_spec)
    port = handle.port
    with httpx2.Client(base_url=handle.base_url) as client:  # a keep-alive connection stays open
        assert client.post("/api/client/token", json=token_request_body(handle.config)).is_success
        handle.stop()
        with pytest.raises(httpx2.TransportError):
            client.get("/api/client/campaign")

    assert not handle.running
    assert set(threading.enumerate()) == threads_before
    with start_emulator(EmulatorConfig(port=port), spec=ozon_spec) as again:
        assert again.base_url == f"http://127.0.0.1:{port}"
    handle.stop()  # stopping twice is harmless


@pytest.mark.anyio
async def test_async_context_manager_starts_and_stops_cleanly(ozon_spec: LoadedSpec) -> None:
    threads_before = set(threading.enumerate())
    async with running_emulator(EmulatorConfig(), spec=ozon_spec) as handle:
        async with httpx2.AsyncClient() as client:
            response = await client.get(handle.base_url + "/api/client/campaign")
        assert response.status_code == 401
    assert not handle.running
    assert set(threading.enumerate()) == threads_before


def test_busy_port_is_reported_clearly(emulator: EmulatorHandle, ozon_spec: LoadedSpec) -> None:
    with pytest.raises(EmulatorStartError, match=rf"127\.0\.0\.1:{emulator.port}.*in use"):
        start_emulator(EmulatorConfig(port=emulator.port), spec=ozon_spec)


def test_stop_is_prompt_with_a_slow_request_in_flight(
    emulator: EmulatorHandle, emulator_token: str
) -> None:
    emulator.control.set_operation_fault("ListCampaigns", status=None, latency=30)
    outcome: list[object] = []

    def slow_call() -> None:
        try:
            outcome.append(
                httpx2.get(
                    emulator.base_url + "/api/client/campaign",
                    headers={"Authorization": f"Bearer {emulator_token}"},
                    timeout=60,
                )
            )
        except httpx2.TransportError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    deadline = time.monotonic() + 10
    while emulator.control.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.control.in_flight == 1
    started = time.monotonic()
    emulator.stop()
    caller.join(10)

    assert time.monotonic() - started < 1  # not the 30 s of injected latency
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx2.RemoteProtocolError)  # dropped, not answered late


def test_connections_use_tcp_nodelay(emulator: EmulatorHandle) -> None:
    # Without TCP_NODELAY every keep-alive request on loopback waits ~40 ms (Nagle + delayed ACK).
    with httpx2.Client(base_url=emulator.base_url) as client:
        client.get("/api/client/campaign")
        connections = list(emulator._runner.server.server_state.connections)
        sockets = [c.transport.get_extra_info("socket") for c in connections]
        assert sockets
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)


@pytest.mark.anyio
async def test_200_concurrent_requests_are_all_served(
    emulator: EmulatorHandle, emulator_token: str, token_request_body: TokenBody
) -> None:
    limits = httpx2.Limits(max_connections=200, max_keepalive_connections=200)
    headers = {"Authorization": f"Bearer {emulator_token}"}
    paths = ["/api/client/campaign", "/api/client/limits/list", "/api/client/statistics/list"]
    async with httpx2.AsyncClient(base_url=emulator.base_url, limits=limits, timeout=30) as client:
        calls = [client.get(paths[i % 3], headers=headers) for i in range(180)]
        tokens = [
            client.post("/api/client/token", json=token_request_body(emulator.config))
            for _ in range(20)
        ]
        responses = await asyncio.gather(*calls, *tokens)

    assert [r.status_code for r in responses] == [200] * 200
    assert emulator.control.api_calls == 180
    assert emulator.control.token_requests == 21
    assert len({r.json()["access_token"] for r in responses[180:]}) == 20


def test_request_log_records_every_request_without_tokens(
    emulator: EmulatorHandle, token_request_body: TokenBody, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ozon_mcp.emulator")
    before = time.time()
    with httpx2.Client(base_url=emulator.base_url) as client:
        token = client.post("/api/client/token", json=token_request_body(emulator.config)).json()[
            "access_token"
        ]
        client.get(
            "/api/client/campaign",
            params={"page": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        client.post("/api/client/statistics", json={})
        client.get("/not/an/operation")
    after = time.time()

    log = emulator.control.requests
    fingerprint = token_fingerprint(token)
    described = [
        (e.kind, e.method, e.path, e.operation_id, e.token_fingerprint, e.body_format, e.status)
        for e in log
    ]
    assert described == [
        ("token", "POST", "/api/client/token", None, fingerprint, "json", 200),
        ("api", "GET", "/api/client/campaign", "ListCampaigns", fingerprint, None, 200),
        ("api", "POST", "/api/client/statistics", "SubmitRequest", None, "json", 401),
        ("other", "GET", "/not/an/operation", None, None, None, 404),
    ]
    assert log[0].client_auth == "post"
    assert log[1].query == "page=1"
    assert all(before <= e.time <= after for e in log)
    assert [e.time for e in log] == sorted(e.time for e in log)
    assert (emulator.control.token_requests, emulator.control.api_calls) == (1, 2)
    secret = emulator.config.secret_value
    for text in (repr(log), caplog.text):
        assert token not in text
        assert secret not in text
    assert fingerprint in caplog.text

    emulator.control.clear_requests()
    assert emulator.control.requests == []
    assert emulator.control.token_requests == emulator.control.api_calls == 0


def test_http_control_surface_mirrors_the_handle(
    emulator: EmulatorHandle, token_request_body: TokenBody
) -> None:
    with httpx2.Client(base_url=emulator.base_url) as client:

        def control(method: str, path: str, body: object = None) -> httpx2.Response:
            return client.request(method, "/__emulator__" + path, json=body)

        script = {"responses": [{"status": 503, "headers": {"Retry-After": "3"}, "body": "x"}]}
        assert control("POST", "/token/script", script).json() == {"queued": 1}
        busy = client.post("/api/client/token", json=token_request_body(emulator.config))
        token = client.post("/api/client/token", json=token_request_body(emulator.config))
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert control(
            "POST", "/faults", {"operation_id": "ListCampaigns", "status": 502}
        ).is_success
        faulted = client.get("/api/client/campaign", headers=headers)
        assert control("DELETE", "/faults").is_success
        healthy = client.get("/api/client/campaign", headers=headers)
        assert control("POST", "/revoke").json() == {"revoked": 1}
        revoked = client.get("/api/client/campaign", headers=headers)
        stats = control("GET", "/stats").json()
        logged = control("GET", "/requests").json()["requests"]
        operations = control("GET", "/operations").json()["operations"]
        refused = control("POST", "/faults", {"operation_id": "NoSuchThing"})
        malformed = control("POST", "/token/latency", {"seconds": "slow"})

    assert (busy.status_code, busy.headers["retry-after"], busy.content) == (503, "3", b"x")
    assert [faulted.status_code, healthy.status_code, revoked.status_code] == [502, 200, 401]
    assert (stats["token_requests"], stats["api_calls"], stats["tokens_issued"]) == (2, 3, 1)
    assert [e["status"] for e in logged] == [503, 200, 502, 200, 401]
    assert logged[2]["operation_id"] == "ListCampaigns"
    assert len(operations) == 40
    assert refused.status_code == malformed.status_code == 400
    assert "NoSuchThing" in refused.json()["error"]


def test_http_control_surface_moves_time_reports_and_budget(emulator: EmulatorHandle) -> None:
    token = emulator.control.mint_token()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=emulator.base_url, headers=headers) as client:
        assert client.post("/__emulator__/budget", json={"daily_budget": 1}).is_success
        assert client.get("/api/client/campaign").status_code == 200
        assert client.get("/api/client/campaign").status_code == 429
        assert client.request("DELETE", "/__emulator__/budget").is_success
        assert client.post("/__emulator__/clock/advance", json={"seconds": 1800}).is_success
        expired = client.get("/api/client/campaign")

    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]


def test_cli_refuses_bad_arguments_and_busy_ports(
    emulator: EmulatorHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["--port", "70000"])
    assert usage.value.code == 2

    assert main(["--port", str(emulator.port)]) == 1
    assert "in use" in capsys.readouterr().err


def test_standalone_emulator_prints_env_lines_serves_and_stops_on_ctrl_c() -> None:
    command = [
        sys.executable, "-m", "ozon_mcp.adapters.emulator", "--port", "0", "--client-id", "cli-id",
        "--client-secret", "cli-secret", "--expires-in", "60", "--generic",
        "--report-delay", "0.1", "--daily-budget", "10", "--log-level", "WARNING",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = []
        for line in process.stdout:
            banner.append(line)
            if line.startswith("OAUTH_CLIENT_ID="):
                break
        env = dict(pair.split("=", 1) for pair in banner[-1].split())
        base_url = env["API_BASE_URL"]
        token = httpx2.post(
            env["OAUTH_TOKEN_URL"],
            data={"grant_type": "client_credentials"},
            auth=(env["OAUTH_CLIENT_ID"], env["OAUTH_CLIENT_SECRET"]),
        )
        call = httpx2.get(
            base_url + "/api/client/campaign",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert env["OAUTH_CLIENT_ID"] == "cli-id"
    assert env["OAUTH_CLIENT_SECRET"] == "cli-secret"
    assert env["OAUTH_TOKEN_URL"] == base_url + "/api/client/token"
    assert base_url.startswith("http://127.0.0.1:")
    assert any(base_url in line for line in banner[:-1])
    assert token.json()["expires_in"] == 60
    assert call.status_code == 200
    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "emulator stopped" in stderr
