"""Readiness decisions from the token provider's stats, and the Prometheus exposition (parsed
with prometheus-client's own parser)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ozon_mcp.adapters.auth.stats import ProviderStats
from ozon_mcp.adapters.mcp.health import readiness
from ozon_mcp.adapters.mcp.metrics import ServiceMetrics
from ozon_mcp.adapters.mcp.observability import ToolCallEvent

BASE = ProviderStats(
    token_requests=0,
    successes=0,
    failures=0,
    refreshes=0,
    cache_hits=0,
    waits=0,
    invalidations=0,
    ignored_invalidations=0,
    state="empty",
    fingerprint=None,
    seconds_to_expiry=None,
    seconds_to_refresh=None,
    last_error=None,
)


@pytest.mark.parametrize(
    ("changes", "ready", "reason_has"),
    [
        ({}, False, "first access token"),
        ({"state": "acquiring", "token_requests": 1}, False, "first access token"),
        ({"state": "valid", "successes": 1, "seconds_to_expiry": 1700.0}, True, None),
        ({"state": "refreshing", "successes": 1, "seconds_to_expiry": 3.0}, True, None),
        # a refresh failing while the old token is still valid: still ready
        (
            {
                "state": "backing_off",
                "successes": 1,
                "failures": 2,
                "seconds_to_expiry": 30.0,
                "last_error": "token endpoint answered 503",
            },
            True,
            None,
        ),
        (
            {"state": "failed", "failures": 4, "last_error": "token endpoint answered 503"},
            False,
            "(failed): token endpoint answered 503",
        ),
        (
            {"state": "backing_off", "failures": 1, "last_error": "connection refused"},
            False,
            "connection refused",
        ),
        # the token expired, but the last attempt succeeded: ready
        ({"state": "empty", "successes": 3}, True, None),
    ],
)
def test_readiness(changes: dict[str, object], ready: bool, reason_has: str | None) -> None:
    answer = readiness(replace(BASE, **changes))  # type: ignore[arg-type]
    assert answer.ready is ready
    if reason_has is None:
        assert answer.reason is None
    else:
        assert answer.reason is not None
        assert reason_has in answer.reason


def parse(metrics: ServiceMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_the_exposition_parses_and_carries_every_figure() -> None:
    stats = replace(
        BASE,
        token_requests=5,
        successes=4,
        failures=1,
        refreshes=3,
        cache_hits=120,
        waits=2,
        state="valid",
        seconds_to_expiry=1234.5,
    )
    metrics = ServiceMetrics(lambda: stats)
    metrics.tool_called(ToolCallEvent("ListCampaigns", "ok", 0.02, 200, 0.015))
    metrics.tool_called(ToolCallEvent("ListCampaigns", "ok", 0.03, 200, 0.02))
    metrics.tool_called(ToolCallEvent("ListCampaigns", "api_error", 0.03, 503, 0.2))
    metrics.tool_called(ToolCallEvent("GetLimitsList", "rejected", 0.001))
    metrics.tool_called(ToolCallEvent("GetLimitsList", "failed", 0.5, None, 0.5))
    samples = parse(metrics)
    assert samples[("ozon_mcp_token_requests_total", (("outcome", "success"),))] == 4
    assert samples[("ozon_mcp_token_requests_total", (("outcome", "failure"),))] == 1
    assert samples[("ozon_mcp_token_refreshes_total", ())] == 3
    assert samples[("ozon_mcp_token_cache_hits_total", ())] == 120
    assert samples[("ozon_mcp_token_seconds_to_expiry", ())] == 1234.5
    assert samples[("ozon_mcp_token_state", (("state", "valid"),))] == 1
    assert samples[("ozon_mcp_token_state", (("state", "failed"),))] == 0
    calls = "ozon_mcp_tool_calls_total"
    assert samples[(calls, (("outcome", "ok"), ("tool", "ListCampaigns")))] == 2
    assert samples[(calls, (("outcome", "api_error"), ("tool", "ListCampaigns")))] == 1
    assert samples[(calls, (("outcome", "rejected"), ("tool", "GetLimitsList")))] == 1
    latency = "ozon_mcp_upstream_request_duration_seconds"
    assert samples[(f"{latency}_count", (("status_class", "2xx"),))] == 2
    assert samples[(f"{latency}_count", (("status_class", "5xx"),))] == 1
    assert samples[(f"{latency}_count", (("status_class", "no_answer"),))] == 1
    assert samples[(f"{latency}_bucket", (("le", "0.025"), ("status_class", "2xx")))] == 2
    assert not [name for name, _labels in samples if "budget" in name]


def test_no_token_means_no_expiry_figure_and_registries_are_per_instance() -> None:
    first, second = ServiceMetrics(lambda: BASE), ServiceMetrics(lambda: BASE)
    first.tool_called(ToolCallEvent("X", "ok", 0.1))
    assert ("ozon_mcp_token_seconds_to_expiry", ()) not in parse(first)
    assert ("ozon_mcp_tool_calls_total", (("outcome", "ok"), ("tool", "X"))) in parse(first)
    assert ("ozon_mcp_tool_calls_total", (("outcome", "ok"), ("tool", "X"))) not in parse(second)


def test_the_budget_hook_publishes_used_and_limit() -> None:
    metrics = ServiceMetrics(lambda: BASE, budget=lambda: {"used": 17, "limit": 100_000})
    samples = parse(metrics)
    assert samples[("ozon_mcp_daily_request_budget_used", ())] == 17
    assert samples[("ozon_mcp_daily_request_budget_limit", ())] == 100_000


def test_a_failing_stats_source_does_not_break_the_scrape() -> None:
    def broken() -> ProviderStats:
        raise RuntimeError("boom")

    metrics = ServiceMetrics(broken)
    metrics.tool_called(ToolCallEvent("X", "ok", 0.1))
    assert ("ozon_mcp_tool_calls_total", (("outcome", "ok"), ("tool", "X"))) in parse(metrics)
