"""The real Ozon Performance API: a token is acquired, reused from the cache and refreshed on
demand, and GetLimitsList / ListCampaigns answer through the MCP tool path of the real
container. Run with `nox -s live` (needs OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET)."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent

from ozon_mcp.app.container import Container, close_container
from ozon_mcp.app.settings import Settings

pytestmark = [pytest.mark.live, pytest.mark.anyio]


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


async def test_token_is_acquired_reused_and_refreshed(live_settings: Settings) -> None:
    container = Container(settings=live_settings)
    provider = container.token_provider()
    try:
        first = await provider.get_token()
        acquired = provider.stats()
        assert acquired.successes == 1, acquired
        assert acquired.state == "valid", acquired
        assert first.lifetime > 60  # Ozon grants 1800 s
        assert first.fingerprint
        assert first.fingerprint not in first.value

        again = await provider.get_token()
        reused = provider.stats()
        assert again.fingerprint == first.fingerprint
        assert reused.token_requests == acquired.token_requests  # from the cache
        assert reused.cache_hits > acquired.cache_hits

        assert await provider.invalidate(first, reason="forced refresh by the live test")
        fresh = await provider.get_token()
        refreshed = provider.stats()
        assert refreshed.token_requests == acquired.token_requests + 1, refreshed
        assert refreshed.invalidations == 1
        assert refreshed.state == "valid"
        assert fresh.obtained_at >= first.obtained_at
    finally:
        await close_container(container)


async def test_operations_answer_through_the_mcp_tools(live_settings: Settings) -> None:
    container = Container(settings=live_settings)
    results: list[CallToolResult] = []
    try:
        async with Client(container.mcp_server()) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"GetLimitsList", "ListCampaigns", "auth_status"} <= names
            for name in ("GetLimitsList", "ListCampaigns"):
                result = await client.call_tool(name, {})
                results.append(result)
                assert not result.is_error, f"{name}: {text_of(result)[:500]}"
            limits = results[0].structured_content
            assert isinstance(limits, dict), text_of(results[0])[:500]
            assert "limits" in limits
            status = (await client.call_tool("auth_status", {})).structured_content or {}
            token = container.token_provider().lifecycle.current_token()
    finally:
        await close_container(container)
    assert status.get("state") == "valid", status
    assert status.get("token_requests") == 1, status  # reused by both calls
    assert token is not None
    secret = live_settings.oauth_client_secret
    assert secret is not None
    for result in results:
        shown = text_of(result) + json.dumps(result.structured_content, ensure_ascii=False)
        assert token.value not in shown
        assert secret.get_secret_value() not in shown


async def test_a_statistics_report_of_real_campaigns_in_one_call(live_settings: Settings) -> None:
    """The composite report tool on Ozon's real CSV/ZIP format (issue 12)."""
    from datetime import date, timedelta

    container = Container(settings=live_settings)
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    try:
        async with Client(container.mcp_server()) as client:
            listed = await client.call_tool("ListCampaigns", {})
            campaigns = [str(c["id"]) for c in (listed.structured_content or {}).get("list", [])]
            if not campaigns:
                pytest.fail("the live account has no campaigns to report on", pytrace=False)
            last = date.today() - timedelta(days=1)
            result = await client.call_tool(
                "get_campaign_statistics",
                {
                    "campaigns": campaigns[:2],
                    "date_from": (last - timedelta(days=6)).isoformat(),
                    "date_to": last.isoformat(),
                    "group_by": "DATE",
                },
                progress_callback=on_progress,
            )
    finally:
        await container.upstream().aclose()
        await container.token_provider().aclose()
    assert not result.is_error, text_of(result)[:1000]
    summary = (result.structured_content or {})["summary"]
    assert summary["batches"] == 1
    assert summary["columns"], summary  # Ozon's headers were read
    assert {item["campaign"] for item in summary["per_campaign"]} <= set(campaigns[:2])
    assert any(": OK, " in message for message in messages), messages
