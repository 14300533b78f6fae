"""Prometheus metrics of one server instance, in its own registry (never the global default).

Token metrics are read from the token provider's public stats at scrape time (`ProviderStats`);
tool calls and upstream latency are counted as `ToolCallEvent`s arrive. The daily request
budget is a hook: pass a `BudgetSource` (the reports work tracks the budget) and its figures
appear as `ozon_mcp_daily_request_budget_*`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from ozon_mcp.adapters.auth.stats import ProviderStats
from ozon_mcp.adapters.mcp.observability import ToolCallEvent
from ozon_mcp.domain.lifecycle import LifecycleState

log = logging.getLogger("ozon_mcp.metrics")

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
StatsSource = Callable[[], ProviderStats]
# The daily request budget: {"used": requests counted today, "limit": the budget} (either key
# may be absent). The reports work provides it; until then no budget metric is published.
BudgetSource = Callable[[], Mapping[str, float]]

# Upstream latencies: loopback to slow report downloads.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServiceMetrics:
    """The metrics of one container; `render()` gives the Prometheus text exposition."""

    def __init__(self, token_stats: StatsSource, budget: BudgetSource | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._tool_calls = Counter(
            "ozon_mcp_tool_calls",
            "Tool calls by tool and outcome (ok, api_error, rejected, failed, bad_answer, "
            "unknown_tool).",
            ["tool", "outcome"],
            registry=self.registry,
        )
        self._upstream_latency = Histogram(
            "ozon_mcp_upstream_request_duration_seconds",
            "Time from sending a tool call's request to the API to its answer being read.",
            ["status_class"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_TokenCollector(token_stats))
        if budget is not None:
            self.register_budget(budget)

    def register_budget(self, budget: BudgetSource) -> None:
        """Publish the daily request budget (the hook for the reports work)."""
        self.registry.register(_BudgetCollector(budget))

    def tool_called(self, event: ToolCallEvent) -> None:
        """Count one finished tool call (a `CallListener`)."""
        self._tool_calls.labels(tool=event.tool, outcome=event.outcome).inc()
        if event.upstream_seconds is not None:
            status = event.upstream_status
            status_class = f"{status // 100}xx" if status is not None else "no_answer"
            self._upstream_latency.labels(status_class=status_class).observe(event.upstream_seconds)

    def render(self) -> bytes:
        """The text exposition format (version 0.0.4)."""
        return generate_latest(self.registry)


class _TokenCollector(Collector):
    """Token metrics, read from the provider's stats at each scrape."""

    def __init__(self, token_stats: StatsSource) -> None:
        self._stats = token_stats

    def collect(self) -> Iterable[Metric]:
        try:
            stats = self._stats()
        except Exception:  # a scrape must never fail because of one source
            log.exception("cannot read the token provider's stats")
            return []
        requests = CounterMetricFamily(
            "ozon_mcp_token_requests",
            "Token requests by outcome.",
            labels=["outcome"],
        )
        requests.add_metric(["success"], stats.successes)
        requests.add_metric(["failure"], stats.failures)
        state = GaugeMetricFamily(
            "ozon_mcp_token_state", "1 for the token lifecycle's current state.", labels=["state"]
        )
        for known in LifecycleState:
            state.add_metric([known.value], 1.0 if known.value == stats.state else 0.0)
        metrics: list[Metric] = [
            requests,
            CounterMetricFamily(
                "ozon_mcp_token_refreshes", "Tokens replaced before expiry.", stats.refreshes
            ),
            CounterMetricFamily(
                "ozon_mcp_token_cache_hits",
                "Callers served at once with the token in hand.",
                stats.cache_hits,
            ),
            CounterMetricFamily(
                "ozon_mcp_token_waits", "Callers that waited for a token request.", stats.waits
            ),
            state,
        ]
        if stats.seconds_to_expiry is not None:
            metrics.append(
                GaugeMetricFamily(
                    "ozon_mcp_token_seconds_to_expiry",
                    "Seconds until the current access token expires.",
                    max(stats.seconds_to_expiry, 0.0),
                )
            )
        return metrics


class _BudgetCollector(Collector):
    def __init__(self, budget: BudgetSource) -> None:
        self._budget = budget

    def collect(self) -> Iterable[Metric]:
        try:
            figures = self._budget()
        except Exception:
            log.exception("cannot read the daily request budget")
            return []
        return [
            GaugeMetricFamily(
                f"ozon_mcp_daily_request_budget_{key}",
                f"Daily API request budget: {key}.",
                float(figures[key]),
            )
            for key in ("used", "limit")
            if key in figures
        ]
