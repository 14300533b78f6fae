"""The `ozon-mcp report` progress display: a rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import io

import pytest

from ozon_mcp.adapters.reports import ReportProgress
from ozon_mcp.app.report_command import _progress_display

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


STEPS = [
    ReportProgress(
        0.5, 2, "batch 1/2: submitted (campaigns 1, 2026-01-01..2026-01-02)", 1, 2, "SUBMITTED"
    ),
    ReportProgress(0.75, 2, "batch 1/2: IN_PROGRESS, 14 s", 1, 2, "IN_PROGRESS"),
    ReportProgress(2.0, 2, "batch 2/2: downloaded, 1 table(s), 2 row(s)", 2, 2, "DONE"),
]


async def test_plain_lines_when_stderr_is_not_a_terminal() -> None:
    err = io.StringIO()
    with _progress_display(err) as show:
        for step in STEPS:
            await show(step)
    assert err.getvalue().splitlines() == [f"ozon-mcp report: {step.message}" for step in STEPS]


async def test_a_progress_bar_on_a_terminal() -> None:
    err = _Terminal()
    with _progress_display(err) as show:
        for step in STEPS:
            await show(step)
    shown = err.getvalue()
    assert "batch 2/2: downloaded" in shown
    assert "2.0/2 reports" in shown
    assert "ozon-mcp report:" not in shown  # the bar replaces the plain lines
