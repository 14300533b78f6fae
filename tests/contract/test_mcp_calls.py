"""tools/call over a real MCP session on the real container: what reaches the wire (emulator
request log, and a recording server for exact bodies), validation before any upstream call,
error mapping, truncation, and no secret or token in any result."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from dependency_injector import providers
from mcp import MCPError
from mcp.types import INVALID_PARAMS
from mcp_support import (
    McpSession,
    closed_port_url,
    emulator_settings,
    mcp_session,
    recording_upstream,
    result_text,
)

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.adapters.mcp.upstream import UpstreamClient
from ozon_mcp.app.container import Container

pytestmark = pytest.mark.anyio
# One emulator for the module, reset before each test (see conftest).
SHARED_EMULATOR = True

MODES = ["auto", "legacy"]


def api_requests(emulator: EmulatorHandle) -> list[tuple[str | None, str, str, int | None]]:
    """(operation_id, path, query, status) of every API call the emulator received."""
    return [
        (r.operation_id, r.path, r.query, r.status)
        for r in emulator.control.requests
        if r.kind != "token"
    ]


def assert_nothing_leaked(session: McpSession, emulator: EmulatorHandle) -> None:
    shown = session.everything_shown()
    assert shown, "the session returned nothing to check"
    for token in emulator.control.issued_tokens():
        assert token not in shown
    assert emulator.config.secret_value not in shown


@pytest.mark.parametrize("mode", MODES)
async def test_query_and_path_parameters_reach_the_wire(
    emulator: EmulatorHandle, mode: str
) -> None:
    async with mcp_session(emulator_settings(emulator), mode=mode) as session:
        listed = await session.call(
            "ListCampaigns",
            {
                "campaignIds": ["11", "12"],
                "state": "CAMPAIGN_STATE_RUNNING",
                "page": 2,
                "pageSize": 3,
            },
        )
        assert not listed.is_error, result_text(listed)
        assert isinstance(listed.structured_content, dict)
        assert "list" in listed.structured_content
        objects = await session.call("ListCampaignObjects", {"campaignId": "777"})
        assert not objects.is_error, result_text(objects)
        products = await session.call("GetProductsV2", {"campaignId": "5", "pageSize": 10})
        assert not products.is_error, result_text(products)
        assert_nothing_leaked(session, emulator)
    calls = api_requests(emulator)
    assert [(op, path, status) for op, path, _query, status in calls] == [
        ("ListCampaigns", "/api/client/campaign", 200),
        ("ListCampaignObjects", "/api/client/campaign/777/objects", 200),
        ("GetProductsV2", "/api/client/campaign/5/v2/products", 200),
    ]
    # OpenAPI's default form/explode style: one pair per array item.
    assert sorted(parse_qsl(calls[0][2])) == sorted(
        [
            ("campaignIds", "11"),
            ("campaignIds", "12"),
            ("state", "CAMPAIGN_STATE_RUNNING"),
            ("page", "2"),
            ("pageSize", "3"),
        ]
    )
    assert calls[1][2] == ""
    assert parse_qsl(calls[2][2]) == [("pageSize", "10")]


async def test_activate_campaign_posts_a_json_body_the_emulator_accepts(
    emulator: EmulatorHandle,
) -> None:
    async with mcp_session(emulator_settings(emulator)) as session:
        result = await session.call("ActivateCampaign", {"campaignId": "42"})
        assert not result.is_error, result_text(result)
    [call] = [r for r in emulator.control.requests if r.kind == "api"]
    assert (call.method, call.path, call.status) == (
        "POST",
        "/api/client/campaign/42/activate",
        200,
    )
    assert call.body_format == "json"


async def test_exact_requests_on_the_wire(emulator: EmulatorHandle) -> None:
    """Bodies byte for byte: the token comes from the emulator, the API is a recorder."""
    with recording_upstream() as upstream:
        settings = emulator_settings(emulator, api_base_url=upstream.base_url)
        async with mcp_session(settings) as session:
            body = {
                "campaigns": ["1", "2"],
                "from": "2024-01-01T00:00:00Z",
                "to": "2024-01-07T00:00:00Z",
                "groupBy": "DATE",
            }
            for name, arguments in [
                ("ActivateCampaign", {"campaignId": "42"}),
                ("SubmitRequest", body),
                ("GetLimitsList", {}),
            ]:
                result = await session.call(name, arguments)
                assert not result.is_error, f"{name}: {result_text(result)}"
            # A uint64 id is digits only: a path in it is refused before any request.
            climbing = await session.call("ListCampaignObjects", {"campaignId": "1/../limits"})
            assert climbing.is_error
            assert "'campaignId'" in result_text(climbing)
    activate, submit, limits = upstream.calls
    assert (activate.method, activate.raw_path) == ("POST", "/api/client/campaign/42/activate")
    assert activate.body == b"{}"
    assert activate.headers["content-type"].startswith("application/json")
    assert (submit.method, submit.raw_path) == ("POST", "/api/client/statistics")
    assert submit.json() == body
    assert (limits.method, limits.raw_path, limits.body) == ("GET", "/api/client/limits/list", b"")
    assert "content-type" not in limits.headers
    issued = emulator.control.issued_tokens()
    for call in upstream.calls:
        scheme, _, token = call.headers["authorization"].partition(" ")
        assert scheme == "Bearer"
        assert token in issued


COLLISION_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Items", "version": "1"},
    "paths": {
        "/items/{id}": {
            "put": {
                "operationId": "UpdateItem",
                "summary": "Replace an item",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "dryRun", "in": "query", "schema": {"type": "boolean"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["id", "name"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "name": {"type": "string"},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                },
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/items/{id}/notes": {
            "post": {
                "operationId": "AddNotes",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"type": "string"}}
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}


async def test_flattened_body_collisions_and_non_object_bodies(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    spec_file = tmp_path / "items.json"
    spec_file.write_text(json.dumps(COLLISION_SPEC), encoding="utf-8")
    with recording_upstream() as upstream:
        settings = emulator_settings(
            emulator,
            api_base_url=upstream.base_url,
            openapi_spec=str(spec_file),
            oauth_token_request_format="json",  # another spec defaults to a form body
        )
        async with mcp_session(settings) as session:
            tools = {t.name: t for t in (await session.client.list_tools()).tools}
            update = tools["UpdateItem"].input_schema
            assert set(update["properties"]) == {"id", "dryRun", "body_id", "name", "tags"}
            assert {"id", "body_id", "name"} <= set(update["required"])
            assert update["properties"]["body_id"]["type"] == "integer"
            assert set(tools["AddNotes"].input_schema["properties"]) == {"id", "body"}
            updated = await session.call(
                "UpdateItem",
                {"id": "a b", "dryRun": True, "body_id": 7, "name": "n", "tags": ["x"]},
            )
            assert not updated.is_error, result_text(updated)
            noted = await session.call("AddNotes", {"id": "1", "body": ["a", "b"]})
            assert not noted.is_error, result_text(noted)
            for climbing in ("1/../../other", ".."):
                result = await session.call("AddNotes", {"id": climbing, "body": []})
                assert not result.is_error, result_text(result)
    put, post, traversal, dots = upstream.calls
    # A free-form path argument is one percent-encoded segment: it cannot climb elsewhere.
    assert traversal.raw_path == "/items/1%2F..%2F..%2Fother/notes"
    assert dots.raw_path == "/items/%2E%2E/notes"
    assert (put.method, put.path, put.query) == ("PUT", "/items/a%20b", [("dryRun", "true")])
    assert put.json() == {"id": 7, "name": "n", "tags": ["x"]}
    assert (post.method, post.path) == ("POST", "/items/1/notes")
    assert post.json() == ["a", "b"]


@pytest.mark.parametrize("mode", MODES)
async def test_invalid_arguments_are_refused_before_any_upstream_call(
    emulator: EmulatorHandle, mode: str
) -> None:
    cases = [
        ("ListCampaigns", {"page": "two"}, "page"),
        ("ListCampaignObjects", {}, "campaignId"),
        ("GetLimitsList", {"bogus": 1}, "bogus"),
        ("SubmitRequest", {"campaigns": "1000001"}, "campaigns"),
        ("SubmitRequest", {"campaigns": ["1"], "groupBy": "HOURLY"}, "groupBy"),
        ("ListCampaigns", {"state": 5}, "state"),
        # Formats are asserted, not annotations: these never reach the emulator's own check.
        ("SubmitRequest", {"campaigns": ["1"], "from": "not-a-date"}, "from"),
        ("SubmitRequest", {"campaigns": ["1"], "to": "2024-02-30T00:00:00Z"}, "to"),
        ("ListCampaignObjects", {"campaignId": "12ab"}, "campaignId"),
        ("SubmitRequest", {"campaigns": [-1]}, "campaigns[0]"),
    ]
    async with mcp_session(emulator_settings(emulator), mode=mode) as session:
        for name, arguments, argument in cases:
            result = await session.call(name, arguments)
            text = result_text(result)
            assert result.is_error, f"{name}({arguments}) was accepted"
            assert "invalid arguments" in text, text
            assert repr(argument) in text, text
    assert emulator.control.api_calls == 0
    assert api_requests(emulator) == []


@pytest.mark.parametrize("mode", MODES)
async def test_an_unknown_tool_is_a_protocol_error_not_a_tool_result(
    emulator: EmulatorHandle, mode: str
) -> None:
    # MCP spec, tools/call errors: an unknown tool is a JSON-RPC error -32602 (invalid params).
    async with mcp_session(emulator_settings(emulator), mode=mode) as session:
        with pytest.raises(MCPError) as raised:
            await session.call("NoSuchOperation", {"page": 1})
        listed = await session.call("GetLimitsList", {})  # the session is still usable
    assert raised.value.code == INVALID_PARAMS == -32602
    assert "Unknown tool: NoSuchOperation" in raised.value.message
    assert "tools/list" in raised.value.message
    assert raised.value.data == {"tool": "NoSuchOperation"}
    assert not listed.is_error, result_text(listed)
    assert [op for op, *_rest in api_requests(emulator)] == ["GetLimitsList"]


@pytest.mark.parametrize("mode", MODES)
async def test_upstream_errors_become_error_results_naming_status_and_message(
    emulator: EmulatorHandle, mode: str
) -> None:
    async with mcp_session(emulator_settings(emulator), mode=mode) as session:
        for status in (400, 401, 404, 429, 500):
            message = f"the upstream says no ({status})"
            emulator.control.set_operation_fault(
                "GetLimitsList", status=status, body=json.dumps({"error": message}).encode()
            )
            result = await session.call("GetLimitsList")
            text = result_text(result)
            assert result.is_error, f"HTTP {status} was reported as success: {text}"
            assert f"HTTP {status}" in text, text
            assert message in text, text
            emulator.control.clear_faults()
        # A real 400 from the emulator's own validation (more than 10 campaigns per report).
        too_many = [str(1000 + n) for n in range(11)]
        refused = await session.call("SubmitRequest", {"campaigns": too_many})
        assert refused.is_error
        assert "HTTP 400" in result_text(refused)
        assert "campaigns" in result_text(refused)
        assert_nothing_leaked(session, emulator)
    statuses = [status for op, _p, _q, status in api_requests(emulator) if op == "GetLimitsList"]
    # 401 is retried once with a new token (the auth recovers from revocations), then reported;
    # a 429 on a GET is retried twice (jittered backoff, no Retry-After), then reported.
    assert statuses == [400, 401, 401, 404, 429, 429, 429, 500]


async def test_network_failures_say_what_to_fix(emulator: EmulatorHandle) -> None:
    unreachable = closed_port_url()
    async with mcp_session(emulator_settings(emulator, api_base_url=unreachable)) as session:
        result = await session.call("GetLimitsList")
        text = result_text(result)
        assert result.is_error
        assert "cannot reach" in text
        assert unreachable in text
        assert "API_BASE_URL" in text
    async with mcp_session(emulator_settings(emulator)) as session:
        emulator.control.set_operation_fault("ListCampaigns", drop_connection=True, count=1)
        dropped = await session.call("ListCampaigns")
        assert dropped.is_error
        assert "API_BASE_URL" in result_text(dropped)
        again = await session.call("ListCampaigns")  # the pool recovers from the lost socket
        assert not again.is_error, result_text(again)


async def test_large_answers_are_truncated_with_a_true_note(emulator: EmulatorHandle) -> None:
    limit = 1000
    big_json = json.dumps({"limits": "y" * 5000}, separators=(",", ":")).encode()
    big_csv = ("date;clicks\n" + "2024-01-01;1\n" * 400).encode()
    settings = emulator_settings(emulator, ozon_mcp_max_response_bytes=limit)
    async with mcp_session(settings) as session:
        small = await session.call("ListCampaigns")
        assert not small.is_error
        assert "truncated" not in result_text(small)
        assert isinstance(small.structured_content, dict)
        assert small.structured_content["list"]

        emulator.control.set_operation_fault("GetLimitsList", status=200, body=big_json, count=1)
        cut = await session.call("GetLimitsList")
        text = result_text(cut)
        assert not cut.is_error
        assert cut.structured_content is None  # a cut JSON document is not structured content
        shown, _, note = text.partition("[truncated")
        assert len(shown.encode()) <= limit + 2
        assert f"of {len(big_json)} bytes" in note, note

        emulator.control.set_operation_fault(
            "GetLimitsList",
            status=200,
            body=big_csv,
            headers={"Content-Type": "text/csv"},
            count=1,
        )
        csv = result_text(await session.call("GetLimitsList"))
        assert csv.startswith("date;clicks\n2024-01-01;1")
        assert f"of {len(big_csv)} bytes" in csv


async def test_an_answer_beyond_the_read_limit_says_how_big_it_was(
    emulator: EmulatorHandle,
) -> None:
    settings = emulator_settings(emulator, ozon_mcp_max_response_bytes=1000)
    container = Container(settings=settings)
    # The read limit is normally 16 MiB or more; a small one shows what happens beyond it.
    container.upstream.override(
        providers.Singleton(UpstreamClient, emulator.base_url, container.auth, max_body_bytes=2000)
    )
    huge = json.dumps({"limits": "z" * 9000}).encode()
    async with mcp_session(settings, container=container) as session:
        emulator.control.set_operation_fault("GetLimitsList", status=200, body=huge, count=1)
        text = result_text(await session.call("GetLimitsList"))
    assert "[truncated" in text
    assert f"the answer had {len(huge)} bytes; ozon-mcp read only the first 2001" in text


async def test_tokens_and_secrets_never_appear_in_results(emulator: EmulatorHandle) -> None:
    secret = emulator.config.secret_value
    settings = emulator_settings(emulator, ozon_mcp_max_response_bytes=1000)
    async with mcp_session(settings) as session:
        assert not (await session.call("GetLimitsList")).is_error
        [token] = emulator.control.issued_tokens()
        echoes = [
            (200, json.dumps({"echo": token, "secret": secret}).encode(), {}),
            (400, json.dumps({"error": f"bad token {token}"}).encode(), {}),
            (500, f"<html><title>{secret}</title></html>".encode(), {"Content-Type": "text/html"}),
            # The token straddles the truncation edge: no fragment of it may survive the cut.
            (
                200,
                b"a" * (1005 - len(token)) + token.encode() + b"b" * 2000,
                {"Content-Type": "text/plain"},
            ),
        ]
        for status, body, headers in echoes:
            emulator.control.set_operation_fault(
                "GetLimitsList", status=status, body=body, headers=headers, count=1
            )
            await session.call("GetLimitsList")
        straddling = result_text(session.results[-1])
        assert "truncated" in straddling
        assert token[: len(token) // 2] not in straddling
        status = await session.call("auth_status")
        assert status.structured_content
        assert status.structured_content["state"] == "valid"
        assert_nothing_leaked(session, emulator)
        assert "[REDACTED]" in session.everything_shown()
