"""`ozon-mcp check` and `serve` with a hostile OPENAPI_SPEC: a clear message and exit 2, fast,
never a hang or a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mcp_support import run_cli

from ozon_mcp.adapters.emulator import EmulatorHandle

EXIT_CONFIG = 2
BOMB = (
    "openapi: 3.0.3\ninfo: {title: bomb, version: '1'}\n"
    + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "paths: {/x: {get: {responses: {'200': {description: *i}}}}}\n"
)


def hostile_spec(kind: str, tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / f"{kind}.yaml"
    if kind == "alias-bomb":
        path.write_text(BOMB, encoding="utf-8")
        return path, "alias bomb"
    if kind == "deep":
        path.write_text('{"openapi": "3.0.3", "x": ' + "[" * 50_000 + "]" * 50_000 + "}")
        return path, "nested more than"
    if kind == "binary":
        path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
        return path, "binary file"
    if kind == "fifo":
        os.mkfifo(path)
        return path, "not a regular file"
    return Path("/dev/zero"), "not a regular file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")
@pytest.mark.parametrize("command", ["check", "serve"])
@pytest.mark.parametrize("kind", ["alias-bomb", "deep", "binary", "fifo", "dev-zero"])
def test_a_hostile_spec_exits_2_with_a_clear_message(
    emulator: EmulatorHandle, tmp_path: Path, command: str, kind: str
) -> None:
    path, reason = hostile_spec(kind, tmp_path)
    done = run_cli([command, "--spec", str(path)], tmp_path, emulator.env())
    assert done.returncode == EXIT_CONFIG, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert reason in output, output
    assert str(path) in output
    assert "Traceback" not in output
    if command == "serve":
        assert done.stdout == ""  # stdout belongs to the protocol
    assert emulator.control.token_requests == 0
