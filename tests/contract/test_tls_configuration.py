"""A CA bundle that cannot be loaded is a configuration error, in `serve` and in `check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_support import result_text, run_cli, stdio_serve, subprocess_env

from ozon_mcp.adapters.emulator import EmulatorHandle


@pytest.mark.parametrize("command", [["serve"], ["check"]])
def test_an_unreadable_ssl_cert_file_is_reported_without_a_traceback(
    emulator: EmulatorHandle, tmp_path: Path, command: list[str]
) -> None:
    not_pem = tmp_path / "not-a-bundle.pem"
    not_pem.write_text("this is no certificate\n", encoding="utf-8")
    done = run_cli(command, tmp_path, {**emulator.env(), "SSL_CERT_FILE": str(not_pem)})
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert f"SSL_CERT_FILE={not_pem}" in output
    assert "cannot load the certificates" in output
    assert "Traceback" not in output


@pytest.mark.anyio
async def test_a_bundle_refused_when_loaded_fails_the_calls_not_the_listing(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The CA bundle is loaded after the first tools/list (it costs 50-100 ms); a file that
    looks like PEM but holds no usable certificate is then reported, naming the variable."""
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    stderr_path = tmp_path / "stderr.txt"
    env = subprocess_env({**emulator.env(), "SSL_CERT_FILE": str(broken)})
    async with stdio_serve(env, stderr_path) as client:
        tools = (await client.list_tools()).tools
        call = await client.call_tool("GetLimitsList", {})
        report = await client.call_tool(
            "get_campaign_statistics",
            {"campaigns": ["1"], "date_from": "2026-11-01", "date_to": "2026-11-02"},
        )
    stderr = stderr_path.read_text("utf-8")
    assert len(tools) == 42
    assert call.is_error
    text = result_text(call)
    assert f"SSL_CERT_FILE={broken}" in text
    assert "cannot load the certificates" in text
    assert report.is_error  # the reports engine meets the same error, not an internal one
    assert f"SSL_CERT_FILE={broken}" in result_text(report)
    assert f"SSL_CERT_FILE={broken}" in stderr  # the background start logged it too
    assert "Traceback" not in stderr
    assert emulator.control.api_calls == 0
