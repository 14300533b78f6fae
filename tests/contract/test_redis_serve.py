"""`ozon-mcp serve --transport http --stateless` replicas with TOKEN_CACHE=redis: one token for
all, any replica answers any request; and the configuration errors of TOKEN_CACHE=redis."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx2
import pytest
from mcp_support import free_port, subprocess_env
from redis_support import CACHE_KEY, RedisServer, redis_server
from test_mcp_transports import SERVE, wait_for_port

from ozon_mcp.adapters.emulator import EmulatorHandle
from ozon_mcp.app.cli import main

__all__ = ["redis_server"]  # the fixture, imported for pytest

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _rpc(method: str, params: dict[str, object], number: int) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": number, "method": method, "params": params}


INITIALIZE = _rpc(
    "initialize",
    {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "contract-test", "version": "0"},
    },
    1,
)


@pytest.mark.anyio
async def test_stateless_replicas_share_one_token_and_answer_without_session_affinity(
    emulator: EmulatorHandle, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = subprocess_env(
        {
            **emulator.env(),
            "TOKEN_CACHE": "redis",
            "REDIS_URL": redis_server.url,
            "TOKEN_CACHE_KEY": CACHE_KEY,
        }
    )
    ports = [free_port(), free_port()]
    processes = []
    logs = []
    try:
        for index, port in enumerate(ports):
            log = tmp_path / f"replica-{index}.log"
            logs.append(log)
            args = [*SERVE, "--transport", "http", "--stateless", "--port", str(port)]
            with log.open("w", encoding="utf-8") as errlog:
                # Started before the test's async work begins: nothing else runs on the loop.
                replica = subprocess.Popen(  # noqa: ASYNC220
                    args, env=env, cwd=tmp_path, stderr=errlog, text=True
                )
                processes.append(replica)
        for port, process, log in zip(ports, processes, logs, strict=True):
            wait_for_port(port, process, log)

        urls = [f"http://127.0.0.1:{port}/mcp" for port in ports]
        async with httpx2.AsyncClient(timeout=30) as client:
            # Initialize on one replica, call on the other: nothing ties a client to a replica.
            hello = await client.post(urls[0], json=INITIALIZE, headers=HEADERS)
            assert hello.status_code == 200, hello.text
            assert "mcp-session-id" not in hello.headers
            answers = []
            for number in range(6):
                call = _rpc("tools/call", {"name": "GetLimitsList", "arguments": {}}, 10 + number)
                answers.append(await client.post(urls[number % 2], json=call, headers=HEADERS))
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)

    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert '"isError":false' in answer.text.replace(" ", ""), answer.text[:500]
    assert emulator.control.token_requests == 1  # two replicas, one token
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "(stateless)" in text
        assert "Traceback" not in text
        assert CACHE_KEY not in text


def test_redis_without_a_key_or_with_a_short_one_is_refused_naming_the_variable(
    emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in {**emulator.env(), "TOKEN_CACHE": "redis"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TOKEN_CACHE_KEY", raising=False)
    assert main(["serve", "--transport", "http", "--stateless"]) == 2
    err = capsys.readouterr().err
    assert "REDIS_URL is not set" in err
    assert "TOKEN_CACHE_KEY is not set" in err
    assert "TOKEN_CACHE_ALLOW_PLAINTEXT=1" in err

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("TOKEN_CACHE_KEY", "short-but-secret")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "TOKEN_CACHE_KEY must be at least 32 characters (got 16)" in err
    assert "short-but-secret" not in err

    assert main(["serve", "--stateless"]) == 2
    assert "--stateless only applies to --transport http" in capsys.readouterr().err
