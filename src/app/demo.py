"""`ozon-mcp demo`: the whole product against the built-in emulator, as a readable timeline.

No credentials needed: the emulator runs on 127.0.0.1 with a short token lifetime, the real
server is built by the real container, and a real MCP client session drives it. The timeline
shows the token being acquired once, reused, refreshed before expiry with no caller waiting, and
recovered after every token was revoked.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import anyio
from mcp import Client
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from ozon_mcp.adapters.emulator import EmulatorConfig, EmulatorHandle, start_emulator
from ozon_mcp.app.container import Container, container_open
from ozon_mcp.app.logging_setup import configure_logging
from ozon_mcp.app.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
DEMO_REFRESH_MARGIN = 2.0


class DemoFailure(Exception):
    """An expectation of the demo did not hold; the message says which."""


@dataclass
class Timeline:
    """Prints what happens, with the seconds since the demo started."""

    out: TextIO
    started: float = field(default_factory=time.monotonic)

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"  +{elapsed:5.2f}s  {text}", file=self.out, flush=True)

    def heading(self, text: str) -> None:
        print(f"\n{text}", file=self.out, flush=True)


def result_text(result: CallToolResult) -> str:
    """The text of a tool result (first text block)."""
    for block in result.content:
        if isinstance(block, TextContent):
            return block.text
    return ""


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailure(message)


async def _wait_for(predicate: Callable[[], bool], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise DemoFailure(f"timed out after {limit:.0f} s waiting for {what}")
        await anyio.sleep(0.05)


@dataclass
class DemoSession:
    """The running pieces of the demo and the steps it takes."""

    client: Client
    container: Container
    emulator: EmulatorHandle
    timeline: Timeline

    def token_requests(self) -> int:
        return self.emulator.control.token_requests

    def stats(self) -> dict[str, Any]:
        return self.container.token_provider().stats().as_dict()

    async def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        result = await self.client.call_tool(name, arguments)
        _expect(not result.is_error, f"{name} failed: {result_text(result)[:300]}")
        return result

    async def list_tools(self) -> None:
        started = time.monotonic()
        tools = (await self.client.list_tools()).tools
        took = (time.monotonic() - started) * 1000
        _expect(len(tools) >= 40, f"expected 40+ tools, got {len(tools)}")
        names = ", ".join(tool.name for tool in tools[:5])
        self.timeline.say(f"tools/list: {len(tools)} tools in {took:.0f} ms ({names}, ...)")

    async def first_token(self) -> None:
        await _wait_for(lambda: self.stats().get("fingerprint") is not None, 10, "the token")
        stats = self.stats()
        self.timeline.say(
            f"token acquired in the background at startup: {stats['fingerprint']}, "
            f"expires in {stats['seconds_to_expiry']:.1f} s "
            f"(token requests so far: {self.token_requests()})"
        )

    async def calls_reuse_the_token(self) -> None:
        limits = await self.call("GetLimitsList", {})
        self.timeline.say(f"GetLimitsList -> {_summary(limits)}")
        campaigns = await self.call("ListCampaigns", {"advObjectType": "SKU", "pageSize": 5})
        self.timeline.say(f"ListCampaigns(advObjectType=SKU, pageSize=5) -> {_summary(campaigns)}")
        _expect(self.token_requests() == 1, "the token should have been requested once")
        self.timeline.say(
            f"both calls used the cached token: token requests {self.token_requests()}, "
            f"cache hits {self.stats()['cache_hits']}"
        )

    async def report_flow(self) -> None:
        today = datetime.now(UTC).replace(microsecond=0)
        body = {
            "campaigns": ["1000001"],
            "from": (today - timedelta(days=7)).isoformat().replace("+00:00", "Z"),
            "to": today.isoformat().replace("+00:00", "Z"),
            "groupBy": "DATE",
        }
        submitted = await self.call("SubmitRequest", body)
        uuid = (submitted.structured_content or {}).get("UUID")
        _expect(isinstance(uuid, str), "SubmitRequest returned no UUID")
        self.timeline.say(f"SubmitRequest(campaigns=[1000001], last 7 days) -> UUID {uuid}")
        state = ""
        for _ in range(100):
            check = await self.call("StatisticsCheck", {"UUID": uuid})
            state = str((check.structured_content or {}).get("state"))
            if state == "OK":
                break
            await anyio.sleep(0.2)
        _expect(state == "OK", f"the report never became ready (last state {state})")
        self.timeline.say("StatisticsCheck polled until state OK")
        report = await self.call("DownloadStatistics", {"UUID": uuid})
        first_line = result_text(report).splitlines()[0] if result_text(report) else ""
        self.timeline.say(f"DownloadStatistics -> CSV, first line: {first_line[:70]!r}")

    async def proactive_refresh(self) -> None:
        before = self.stats()
        self.timeline.say(
            f"waiting for the proactive refresh ({before['seconds_to_refresh']:.1f} s; "
            f"margin {DEMO_REFRESH_MARGIN:g} s before expiry)..."
        )
        await _wait_for(lambda: self.token_requests() >= 2, 15, "the proactive refresh")
        await _wait_for(lambda: self.stats()["fingerprint"] != before["fingerprint"], 5, "refresh")
        started = time.monotonic()
        await self.call("GetLimitsList", {})
        took = (time.monotonic() - started) * 1000
        self.timeline.say(
            f"token refreshed in the background before expiry: {self.stats()['fingerprint']}; "
            f"the next call took {took:.0f} ms and did not wait for the token endpoint"
        )

    async def revocation(self) -> None:
        self.emulator.control.revoke_all_tokens()
        requests_before = self.token_requests()
        self.timeline.say("emulator: every issued token revoked (as after a credential rotation)")
        campaigns = await self.call("ListCampaigns", {})
        _expect(self.token_requests() == requests_before + 1, "expected exactly one new token")
        self.timeline.say(
            f"ListCampaigns -> {_summary(campaigns)}: upstream 401, token invalidated, one new "
            "token, request retried once; the caller saw no error"
        )

    async def status(self) -> None:
        status = await self.call("auth_status", {})
        data = status.structured_content or {}
        shown = {
            key: data.get(key) for key in ("state", "token_requests", "cache_hits", "refreshes")
        }
        self.timeline.say(f"auth_status -> {json.dumps(shown)}")


def _summary(result: CallToolResult) -> str:
    data = result.structured_content
    if isinstance(data, dict):
        keys = ", ".join(list(data)[:4])
        return f"OK (JSON with {keys})"
    return f"OK ({len(result_text(result))} chars)"


STEPS: tuple[tuple[str, Callable[[DemoSession], Awaitable[None]]], ...] = (
    ("1. The MCP client connects; the tools come from the OpenAPI spec", DemoSession.list_tools),
    ("2. The access token", DemoSession.first_token),
    ("3. Tool calls with parameters reuse the cached token", DemoSession.calls_reuse_the_token),
    ("4. A statistics report: submit, poll, download", DemoSession.report_flow),
    ("5. Proactive refresh", DemoSession.proactive_refresh),
    ("6. Recovery after revocation", DemoSession.revocation),
    ("7. Status", DemoSession.status),
)


def demo_settings(emulator: EmulatorHandle) -> Settings:
    """Settings that point the real server at the emulator (never read from .env)."""
    env = emulator.env()
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        oauth_client_id=env["OAUTH_CLIENT_ID"],
        oauth_client_secret=SecretStr(env["OAUTH_CLIENT_SECRET"]),
        oauth_token_url=emulator.token_url,
        api_base_url=emulator.base_url,
        oauth_refresh_margin_seconds=DEMO_REFRESH_MARGIN,
        log_level="WARNING",
    )


async def _drive(container: Container, emulator: EmulatorHandle, timeline: Timeline) -> None:
    async with container_open(container), Client(container.mcp_server()) as client:
        session = DemoSession(client, container, emulator, timeline)
        for title, step in STEPS:
            timeline.heading(title)
            await step(session)


def run_demo(*, expires_in: int = 6, out: TextIO | None = None) -> int:
    """Run the demo; returns 0 when every step behaved as shown, 1 otherwise."""
    stream = out or sys.stdout
    configure_logging("ERROR")  # the timeline tells the story; spec repair notes would distract
    timeline = Timeline(stream)
    print(
        "ozon-mcp demo: the real server against the built-in Ozon Performance emulator\n"
        f"(tokens live {expires_in} s here instead of 1800 s, so that a refresh happens soon)",
        file=stream,
    )
    emulator = start_emulator(EmulatorConfig(expires_in=expires_in, report_delay=0.6))
    try:
        timeline.say(f"emulator listening on {emulator.base_url}")
        container = Container(settings=demo_settings(emulator))
        anyio.run(_drive, container, emulator, timeline)
    except DemoFailure as exc:
        print(f"\ndemo FAILED: {exc}", file=stream)
        return EXIT_FAILED
    finally:
        emulator.stop()
    total = time.monotonic() - timeline.started
    print(
        f"\nDone in {total:.1f} s: {emulator.control.token_requests} token requests for "
        f"{emulator.control.api_calls} API calls.\nNext: set OAUTH_CLIENT_ID and "
        "OAUTH_CLIENT_SECRET and run `ozon-mcp check`, then `ozon-mcp serve`.",
        file=stream,
    )
    return EXIT_OK
