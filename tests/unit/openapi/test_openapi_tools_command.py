"""`ozon-mcp tools --json`: what the configuration exposes, for each shared spec (no network)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_support import HMRC, PAYPAL, VIRTO
from pydantic import SecretStr

from ozon_mcp.app.settings import Settings
from ozon_mcp.app.tools_command import run_tools

SECRET = "s3cr3t-value-never-shown"


def tools_json(spec: Path | None, **values: Any) -> dict[str, Any]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        oauth_client_id="id",
        oauth_client_secret=SecretStr(SECRET),
        openapi_spec=str(spec) if spec else None,
        **values,
    )
    out = io.StringIO()
    assert run_tools(settings, as_json=True, out=out) == 0
    text = out.getvalue()
    assert SECRET not in text
    result: dict[str, Any] = json.loads(text)
    return result


def test_paypal_tools_token_url_and_scopes() -> None:
    found = tools_json(PAYPAL)
    assert found["api_base_url"] == "https://api-m.sandbox.paypal.com"
    assert found["token_url"] == "https://api-m.sandbox.paypal.com/v1/oauth2/token"
    assert found["token_url_source"] == "spec"
    assert len(found["tools"]) == 16
    by_name = {tool["name"]: tool for tool in found["tools"]}
    assert by_name["verify-webhook-signature.post"] == {
        "name": "verify-webhook-signature.post",
        "method": "POST",
        "path": "/v1/notifications/verify-webhook-signature",
        "read_only": False,
        "input_schema_bytes": by_name["verify-webhook-signature.post"]["input_schema_bytes"],
        "auth": {
            "type": "oauth2_client_credentials",
            "scheme": "Oauth2",
            "scopes": [
                "https://uri.paypal.com/services/applications/verify-webhook-signature",
                "https://uri.paypal.com/services/applications/webhooks",
            ],
        },
    }
    assert by_name["webhooks.list"]["read_only"] is True
    assert found["tools_list_bytes"] > sum(t["input_schema_bytes"] for t in found["tools"])


def test_hmrc_open_unavailable_and_client_credentials() -> None:
    found = tools_json(HMRC)
    assert found["token_url"] == "https://api.service.hmrc.gov.uk/oauth/token"
    auth = {tool["name"]: tool["auth"] for tool in found["tools"]}
    assert auth["get_hello_world"] == {"type": "none"}
    assert auth["get_hello_application"] == {
        "type": "oauth2_client_credentials",
        "scheme": "applicationRestricted",
        "scopes": [],
    }
    assert auth["get_hello_user"]["type"] == "unavailable"
    assert "authorizationCode" in auth["get_hello_user"]["reason"]


def test_virto_with_env_base_url_and_token_url() -> None:
    found = tools_json(
        VIRTO,
        api_base_url="https://shop.example.com",
        oauth_token_url="https://id.example.com/connect/token",
    )
    assert (found["token_url"], found["token_url_source"]) == (
        "https://id.example.com/connect/token",
        "env",
    )
    names = [tool["name"] for tool in found["tools"]]
    assert len(names) == 16
    assert "InventoryModule_GetProductInventories_2" in names


def test_the_bundled_ozon_spec() -> None:
    found = tools_json(None)
    assert len(found["tools"]) == 40
    assert found["token_request"]["format"] == "json"
    assert {tool["auth"]["type"] for tool in found["tools"]} == {"oauth2_client_credentials"}


def test_a_configuration_problem_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(_env_file=None, openapi_spec=str(VIRTO))  # type: ignore[call-arg]
    assert run_tools(settings, as_json=True, out=io.StringIO()) == 2
    assert "API_BASE_URL is not set" in capsys.readouterr().err


def test_the_table_names_every_tool_and_the_list_size() -> None:
    settings = Settings(_env_file=None, openapi_spec=str(HMRC))  # type: ignore[call-arg]
    out = io.StringIO()
    assert run_tools(settings, as_json=False, out=out) == 0
    text = out.getvalue()
    assert "get_hello_world" in text
    assert "none (open)" in text
    assert "UNAVAILABLE" in text
    assert "3 tools; tools/list is" in text
