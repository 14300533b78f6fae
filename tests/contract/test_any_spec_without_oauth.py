"""A spec none of whose exposed operations needs a client-credentials token (open ones and an
apiKey one configured through OPENAPI_CREDENTIAL_*) runs without any OAUTH_* variable: `serve`
over stdio lists and calls its tools, `check` passes, and the emulator sees no token request at
all (nothing is fetched in the background either). As soon as one exposed tool needs a token,
OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET are required again and named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_support import result_text, run_cli, stdio_serve, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, start_emulator

pytestmark = pytest.mark.anyio

EXIT_CONFIG = 2
API_KEY = "key-for-the-emulator-7"
ANSWER = {
    "200": {
        "description": "ok",
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}
            }
        },
    }
}


def _operation(operation_id: str, security: list[dict[str, list[str]]]) -> dict[str, Any]:
    return {"operationId": operation_id, "security": security, "responses": ANSWER}


def _spec(*, with_client_credentials: bool) -> dict[str, Any]:
    """Open and apiKey operations; optionally one more that only a client-credentials token
    can serve (its scheme's tokenUrl is relative, as in real specs)."""
    schemes: dict[str, Any] = {"key": {"type": "apiKey", "name": "X-Api-Key", "in": "header"}}
    paths: dict[str, Any] = {
        "/status": {"get": _operation("Status", [])},
        "/items": {"get": _operation("ListItems", [{"key": []}])},
    }
    if with_client_credentials:
        schemes["cc"] = {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {"items:write": ""}}
            },
        }
        paths["/items/sync"] = {"post": _operation("SyncItems", [{"cc": ["items:write"]}])}
    return {
        "openapi": "3.0.3",
        "info": {"title": "no-oauth", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "components": {"securitySchemes": schemes},
        "paths": paths,
    }


def _write(tmp_path: Path, name: str, document: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def open_spec(tmp_path: Path) -> Path:
    return _write(tmp_path, "open.json", _spec(with_client_credentials=False))


@pytest.fixture
def mixed_spec(tmp_path: Path) -> Path:
    return _write(tmp_path, "mixed.json", _spec(with_client_credentials=True))


@pytest.fixture
def emulator_for(request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    """An emulator serving the spec fixture named by the test's parameter."""
    path: Path = request.getfixturevalue(request.param)
    handle = start_emulator(EmulatorConfig(spec_path=str(path)))
    try:
        yield handle
    finally:
        handle.stop()


def no_oauth_env(handle: EmulatorHandle, **extra: str) -> dict[str, str]:
    """The spec, the API and the API key: not one OAUTH_* variable (the CLI tests run in an
    empty tmp_path, so no .env can bring OAuth variables in either)."""
    env = {
        "OPENAPI_SPEC": str(handle.config.spec_path),
        "API_BASE_URL": handle.base_url,
        "OPENAPI_CREDENTIAL_KEY": API_KEY,
        "LOG_LEVEL": "INFO",
        **extra,
    }
    assert not [name for name in env if name.startswith("OAUTH_")]
    return env


def api_calls(handle: EmulatorHandle) -> dict[str, Any]:
    return {r.operation_id: r for r in handle.control.requests if r.kind == "api"}


async def _stdio_session(
    env: dict[str, str], cwd: Path, calls: list[str]
) -> tuple[list[str], dict[str, Any], dict[str, Any], str]:
    """Run `ozon-mcp serve` over stdio: the tool names, each call's result, auth_status, stderr."""
    stderr_path = cwd / "stderr.log"
    async with stdio_serve(subprocess_env(env), stderr_path) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        results = {name: await client.call_tool(name, {}) for name in calls}
        status = await client.call_tool("auth_status", {})
    assert not status.is_error, result_text(status)
    assert status.structured_content is not None
    return names, results, dict(status.structured_content), stderr_path.read_text("utf-8")


@pytest.mark.parametrize("emulator_for", ["open_spec"], indirect=True)
async def test_serve_without_any_oauth_variable_calls_open_and_api_key_tools(
    emulator_for: EmulatorHandle, tmp_path: Path
) -> None:
    names, results, status, stderr = await _stdio_session(
        no_oauth_env(emulator_for), tmp_path, ["Status", "ListItems"]
    )
    assert sorted(names) == ["ListItems", "Status", "auth_status"]
    for name, result in results.items():
        assert not result.is_error, f"{name}: {result_text(result)}"
    assert (status["state"], status["token_requests"]) == ("not_used", 0)
    assert "no exposed tool needs an OAuth client-credentials token" in status["oauth"]
    assert emulator_for.control.token_requests == 0  # not even in the background
    calls = api_calls(emulator_for)
    assert (calls["Status"].status, calls["Status"].token_fingerprint) == (200, None)
    assert calls["ListItems"].status == 200  # the emulator admits it only with X-Api-Key
    assert calls["ListItems"].token_fingerprint is None
    assert "Traceback" not in stderr
    assert API_KEY not in stderr
    assert "none is requested" in stderr


@pytest.mark.parametrize("emulator_for", ["mixed_spec"], indirect=True)
async def test_hiding_the_only_token_tool_needs_no_oauth_and_fetches_no_token(
    emulator_for: EmulatorHandle, tmp_path: Path
) -> None:
    """OAUTH_* set and valid, but the one tool that would use a token is not exposed: no token
    is requested at start-up or later."""
    env = {
        **no_oauth_env(emulator_for, OZON_MCP_EXCLUDE_TOOLS="SyncItems"),
        "OAUTH_CLIENT_ID": emulator_for.config.client_id,
        "OAUTH_CLIENT_SECRET": emulator_for.config.secret_value,
    }
    names, results, status, stderr = await _stdio_session(env, tmp_path, ["ListItems"])
    assert sorted(names) == ["ListItems", "Status", "auth_status"]
    assert not results["ListItems"].is_error, result_text(results["ListItems"])
    assert status["state"] == "not_used"
    assert emulator_for.control.token_requests == 0
    assert emulator_for.config.secret_value not in stderr


@pytest.mark.parametrize("emulator_for", ["open_spec"], indirect=True)
def test_check_passes_without_any_oauth_variable(
    emulator_for: EmulatorHandle, tmp_path: Path
) -> None:
    done = run_cli(["check", "--probe", "ListItems"], tmp_path, no_oauth_env(emulator_for))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[1] OK    configuration")
    assert lines[1].startswith("[2] OK    OpenAPI spec: no-oauth: 2 tools")
    assert lines[2] == "[3] OK    access token: not used: no exposed tool needs an OAuth token"
    assert lines[3].startswith("[4] OK    probe ListItems: answered")
    assert emulator_for.control.token_requests == 0
    assert api_calls(emulator_for)["ListItems"].status == 200


@pytest.mark.parametrize("emulator_for", ["mixed_spec"], indirect=True)
@pytest.mark.parametrize("command", ["serve", "check"])
def test_one_token_tool_makes_the_client_credentials_required_again(
    emulator_for: EmulatorHandle, tmp_path: Path, command: str
) -> None:
    env = no_oauth_env(emulator_for)
    done = run_cli([command], tmp_path, env)
    assert done.returncode == EXIT_CONFIG, done.stdout + done.stderr
    said = done.stderr if command == "serve" else done.stdout
    assert "OAUTH_CLIENT_ID is not set" in said
    assert "OAUTH_CLIENT_SECRET is not set" in said
    assert "1 exposed tool(s) need an OAuth client-credentials token (SyncItems)" in said
    assert "OZON_MCP_EXCLUDE_TOOLS" in said
    if command == "serve":
        assert done.stdout == ""  # stdout belongs to the protocol
        assert "Traceback" not in done.stderr
    else:
        assert said.startswith("[1] FAIL  configuration")
    assert emulator_for.control.token_requests == 0
    assert api_calls(emulator_for) == {}


@pytest.mark.parametrize("emulator_for", ["mixed_spec"], indirect=True)
def test_serve_with_only_the_client_id_names_the_secret(
    emulator_for: EmulatorHandle, tmp_path: Path
) -> None:
    env = no_oauth_env(emulator_for)
    env["OAUTH_CLIENT_ID"] = emulator_for.config.client_id
    done = run_cli(["serve"], tmp_path, env)
    assert done.returncode == EXIT_CONFIG
    problems = [line for line in done.stderr.splitlines() if line.strip().startswith("- ")]
    assert "OAUTH_CLIENT_SECRET is not set" in problems[0]
    assert not [line for line in problems if "OAUTH_CLIENT_ID" in line]


@pytest.mark.parametrize("emulator_for", ["mixed_spec"], indirect=True)
def test_tools_json_needs_no_credentials_and_says_which_tool_lacks_them(
    emulator_for: EmulatorHandle, tmp_path: Path
) -> None:
    done = run_cli(["tools", "--json"], tmp_path, no_oauth_env(emulator_for))
    assert done.returncode == 0, done.stderr
    tools = {tool["name"]: tool["auth"] for tool in json.loads(done.stdout)["tools"]}
    assert tools["Status"] == {"type": "none"}
    assert tools["ListItems"] == {"type": "api_key", "scheme": "key"}
    assert tools["SyncItems"]["type"] == "unavailable"
    assert "OAUTH_CLIENT_ID" in tools["SyncItems"]["reason"]
    assert API_KEY not in done.stdout + done.stderr
    assert emulator_for.control.requests == []  # it never contacts the network


@pytest.mark.parametrize("emulator_for", ["open_spec"], indirect=True)
async def test_http_service_without_oauth_is_ready_at_once_and_stops_cleanly(
    emulator_for: EmulatorHandle, tmp_path: Path
) -> None:
    import signal

    import httpx2
    from mcp import Client
    from test_mcp_transports import http_serve

    env = subprocess_env(no_oauth_env(emulator_for))
    with http_serve(env, tmp_path) as (process, port, stderr_path):
        async with httpx2.AsyncClient() as raw:
            ready = await raw.get(f"http://127.0.0.1:{port}/readyz")
            metrics = await raw.get(f"http://127.0.0.1:{port}/metrics")
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            listed = await client.call_tool("ListItems", {})
        process.send_signal(signal.SIGINT)
        exit_code = process.wait(15)
    stderr = stderr_path.read_text(encoding="utf-8")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "token_state": "not_used"},
    )
    assert metrics.status_code == 200
    for outcome in ("success", "failure"):
        assert f'ozon_mcp_token_requests_total{{outcome="{outcome}"}} 0.0' in metrics.text
    assert not listed.is_error, result_text(listed)
    assert exit_code == 0
    assert "Traceback" not in stderr
    assert "closing the" not in stderr  # nothing token-related was built, so nothing to close
    assert emulator_for.control.token_requests == 0
