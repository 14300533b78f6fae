"""A real `ozon-mcp serve` at LOG_LEVEL=DEBUG: the HTTP libraries print every response header, and
the emulator echoes the client secret and the tokens in headers, a redirect and bodies. Nothing of
them may reach stderr (in any encoding) or a tool result.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_support import SERVE, result_text, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorConfig, ScriptedResponse, start_emulator
from ozon_mcp.adapters.openapi.spec import load_spec

SECRET = "s3\"cr'e t%2F&a=b<c>/д€😀;:#?"  # quotes, unicode, %, &, =, <, /


def header_safe_forms(value: str) -> dict[str, str]:
    """Encodings of `value` that fit in an HTTP header (latin-1, no control characters)."""
    return {
        "X-Echo-Percent": quote(value, safe=""),
        "X-Echo-Lower": re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(value, safe="")),
        "X-Echo-Form": quote_plus(value, safe=""),
        "X-Echo-Json": json.dumps(value)[1:-1].replace("/", "\\/"),
        "X-Echo-Html": html.escape(value).encode("ascii", "xmlcharrefreplace").decode(),
        "X-Echo-Base64": base64.b64encode(value.encode()).decode(),
        "X-Echo-Authorization": f"Bearer {quote(value, safe='')}",
        "Location": f"https://evil.example/cb?client_secret={quote(value, safe='')}",
    }


def every_form(value: str) -> list[str]:
    forms = [value, *header_safe_forms(value).values(), json.dumps(value)[1:-1]]
    forms.remove(header_safe_forms(value)["X-Echo-Authorization"])  # contains a form already
    forms.remove(header_safe_forms(value)["Location"])
    return forms


@pytest.mark.anyio
async def test_debug_logs_and_results_never_show_an_echoed_secret_or_token(
    tmp_path: Path,
) -> None:
    handle = start_emulator(EmulatorConfig(client_secret=SECRET, generic=True), spec=load_spec())
    try:
        control = handle.control
        first = control.mint_token(expires_in=1800)
        second = control.mint_token(expires_in=1800)
        control.script_token_responses(
            [
                ScriptedResponse(
                    headers=header_safe_forms(SECRET),
                    json={"access_token": token, "token_type": "Bearer", "expires_in": 1800},
                )
                for token in (first, second)
            ]
        )
        env = subprocess_env({**handle.env(), "LOG_LEVEL": "DEBUG"})
        params = StdioServerParameters(command=SERVE[0], args=SERVE[1:], env=env, cwd=tmp_path)
        stderr_path = tmp_path / "stderr.log"
        shown: list[str] = []
        with stderr_path.open("w", encoding="utf-8") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                ok = await client.call_tool("GetLimitsList", {})
                shown.append(result_text(ok))
                # The API echoes the token in use, in its headers and its body.
                control.set_operation_fault(
                    "GetLimitsList",
                    status=200,
                    headers=header_safe_forms(first),
                    body=json.dumps({"echo": first, "secret": SECRET}).encode(),
                    count=1,
                )
                shown.append(result_text(await client.call_tool("GetLimitsList", {})))
                # A refresh replaces the first token; it is still valid, so still secret.
                control.revoke_all_tokens()
                shown.append(result_text(await client.call_tool("GetLimitsList", {})))
                control.set_operation_fault(
                    "GetLimitsList",
                    status=400,
                    headers={**header_safe_forms(first), "X-Other": f"Bearer {second}"},
                    body=f"<html><title>{first} {second} {SECRET}</title></html>".encode(),
                    count=1,
                )
                shown.append(result_text(await client.call_tool("GetLimitsList", {})))
        stderr = stderr_path.read_text(encoding="utf-8")
    finally:
        handle.stop()
    assert not ok.is_error, shown[0]
    # The run is meaningful: the HTTP libraries did print response headers at DEBUG.
    assert "receive_response_headers" in stderr, stderr[-3000:]
    assert "X-Echo-Percent" in stderr or "x-echo-percent" in stderr
    everything = stderr + "\n".join(shown)
    for value in (SECRET, first, second):
        for form in every_form(value):
            assert form not in everything, (form, value)
