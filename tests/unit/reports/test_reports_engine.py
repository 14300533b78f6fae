"""The engine's rules without I/O: a scripted sender stands in for the upstream client, and
sleeps are recorded instead of slept."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ozon_mcp.adapters.mcp.upstream import BudgetExhaustedError, UpstreamRequest, UpstreamResponse
from ozon_mcp.adapters.openapi import OperationTool, build_tools, load_spec
from ozon_mcp.adapters.reports import (
    PollSchedule,
    ReportEngine,
    ReportError,
    ReportFailedError,
    ReportLimitError,
    ReportProgress,
    ReportQueue,
    ReportRequest,
)

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
CSV = "Дата;Показы;Расход, ₽\n01.01.2026;10;1,50\nВсего;10;1,50\n".encode()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def tools() -> dict[str, OperationTool]:
    return {tool.name: tool for tool in build_tools(load_spec())}


def _json(document: Any, status: int = 200, retry_after: str | None = None) -> UpstreamResponse:
    body = json.dumps(document).encode()
    return UpstreamResponse(status, "application/json", body, retry_after=retry_after)


class ScriptedSender:
    """Answers each request with the next scripted response for its path prefix."""

    def __init__(self, script: dict[str, list[UpstreamResponse | Exception]]) -> None:
        self.script = script
        self.sent: list[UpstreamRequest] = []

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        self.sent.append(request)
        for prefix, answers in self.script.items():
            if request.target.startswith(prefix):
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                if isinstance(answer, Exception):
                    raise answer
                return answer
        raise AssertionError(f"unscripted request {request.method} {request.target}")


def _engine(
    tools: dict[str, OperationTool], sender: ScriptedSender, sleeps: list[float]
) -> ReportEngine:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return ReportEngine(
        sender,
        tools,
        ReportQueue(),
        account="acc",
        schedule=PollSchedule(initial=1, cap=10),
        sleep=sleep,
        monotonic=lambda: sum(sleeps),
        wall_clock=lambda: NOW,
    )


def _request(**extra: Any) -> ReportRequest:
    values: dict[str, Any] = {
        "campaigns": ["7"],
        "date_from": "2026-01-01",
        "date_to": "2026-01-01",
    }
    values.update(extra)
    return ReportRequest.build(**values)


def _happy(states: list[str]) -> dict[str, list[UpstreamResponse | Exception]]:
    return {
        "/api/client/statistics/report": [UpstreamResponse(200, "text/csv", CSV)],
        "/api/client/statistics/u-1": [_json({"UUID": "u-1", "state": s}) for s in states],
        "/api/client/statistics": [_json({"UUID": "u-1"})],
    }


async def test_polls_with_backoff_until_ok_and_reports_progress(
    tools: dict[str, OperationTool],
) -> None:
    sleeps: list[float] = []
    sender = ScriptedSender(_happy(["NOT_STARTED", "IN_PROGRESS", "IN_PROGRESS", "OK"]))
    steps: list[ReportProgress] = []

    async def on_progress(step: ReportProgress) -> None:
        steps.append(step)

    merged = await _engine(tools, sender, sleeps).run(_request(), on_progress)
    assert sleeps == [1, 2, 4, 8]
    assert merged.summary()["totals"] == {"Показы": 10, "Расход, ₽": 1.5}
    messages = [step.message for step in steps]
    assert messages[1:5] == [
        "batch 1/1: NOT_STARTED, 1 s",
        "batch 1/1: IN_PROGRESS, 3 s",
        "batch 1/1: IN_PROGRESS, 7 s",
        "batch 1/1: OK, 15 s",
    ]
    values = [step.progress for step in steps]
    assert values == sorted(values)
    assert len(set(values)) == len(values)
    assert values[-1] == steps[-1].total == 1
    submit = sender.sent[0]
    assert (submit.method, submit.target) == ("POST", "/api/client/statistics")
    assert submit.json_body["campaigns"] == ["7"]


async def test_error_state_names_the_batch_and_ozons_message(
    tools: dict[str, OperationTool],
) -> None:
    script = _happy(["IN_PROGRESS"])
    script["/api/client/statistics/u-1"] = [
        _json({"UUID": "u-1", "state": "ERROR", "error": "кампания не найдена"})
    ]
    with pytest.raises(ReportFailedError) as caught:
        await _engine(tools, ScriptedSender(script), []).run(_request())
    assert str(caught.value) == (
        "batch 1/1 (campaigns 7, 2026-01-01..2026-01-01): report u-1 ended in ERROR: "
        "кампания не найдена"
    )


async def test_a_short_429_is_waited_out(tools: dict[str, OperationTool]) -> None:
    script = _happy(["OK"])
    busy = _json({"error": "report x is still in progress"}, 429, retry_after="3")
    script["/api/client/statistics"] = [busy, _json({"UUID": "u-1"})]
    sleeps: list[float] = []
    merged = await _engine(tools, ScriptedSender(script), sleeps).run(_request())
    assert sleeps == [3, 1]  # Retry-After, then the first poll
    assert len(merged.rows) == 1


async def test_a_long_429_names_the_limit_and_when_it_resets(
    tools: dict[str, OperationTool],
) -> None:
    script = _happy(["OK"])
    script["/api/client/statistics"] = [
        _json({"error": "daily request limit exceeded: 100000 requests per day"}, 429, "43200")
    ]
    sleeps: list[float] = []
    with pytest.raises(ReportLimitError) as caught:
        await _engine(tools, ScriptedSender(script), sleeps).run(_request())
    assert sleeps == []
    assert "daily request limit (100,000 requests a day" in str(caught.value)
    assert "resets at 2026-03-02T00:00:00+00:00 (in 43200 s)" in str(caught.value)
    assert caught.value.resets_at == datetime(2026, 3, 2, tzinfo=UTC)


async def test_the_budget_refusal_is_reported_as_is(tools: dict[str, OperationTool]) -> None:
    refusal = BudgetExhaustedError("daily request budget exhausted; resets at 2026-03-02")
    script: dict[str, list[UpstreamResponse | Exception]] = {"/api/client/statistics": [refusal]}
    with pytest.raises(ReportError, match="SubmitRequest: daily request budget exhausted"):
        await _engine(tools, ScriptedSender(script), []).run(_request())


async def test_a_report_never_ready_times_out(tools: dict[str, OperationTool]) -> None:
    sleeps: list[float] = []
    engine = _engine(tools, ScriptedSender(_happy(["IN_PROGRESS"])), sleeps)
    engine._max_wait = 60  # a minute of polling, as recorded sleeps
    with pytest.raises(ReportError, match="not ready after 55 s"):
        await engine.run(_request())
    assert sleeps == [1, 2, 4, 8, 10, 10, 10, 10]


@pytest.mark.parametrize(
    ("status", "fragment"), [(400, "HTTP 400: field 'campaigns'"), (404, "HTTP 404")]
)
async def test_other_refusals_are_named(
    tools: dict[str, OperationTool], status: int, fragment: str
) -> None:
    script = _happy(["OK"])
    script["/api/client/statistics"] = [_json({"error": "field 'campaigns': bad"}, status)]
    with pytest.raises(ReportError, match=fragment):
        await _engine(tools, ScriptedSender(script), []).run(_request())


async def test_server_errors_are_retried(tools: dict[str, OperationTool]) -> None:
    script = _happy(["OK"])
    script["/api/client/statistics"] = [_json({}, 503), _json({"UUID": "u-1"})]
    sleeps: list[float] = []
    await _engine(tools, ScriptedSender(script), sleeps).run(_request())
    assert sleeps == [1, 1]


def test_kinds_need_their_operations(tools: dict[str, OperationTool]) -> None:
    sender = ScriptedSender({})
    without: Callable[[str], dict[str, OperationTool]] = lambda name: {  # noqa: E731
        k: v for k, v in tools.items() if k != name
    }
    assert len(_engine(tools, sender, []).supported_kinds()) == 5
    assert _engine(without("DownloadStatistics"), sender, []).supported_kinds() == []


async def test_a_retry_after_on_a_status_answer_lengthens_the_next_wait(
    tools: dict[str, OperationTool],
) -> None:
    script = _happy(["OK"])
    script["/api/client/statistics/u-1"] = [
        _json({"UUID": "u-1", "state": "IN_PROGRESS"}, retry_after="6"),
        _json({"UUID": "u-1", "state": "IN_PROGRESS"}),
        _json({"UUID": "u-1", "state": "OK"}),
    ]
    sleeps: list[float] = []
    await _engine(tools, ScriptedSender(script), sleeps).run(_request())
    assert sleeps == [1, 6, 4]
