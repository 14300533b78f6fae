"""No bare "internal error": odd values get messages naming the argument or the variable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import types

from ozon_mcp.adapters.auth.urls import validate_token_url
from ozon_mcp.adapters.openapi import ArgumentError, build_tools, render_response, repair_spec
from ozon_mcp.adapters.openapi.binding import MAX_URL_LENGTH
from ozon_mcp.app.cli import main
from ozon_mcp.app.settings import SettingsError, load_settings
from ozon_mcp.domain.errors import ConfigurationError


def tool() -> Any:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/items": {
                "post": {
                    "operationId": "Put",
                    "parameters": [
                        {
                            "name": "ids",
                            "in": "query",
                            "schema": {"type": "array", "items": {"type": "string"}},
                        }
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "price": {"type": "number"},
                                        "nested": {"type": "object"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    (built,) = build_tools(repair_spec(document, "t"))
    return built


@pytest.mark.parametrize(
    ("arguments", "named", "reason"),
    [
        ({"price": float("nan")}, "price", "not a JSON number"),
        ({"price": float("-inf")}, "price", "not a JSON number"),
        ({"nested": {"deep": [1, float("inf")]}}, "nested", "not a JSON number"),
        ({"price": 10**5000}, "price", "too large"),
        ({"ids": ["x" * 70_000]}, "ids", "request URL would be"),
    ],
)
def test_odd_argument_values_are_refused_naming_the_argument(
    arguments: dict[str, Any], named: str, reason: str
) -> None:
    with pytest.raises(ArgumentError) as refused:
        tool().prepare_request(arguments)
    assert f"argument {named!r}" in str(refused.value)
    assert reason in str(refused.value)


def test_a_url_just_within_the_limit_is_sent() -> None:
    request = tool().prepare_request({"ids": ["x" * (MAX_URL_LENGTH - 100)]})
    assert len(request.url("")) <= MAX_URL_LENGTH


def test_nan_and_infinity_in_an_answer_become_null_with_a_note() -> None:
    body = b'{"a": NaN, "b": [Infinity, -Infinity, 1.5]}'
    rendered = render_response(200, "application/json", body, operation="Op")
    assert rendered.structured == {"a": None, "b": [None, None, 1.5]}
    assert "-Infinity, Infinity, NaN, which JSON does not allow; shown as null" in rendered.text
    result = types.CallToolResult(
        content=[types.TextContent(type="text", text=rendered.text)],
        structured_content=rendered.structured,
    )
    json.loads(result.model_dump_json())  # strict JSON on the wire


def test_a_deeply_nested_answer_is_shown_as_text() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    rendered = render_response(200, "application/json", body, operation="Op")
    assert rendered.structured is None
    assert not rendered.is_error


@pytest.mark.parametrize(
    ("setting", "url", "reason"),
    [
        ("OAUTH_TOKEN_URL", "https://exa mple.com/token", "spaces or control characters"),
        ("OAUTH_TOKEN_URL", "https://ex%41mple.com/token", "invalid host"),
        ("API_BASE_URL", "https://api.example.com/v1?x=1", "query or a fragment"),
        ("API_BASE_URL", "https://api.example.com/v1#top", "query or a fragment"),
        ("API_BASE_URL", "https://", "absolute https:// URL of the API"),
    ],
)
def test_odd_urls_are_refused_naming_the_variable(setting: str, url: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason) as refused:
        validate_token_url(url, setting=setting, allow_query=setting != "API_BASE_URL")
    assert str(refused.value).startswith(setting)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_durations_are_refused_as_such(value: str) -> None:
    with pytest.raises(SettingsError, match=r"OAUTH_REFRESH_MARGIN_SECONDS: .*finite number"):
        load_settings({"oauth_refresh_margin_seconds": value}, env_file=None)


def test_a_missing_env_file_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "prod.env"
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings({}, env_file=missing)
    assert main(["check", "--env-file", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert main(["serve", "--env-file", str(tmp_path)]) == 2
    assert "is not a file" in capsys.readouterr().err
