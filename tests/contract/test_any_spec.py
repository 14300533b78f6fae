"""Any vendor's spec end to end: the three shared specs served by `emulator --spec`, called
through real MCP sessions over loopback; tokens carry exactly the scopes the operation needs,
open operations carry none, and the per-operation strategy keeps one token per scope set."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp_support import McpSession, closed_port_url, result_text, stdio_serve, subprocess_env
from pydantic import SecretStr

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, start_emulator
from ozon_mcp.app.container import Container
from ozon_mcp.app.settings import Settings

pytestmark = pytest.mark.anyio

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
PAYPAL = SPECS / "paypal-notifications-webhooks-v1.openapi.json"
HMRC = SPECS / "hmrc-hello-world-1.0.openapi.json"
VIRTO = SPECS / "virto-commerce-inventory.openapi.json"
WEBHOOKS = "https://uri.paypal.com/services/applications/webhooks"
VERIFY = "https://uri.paypal.com/services/applications/verify-webhook-signature"


@pytest.fixture
def spec_emulator(request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    """An emulator serving the spec named by the test's parameter."""
    path: Path = request.param
    handle = start_emulator(EmulatorConfig(spec_path=str(path)))
    try:
        yield handle
    finally:
        handle.stop()


def settings_for(handle: EmulatorHandle, path: Path, **values: Any) -> Settings:
    """Credentials and the spec; the API base URL is the emulator's. No token URL unless given:
    the spec's (relative) tokenUrl is resolved against the API base URL."""
    base: dict[str, Any] = {
        "oauth_client_id": handle.config.client_id,
        "oauth_client_secret": SecretStr(handle.config.secret_value),
        "api_base_url": handle.base_url,
        "openapi_spec": str(path),
        "log_level": "WARNING",
    }
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[call-arg]


@asynccontextmanager
async def session_for(settings: Settings) -> AsyncIterator[McpSession]:
    from mcp import Client

    container = Container(settings=settings)
    try:
        async with Client(container.mcp_server(), mode="auto") as client:
            yield McpSession(client, container)
    finally:
        await container.upstream().aclose()
        await container.auth().aclose()
        await container.token_provider().aclose()


def api_calls(handle: EmulatorHandle) -> list[Any]:
    return [r for r in handle.control.requests if r.kind == "api"]


def token_requests(handle: EmulatorHandle) -> list[Any]:
    return [r for r in handle.control.requests if r.kind == "token"]


@pytest.mark.parametrize("spec_emulator", [PAYPAL], indirect=True)
async def test_paypal_union_token_and_the_undeclared_operation(
    spec_emulator: EmulatorHandle,
) -> None:
    assert spec_emulator.token_url.endswith("/v1/oauth2/token")
    async with session_for(settings_for(spec_emulator, PAYPAL)) as session:
        listed = [tool.name for tool in (await session.client.list_tools()).tools]
        assert len(listed) == 17  # 16 operations + auth_status
        listed_result = await session.call("webhooks.list", {"anchor_type": "APPLICATION"})
        assert not listed_result.is_error, result_text(listed_result)
        undeclared = await session.call("webhooks-event-types.list")
        assert not undeclared.is_error, result_text(undeclared)
    [token] = token_requests(spec_emulator)
    assert token.body_format == "form"  # RFC 6749 for any spec but Ozon's
    assert token.client_auth == "post"
    assert token.scope == f"{VERIFY} {WEBHOOKS}"  # the union of the exposed tools' scopes
    calls = api_calls(spec_emulator)
    assert [(c.operation_id, c.status) for c in calls] == [
        ("webhooks.list", 200),
        ("webhooks-event-types.list", 200),
    ]
    assert {c.token_fingerprint for c in calls} == {token.token_fingerprint}


@pytest.mark.parametrize("spec_emulator", [PAYPAL], indirect=True)
async def test_paypal_per_operation_strategy_one_token_per_scope_set(
    spec_emulator: EmulatorHandle,
) -> None:
    settings = settings_for(spec_emulator, PAYPAL, oauth_scope_strategy="per-operation")
    verify_args = {
        "auth_algo": "SHA256withRSA",
        "cert_url": "https://example.com/cert.pem",
        "transmission_id": "t1",
        "transmission_sig": "sig",
        "transmission_time": "2024-01-01T00:00:00Z",
        "webhook_id": "WH1",
        "webhook_event": {"id": "E-1"},
    }
    async with session_for(settings) as session:
        for name, arguments in [
            ("webhooks.list", {}),
            ("verify-webhook-signature.post", verify_args),
            ("webhooks.get", {"webhook_id": "WH-1"}),
            ("webhooks-event-types.list", {}),
            ("verify-webhook-signature.post", verify_args),
        ]:
            result = await session.call(name, arguments)
            assert not result.is_error, f"{name}: {result_text(result)}"
        status = (await session.call("auth_status")).structured_content
    assert status is not None
    assert (status["token_providers"], status["token_requests"]) == (3, 3)
    scopes = sorted(t.scope or "" for t in token_requests(spec_emulator))
    # One token per distinct scope set: webhooks, webhooks+verify, and none (undeclared op).
    assert scopes == sorted(["", WEBHOOKS, f"{VERIFY} {WEBHOOKS}"])
    by_operation = {c.operation_id: c.scope or "" for c in api_calls(spec_emulator)}
    assert by_operation == {
        "webhooks.list": WEBHOOKS,
        "verify-webhook-signature.post": f"{VERIFY} {WEBHOOKS}",
        "webhooks.get": WEBHOOKS,
        "webhooks-event-types.list": "",
    }


@pytest.mark.parametrize("spec_emulator", [PAYPAL], indirect=True)
async def test_a_token_lacking_the_scope_gets_403_insufficient_scope(
    spec_emulator: EmulatorHandle,
) -> None:
    settings = settings_for(spec_emulator, PAYPAL, oauth_scope="something-else")
    async with session_for(settings) as session:
        result = await session.call("webhooks.list")
    assert result.is_error
    assert "insufficient_scope" in result_text(result)
    assert [c.status for c in api_calls(spec_emulator)] == [403]


@pytest.mark.parametrize("spec_emulator", [HMRC], indirect=True)
async def test_hmrc_open_operation_carries_no_token_and_user_restricted_is_refused(
    spec_emulator: EmulatorHandle,
) -> None:
    assert spec_emulator.token_url.endswith("/oauth/token")
    # The spec's token URL is HMRC's production host: point it at the emulator.
    settings = settings_for(spec_emulator, HMRC, oauth_token_url=spec_emulator.token_url)
    accept = {"Accept": "application/vnd.hmrc.1.0+json"}
    async with session_for(settings) as session:
        names = sorted(tool.name for tool in (await session.client.list_tools()).tools)
        assert names == [
            "auth_status",
            "get_hello_application",
            "get_hello_user",
            "get_hello_world",
        ]
        world = await session.call("get_hello_world", accept)
        assert not world.is_error, result_text(world)
        user = await session.call("get_hello_user", accept)
        assert user.is_error
        assert "get_hello_user cannot be called" in result_text(user)
        assert "authorizationCode" in result_text(user)
        application = await session.call("get_hello_application", accept)
        assert not application.is_error, result_text(application)
    calls = api_calls(spec_emulator)
    assert [(c.path, c.token_fingerprint is None) for c in calls] == [
        ("/hello/world", True),
        ("/hello/application", False),
    ]  # the open call carried no token; nothing was sent for the refused operation
    [token] = token_requests(spec_emulator)
    assert token.scope is None


@pytest.mark.parametrize("spec_emulator", [VIRTO], indirect=True)
async def test_virto_relative_token_url_and_per_operation_scopes(
    spec_emulator: EmulatorHandle,
) -> None:
    assert spec_emulator.token_url.endswith("/connect/token")
    settings = settings_for(spec_emulator, VIRTO, oauth_scope_strategy="per-operation")
    async with session_for(settings) as session:
        names = [tool.name for tool in (await session.client.list_tools()).tools]
        assert len(names) == 17
        assert "InventoryModule_GetProductInventories_2" in names
        center = await session.call("InventoryModule_GetFulfillmentCenter", {"id": "fc-1"})
        assert not center.is_error, result_text(center)
        product = await session.call("InventoryModule_GetProductInventories", {"productId": "p"})
        assert not product.is_error, result_text(product)
    assert sorted(t.scope or "" for t in token_requests(spec_emulator)) == [
        "inventory:fulfillment:read",
        "inventory:read",
    ]
    assert [(c.status, c.scope) for c in api_calls(spec_emulator)] == [
        (200, "inventory:fulfillment:read"),
        (200, "inventory:read"),
    ]


async def test_an_api_key_alternative_listed_first_is_sent_instead_of_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A variant of the Virto spec (built here, never edited in place) that prefers the key.
    document = json.loads(VIRTO.read_text(encoding="utf-8"))
    operation = document["paths"]["/api/inventory/fulfillmentcenters/{id}"]["get"]
    operation["security"] = [{"api_key_header": []}, {"oauth2": ["inventory:fulfillment:read"]}]
    variant = tmp_path / "virto-key-first.json"
    variant.write_text(json.dumps(document), encoding="utf-8")
    key = "virto-key-7f3a"
    monkeypatch.setenv("OPENAPI_CREDENTIAL_API_KEY_HEADER", key)
    handle = start_emulator(EmulatorConfig(spec_path=str(variant)))
    try:
        async with session_for(settings_for(handle, variant)) as session:
            result = await session.call("InventoryModule_GetFulfillmentCenter", {"id": "x"})
            assert not result.is_error, result_text(result)
            assert key not in session.everything_shown()
        [call] = api_calls(handle)
        assert (call.status, call.token_fingerprint) == (200, None)  # the key, not a token
    finally:
        handle.stop()


def test_emulator_cli_serves_a_spec_and_prints_its_token_url() -> None:
    from ozon_mcp.adapters.emulator.cli import banner
    from ozon_mcp.adapters.openapi import load_spec

    config = EmulatorConfig(spec_path=str(VIRTO))
    text = banner(config, "http://127.0.0.1:9", load_spec(VIRTO))
    assert "token endpoint: http://127.0.0.1:9/connect/token (JSON, form and HTTP Basic)" in text
    assert f"OPENAPI_SPEC={VIRTO}" in text


def test_tools_json_from_the_command_line_is_pure_json_without_secrets(tmp_path: Path) -> None:
    secret = "cli-secret-never-printed"
    env = subprocess_env(
        {
            "OAUTH_CLIENT_ID": "id",
            "OAUTH_CLIENT_SECRET": secret,
            "OPENAPI_SPEC": str(PAYPAL),
            # Unreachable on purpose: `tools` must not contact anything.
            "OAUTH_TOKEN_URL": closed_port_url() + "/token",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "ozon_mcp.app.cli", "tools", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr
    found = json.loads(done.stdout)
    assert found["token_url_source"] == "env"
    assert found["api_base_url"] == "https://api-m.sandbox.paypal.com"
    assert len(found["tools"]) == 16
    assert {tool["auth"]["type"] for tool in found["tools"]} == {"oauth2_client_credentials"}


SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Pets", "version": "1"},
    "host": "pets.example.com",
    "basePath": "/",
    "schemes": ["https"],
    "securityDefinitions": {
        "app": {
            "type": "oauth2",
            "flow": "application",
            "tokenUrl": "https://auth.pets.example.com/oauth/token",
            "scopes": {"pets:read": "read", "pets:write": "write"},
            "x-tokenEndpointAuthMethod": "client_secret_basic",
        }
    },
    "security": [{"app": ["pets:read"]}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "produces": ["application/json"],
                "responses": {
                    "200": {
                        "description": "ok",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    }
                },
            },
            "post": {
                "operationId": "addPet",
                "security": [{"app": ["pets:write"]}],
                "parameters": [
                    {
                        "name": "pet",
                        "in": "body",
                        "required": True,
                        "schema": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"name": {"type": "string"}},
                        },
                    }
                ],
                "responses": {"201": {"description": "created"}},
            },
        },
        "/health": {"get": {"operationId": "health", "security": [], "responses": {"200": {}}}},
    },
}


async def test_a_swagger_2_spec_end_to_end_with_basic_client_auth(tmp_path: Path) -> None:
    spec_path = tmp_path / "pets.swagger.json"
    spec_path.write_text(json.dumps(SWAGGER), encoding="utf-8")
    handle = start_emulator(EmulatorConfig(spec_path=str(spec_path)))
    try:
        assert handle.token_url.endswith("/oauth/token")
        settings = settings_for(
            handle,
            spec_path,
            oauth_token_url=handle.token_url,
            oauth_scope_strategy="per-operation",
        )
        async with session_for(settings) as session:
            for name, arguments in [("listPets", {}), ("addPet", {"name": "Rex"}), ("health", {})]:
                result = await session.call(name, arguments)
                assert not result.is_error, f"{name}: {result_text(result)}"
        tokens = token_requests(handle)
        assert {(t.client_auth, t.body_format) for t in tokens} == {("basic", "form")}
        assert sorted(t.scope or "" for t in tokens) == ["pets:read", "pets:write"]
        calls = {c.operation_id: c for c in api_calls(handle)}
        assert calls["listPets"].scope == "pets:read"
        assert calls["addPet"].scope == "pets:write"
        assert calls["health"].token_fingerprint is None
    finally:
        handle.stop()


@pytest.mark.parametrize("spec_emulator", [PAYPAL], indirect=True)
def test_check_reports_what_the_spec_resolved_and_calls_a_probe(
    spec_emulator: EmulatorHandle,
) -> None:
    from ozon_mcp.app.check import run_check

    out = io.StringIO()
    code = run_check(settings_for(spec_emulator, PAYPAL), probe="webhooks.list", out=out)
    lines = out.getvalue().splitlines()
    assert code == 0, out.getvalue()
    assert "token URL from the spec" in lines[0]
    assert f"token URL {spec_emulator.token_url} (spec, form body, client auth post)" in lines[1]
    assert lines[3].startswith("[4] OK    probe webhooks.list")


@pytest.mark.parametrize("spec_emulator", [PAYPAL], indirect=True)
async def test_concurrent_calls_share_one_token_request_per_scope_set(
    spec_emulator: EmulatorHandle,
) -> None:
    import anyio

    spec_emulator.control.set_token_latency(0.2)  # every caller arrives while it is in flight
    settings = settings_for(spec_emulator, PAYPAL, oauth_scope_strategy="per-operation")
    async with session_for(settings) as session:
        results = []

        async def call(name: str) -> None:
            results.append(await session.call(name))

        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(call, "webhooks.list")
                group.start_soon(call, "webhooks-event-types.list")
        assert not [r for r in results if r.is_error]
    assert sorted(t.scope or "" for t in token_requests(spec_emulator)) == ["", WEBHOOKS]
    assert len(api_calls(spec_emulator)) == 16


@pytest.mark.parametrize("spec_emulator", [VIRTO], indirect=True)
async def test_stdio_serve_of_another_spec_with_only_its_env_lines(
    spec_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The emulator's own env lines (with OPENAPI_SPEC) are all `ozon-mcp serve` needs."""
    env = {**spec_emulator.env(), "LOG_LEVEL": "INFO"}
    del env["OAUTH_TOKEN_URL"]  # found in the spec (relative, resolved against API_BASE_URL)
    stderr_path = tmp_path / "stderr.log"
    async with stdio_serve(subprocess_env(env), stderr_path) as client:
        tools = (await client.list_tools()).tools
        result = await client.call_tool("InventoryModule_GetFulfillmentCenter", {"id": "a"})
    stderr = stderr_path.read_text(encoding="utf-8")
    assert len(tools) == 17
    assert not result.is_error, result_text(result)
    assert "serving 16 tools from" in stderr
    assert f"upstream {spec_emulator.base_url}" in stderr
    assert "Traceback" not in stderr
    assert spec_emulator.config.secret_value not in stderr
    [call] = api_calls(spec_emulator)
    assert (call.status, call.scope) == (200, VIRTO_SCOPES)


VIRTO_SCOPES = (
    "inventory:fulfillment:delete inventory:fulfillment:edit inventory:fulfillment:read "
    "inventory:read inventory:update"
)
