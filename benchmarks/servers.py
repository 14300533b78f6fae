"""The servers the benchmarks talk to, each in its own process: emulators and the fast server.

Running them out of process keeps their CPU time and their GIL away from the clients measured.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2

TOKEN_PATH = "/api/client/token"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"
_READY = re.compile(r"listening on (http://[\d.]+:\d+)")
_START_TIMEOUT = 30.0


@dataclass
class ServerProcess:
    """A started server process and the base URL it printed."""

    name: str
    process: subprocess.Popen[str]
    base_url: str = ""

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    def stop(self) -> None:
        """Terminate the process (kill after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch(name: str, argv: list[str]) -> ServerProcess:
    """Start a server process without waiting for it (see `wait_ready`)."""
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return ServerProcess(name, process)


def wait_ready(server: ServerProcess) -> ServerProcess:
    """Read the server's stdout until it prints its URL; raise if it dies or takes too long."""
    deadline = time.monotonic() + _START_TIMEOUT
    assert server.process.stdout is not None
    while time.monotonic() < deadline:
        line = server.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{server.name} exited before it was ready")
        match = _READY.search(line)
        if match:
            server.base_url = match.group(1)
            return server
    server.stop()
    raise RuntimeError(f"{server.name} did not start within {_START_TIMEOUT:.0f} s")


def emulator_argv(*, generic: bool) -> list[str]:
    """The emulator module on a free port, quiet, with a budget no run can exhaust."""
    argv = [
        sys.executable,
        "-m",
        "ozon_mcp.adapters.emulator",
        "--port",
        "0",
        "--log-level",
        "ERROR",
    ]
    argv += ["--daily-budget", "100000000", "--report-delay", "0"]
    return [*argv, "--generic"] if generic else argv


def fast_server_argv() -> list[str]:
    """`python -m benchmarks.fastserver` on a free port."""
    return [sys.executable, "-m", "benchmarks.fastserver", "--port", "0"]


@dataclass
class Control:
    """An async client of an emulator's `/__emulator__/` control surface."""

    base_url: str
    _client: httpx2.AsyncClient | None = field(default=None, repr=False)

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(base_url=self.base_url + "/__emulator__")
        return self._client

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """One control request; raises on an error answer."""
        response = await self._http().request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    async def token_requests(self) -> int:
        """Requests the token endpoint has received so far."""
        stats = await self.call("GET", "/stats")
        return int(stats["token_requests"])

    async def token_request_times(self) -> list[float]:
        """Wall-clock times of the logged token requests, oldest first."""
        logged = (await self.call("GET", "/requests"))["requests"]
        return [entry["time"] for entry in logged if entry["kind"] == "token"]

    async def script(self, *responses: dict[str, Any]) -> None:
        """Answer the next token requests with these responses."""
        await self.call("POST", "/token/script", {"responses": list(responses)})

    async def reset(self) -> None:
        """No faults, no latency, 1800 s tokens, an empty request log."""
        await self.call("DELETE", "/faults")
        await self.call("POST", "/token/expires-in", {"seconds": 1800})
        await self.call("DELETE", "/requests")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def fetch_static_token(token_url: str) -> str:
    """One plain token request (JSON body), for the static-token floors."""
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    async with httpx2.AsyncClient() as client:
        response = await client.post(token_url, json={**body, "grant_type": "client_credentials"})
        response.raise_for_status()
        return str(response.json()["access_token"])


async def fast_server_counts(base_url: str) -> dict[str, Any]:
    """The fast server's counters."""
    async with httpx2.AsyncClient() as client:
        response = await client.get(base_url + "/__stats__")
        return dict(response.json())
