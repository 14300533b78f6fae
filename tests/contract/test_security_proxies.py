"""`serve` and `check` refuse to start when the environment would send the client secret or a
token through an unencrypted proxy on another machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_support import run_cli

from ozon_mcp.adapters.emulator import EmulatorHandle


@pytest.mark.parametrize("command", ["check", "serve"])
def test_a_remote_http_proxy_is_refused_before_any_request(
    emulator: EmulatorHandle, tmp_path: Path, command: str
) -> None:
    # The emulator is plain http on 127.0.0.1: through this proxy the secret would travel in
    # clear to another machine (which does not exist: nothing may leave 127.0.0.1).
    env = {**emulator.env(), "HTTP_PROXY": "http://proxy.example.invalid:3128"}
    done = run_cli([command], tmp_path, env)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "OAUTH_TOKEN_URL: the environment" in output
    assert "API_BASE_URL: the environment" in output
    assert "NO_PROXY" in output
    assert emulator.control.token_requests == 0


def test_no_proxy_lets_the_same_setup_start(emulator: EmulatorHandle, tmp_path: Path) -> None:
    env = {
        **emulator.env(),
        "HTTP_PROXY": "http://proxy.example.invalid:3128",
        "NO_PROXY": "127.0.0.1",
    }
    done = run_cli(["check"], tmp_path, env)
    assert done.returncode == 0, done.stdout + done.stderr
