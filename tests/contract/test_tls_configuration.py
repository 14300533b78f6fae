"""A CA bundle that cannot be loaded is a configuration error, in `serve` and in `check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_support import run_cli

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
