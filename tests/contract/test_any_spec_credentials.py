"""Each operation gets exactly its own credential, as the upstream receives it over loopback:
nothing for open operations, the API key where its scheme puts it, HTTP bearer/basic, a token,
both for an AND requirement; a requirement that cannot be met sends nothing. Form and multipart
bodies arrive encoded as their media types say."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from mcp_support import emulator_settings, mcp_session, recording_upstream, result_text

from ozon_mcp.adapters.emulator import EmulatorHandle

pytestmark = pytest.mark.anyio

KEY_Q, KEY_H, KEY_C = "query-key-1", "header-key-2", "cookie-key-3"
BEARER, BASIC_USER, BASIC_PASSWORD = "static-bearer-4", "ann", "pass-5"


def _op(operation_id: str, security: list[dict[str, list[str]]], **extra: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "security": security, "responses": {}, **extra}


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "credentials", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "components": {
        "securitySchemes": {
            "cc": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {"r": ""}}},
            },
            "keyQ": {"type": "apiKey", "name": "api_key", "in": "query"},
            "keyH": {"type": "apiKey", "name": "X-Api-Key", "in": "header"},
            "keyC": {"type": "apiKey", "name": "session", "in": "cookie"},
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "basic"},
            "other-basic": {"type": "http", "scheme": "basic"},
        }
    },
    "paths": {
        "/open": {"get": _op("Open", [])},
        "/q": {"get": _op("Query", [{"keyQ": []}])},
        "/h": {"get": _op("Header", [{"keyH": []}])},
        "/c": {"get": _op("Cookie", [{"keyC": []}])},
        "/b": {"get": _op("Bearer", [{"bearer": []}])},
        "/basic": {"get": _op("Basic", [{"basic": []}])},
        "/cc": {"get": _op("Token", [{"cc": ["r"]}])},
        "/both": {"get": _op("Both", [{"cc": [], "keyH": []}])},
        "/missing": {"get": _op("Missing", [{"other-basic": []}])},
        "/form": {
            "post": _op(
                "Form",
                [],
                requestBody={
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                    "n": {"type": "integer"},
                                },
                            }
                        }
                    },
                },
            )
        },
        "/upload": {
            "post": _op(
                "Upload",
                [],
                requestBody={
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "note": {"type": "string"},
                                    "file": {"type": "string", "format": "binary"},
                                },
                            }
                        }
                    }
                },
            )
        },
    },
}


@pytest.fixture
def spec_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps(SPEC), encoding="utf-8")
    monkeypatch.setenv("OPENAPI_CREDENTIAL_KEYQ", KEY_Q)
    monkeypatch.setenv("OPENAPI_CREDENTIAL_KEYH", KEY_H)
    monkeypatch.setenv("OPENAPI_CREDENTIAL_KEYC", KEY_C)
    monkeypatch.setenv("OPENAPI_CREDENTIAL_BEARER", BEARER)
    monkeypatch.setenv("OPENAPI_CREDENTIAL_BASIC_USERNAME", BASIC_USER)
    monkeypatch.setenv("OPENAPI_CREDENTIAL_BASIC_PASSWORD", BASIC_PASSWORD)
    return path


async def test_every_operation_gets_exactly_its_credential(
    generic_emulator: EmulatorHandle, spec_file: Path
) -> None:
    with recording_upstream() as upstream:
        settings = emulator_settings(
            generic_emulator, api_base_url=upstream.base_url, openapi_spec=str(spec_file)
        )
        async with mcp_session(settings) as session:
            for name in ("Open", "Query", "Header", "Cookie", "Bearer", "Basic", "Token", "Both"):
                result = await session.call(name)
                assert not result.is_error, f"{name}: {result_text(result)}"
            missing = await session.call("Missing")
            assert missing.is_error
            assert "OPENAPI_CREDENTIAL_OTHER_BASIC_USERNAME" in result_text(missing)
            shown = session.everything_shown()
            await session.container.auth().aclose()
        calls = {call.path: call for call in upstream.calls}
    for secret in (KEY_Q, KEY_H, KEY_C, BEARER, BASIC_PASSWORD):
        assert secret not in shown
    assert "/missing" not in calls  # refused before any request
    assert "authorization" not in calls["/open"].headers
    assert calls["/q"].query == [("api_key", KEY_Q)]
    assert calls["/h"].headers["x-api-key"] == KEY_H
    assert "authorization" not in calls["/h"].headers
    assert calls["/c"].headers["cookie"] == f"session={KEY_C}"
    assert calls["/b"].headers["authorization"] == f"Bearer {BEARER}"
    basic = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    assert calls["/basic"].headers["authorization"] == f"Basic {basic}"
    token = calls["/cc"].headers["authorization"]
    assert token.startswith("Bearer ey")
    assert calls["/both"].headers["authorization"] == token
    assert calls["/both"].headers["x-api-key"] == KEY_H
    [token_request] = [r for r in generic_emulator.control.requests if r.kind == "token"]
    assert token_request.scope == "r"


async def test_form_and_multipart_bodies_arrive_encoded(
    generic_emulator: EmulatorHandle, spec_file: Path
) -> None:
    with recording_upstream() as upstream:
        settings = emulator_settings(
            generic_emulator, api_base_url=upstream.base_url, openapi_spec=str(spec_file)
        )
        async with mcp_session(settings) as session:
            form = await session.call("Form", {"name": "a b", "tags": ["x", "y"], "n": 3})
            assert not form.is_error, result_text(form)
            content = base64.b64encode(b"\x00binary\xff").decode()
            upload = await session.call("Upload", {"note": "hi", "file": content})
            assert not upload.is_error, result_text(upload)
            note_only = await session.call("Upload", {"note": "only"})
            assert not note_only.is_error, result_text(note_only)
            await session.container.auth().aclose()
        posted, uploaded, without_file = upstream.calls
    assert posted.headers["content-type"] == "application/x-www-form-urlencoded"
    assert posted.body == b"name=a+b&tags=x&tags=y&n=3"
    assert uploaded.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="note"\r\n\r\nhi\r\n' in uploaded.body
    assert b'name="file"; filename="file"' in uploaded.body
    assert b"\x00binary\xff" in uploaded.body
    assert without_file.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="note"\r\n\r\nonly\r\n' in without_file.body
