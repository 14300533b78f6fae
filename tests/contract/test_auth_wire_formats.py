"""Body format and client authentication, each checked on the wire via the emulator's log."""

from __future__ import annotations

import json

import httpx
import httpx2
import pytest
from auth_contract_support import LIMITS_PATH, make_auth, token_requests

from ozon_mcp.adapters.emulator import EmulatorHandle

COMBINATIONS = [("json", "post"), ("json", "basic"), ("form", "post"), ("form", "basic")]


@pytest.mark.parametrize(("request_format", "client_auth"), COMBINATIONS)
def test_each_format_and_client_authentication_reaches_the_wire_as_configured(
    generic_emulator: EmulatorHandle, request_format: str, client_auth: str
) -> None:
    auth = make_auth(generic_emulator, request_format=request_format, client_auth=client_auth)
    with httpx.Client(base_url=generic_emulator.base_url, auth=auth) as client:
        assert client.get(LIMITS_PATH).status_code == 200
    auth.close()
    (request,) = token_requests(generic_emulator)
    assert (request.body_format, request.client_auth, request.status) == (
        request_format,
        client_auth,
        200,
    )


@pytest.mark.anyio
async def test_the_default_is_the_json_body_with_credentials_that_ozon_documents(
    emulator: EmulatorHandle,
) -> None:
    auth = make_auth(emulator)
    async with httpx2.AsyncClient(base_url=emulator.base_url, auth=auth) as client:
        assert (await client.get(LIMITS_PATH)).status_code == 200
    await auth.aclose()
    (request,) = token_requests(emulator)
    assert (request.body_format, request.client_auth, request.method) == ("json", "post", "POST")


def test_a_request_body_is_replayed_after_a_401(emulator: EmulatorHandle) -> None:
    auth = make_auth(emulator)
    body = {"campaigns": ["1"], "dateFrom": "2026-01-01", "dateTo": "2026-01-02"}
    with httpx2.Client(base_url=emulator.base_url, auth=auth) as client:
        assert client.get(LIMITS_PATH).status_code == 200
        emulator.control.revoke_all_tokens()
        response = client.post("/api/client/statistics/json", json=body)
    auth.close()
    assert [r.status_code for r in response.history] == [401]
    assert response.status_code == 200, response.text  # an empty body would get a 400
    assert response.request.content == response.history[0].request.content
    assert json.loads(response.request.content) == body
