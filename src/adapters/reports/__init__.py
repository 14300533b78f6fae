"""Ozon statistics reports in one step, transport-free: split a request to respect Ozon's
limits, submit batch after batch (one report in progress per account), poll with backoff,
download, parse Ozon's CSV/ZIP/JSON, merge, and sum per campaign and overall.

Typical use::

    engine = ReportEngine(upstream, {t.name: t for t in tools}, ReportQueue(), account="id")
    request = ReportRequest.build(campaigns=["1", "2"], date_from="2026-01-01",
                                  date_to="2026-03-31", group_by="DATE")
    merged = await engine.run(request, on_progress=callback)
    merged.summary(), merged.row_documents(), merged.to_csv()
"""

from ozon_mcp.adapters.reports.backoff import PollSchedule
from ozon_mcp.adapters.reports.engine import (
    ProgressCallback,
    ReportEngine,
    ReportError,
    ReportFailedError,
    ReportLimitError,
    ReportProgress,
    ReportQueue,
)
from ozon_mcp.adapters.reports.merge import MergedReport, ReportRow
from ozon_mcp.adapters.reports.plan import (
    GROUP_BY_VALUES,
    Detail,
    ReportInputError,
    ReportKind,
    ReportRequest,
)

__all__ = [
    "GROUP_BY_VALUES",
    "Detail",
    "MergedReport",
    "PollSchedule",
    "ProgressCallback",
    "ReportEngine",
    "ReportError",
    "ReportFailedError",
    "ReportInputError",
    "ReportKind",
    "ReportLimitError",
    "ReportProgress",
    "ReportQueue",
    "ReportRequest",
    "ReportRow",
]
