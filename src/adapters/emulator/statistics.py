"""The stateful report operations: submit, status check, download and listings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from .clock import rfc3339
from .errors import ApiError, json_response
from .limits import report_campaigns, statistics_period, vendor_period
from .report_content import render
from .reports import ReportState, ReportView
from .spec_index import Operation
from .state import EmulatorState

DOWNLOAD_PATH = "/api/client/statistics/report"
# The fields of `extstatStatisticsRequest` a status answer echoes back.
_ECHOED = ("campaigns", "from", "to", "dateFrom", "dateTo", "groupBy")
_VENDOR_ECHOED = ("dateFrom", "dateTo", "type")
_DEFAULT_PAGE_SIZE = 100


class ReportOperations:
    """Handlers for the operations whose role is a report step."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def submit(self, operation: Operation, body: Any, account: str) -> Response:
        """Accept a report request (SubmitRequest and the other `*SubmitRequest` operations)."""
        request = body if isinstance(body, dict) else {}
        if operation.family == "vendor":
            period = vendor_period(request)
            campaigns: tuple[str, ...] = ()
        else:
            campaigns = report_campaigns(request, self._body_has("campaigns", operation))
            period = statistics_period(request)
        report = self._state.reports.submit(
            account=account,
            family=operation.family,
            kind=operation.report_kind,
            operation_id=operation.operation_id,
            request=request,
            campaigns=campaigns,
            period=period,
            as_json=operation.json_variant,
        )
        answer: dict[str, Any] = {"UUID": report.uuid}
        if operation.family == "vendor":
            answer["vendor"] = True
        return json_response(answer)

    def check(self, operation: Operation, params: dict[str, Any], account: str) -> Response:
        """The status of one report (StatisticsCheck, VendorStatisticsCheck)."""
        if operation.family == "vendor" and params.get("vendor") is not True:
            raise ApiError(400, "query parameter 'vendor' must be true for vendor reports")
        view = self._state.reports.check(str(params["UUID"]), account, operation.family)
        if view is None:
            raise ApiError(404, "report not found")
        return json_response(status_document(view))

    def download(self, params: dict[str, Any], account: str) -> Response:
        """The file of a finished report (DownloadStatistics)."""
        report_uuid = params.get("UUID")
        if not report_uuid:
            raise ApiError(400, "query parameter 'UUID' is required")
        view = self._state.reports.peek(str(report_uuid), account)
        if view is None:
            raise ApiError(404, "report not found")
        if view.state is ReportState.ERROR:
            raise ApiError(409, f"report {report_uuid} failed: {view.report.failure}")
        if view.state is not ReportState.OK:
            raise ApiError(
                409,
                f"report {report_uuid} is not ready (state {view.state.value}); poll its status "
                "until the state is OK",
            )
        rendered = render(view.report)
        disposition = f'attachment; filename="{rendered.filename}"'
        return Response(
            rendered.body, 200, {"Content-Disposition": disposition}, rendered.content_type
        )

    def listing(self, operation: Operation, params: dict[str, Any], account: str) -> Response:
        """Reports submitted through the API (ListReportsExternal, VendorStatisticsListReports)."""
        page = int(params.get("page", 1))
        size = int(params.get("pageSize", _DEFAULT_PAGE_SIZE))
        if page < 1:
            raise ApiError(400, "invalid query parameter 'page': pages are numbered from 1")
        if size < 1:
            raise ApiError(400, "invalid query parameter 'pageSize': must be at least 1")
        views = self._state.reports.list(account, operation.family)
        chosen = views[(page - 1) * size : page * size]
        items = [self._list_item(view) for view in chosen]
        return json_response({"items": items, "total": str(len(views))})

    def _list_item(self, view: ReportView) -> dict[str, Any]:
        report = view.report
        item: dict[str, Any] = {
            "meta": status_document(view),
            "name": f"{report.operation_id} {report.period.start}..{report.period.end}",
        }
        if report.family != "vendor":
            item["campaigns"] = [{"id": c, "title": f"Кампания № {c}"} for c in report.campaigns]
        return item

    def _body_has(self, name: str, operation: Operation) -> bool:
        if operation.body_pointer is None:
            return False
        schema = self._state.spec.resolve(f"#{operation.body_pointer}")
        return isinstance(schema, dict) and name in (schema.get("properties") or {})


def _when(wall: float) -> str:
    return rfc3339(datetime.fromtimestamp(wall, UTC))


def status_document(view: ReportView) -> dict[str, Any]:
    """A report's status as `extstatStatisticsResponse` / `extstatVendorStatisticsResponse`."""
    report, state = view.report, view.state

    if report.family == "vendor":
        echoed = {k: report.request[k] for k in _VENDOR_ECHOED if k in report.request}
        document: dict[str, Any] = {"UUID": report.uuid, "state": state.value, "request": echoed}
    else:
        echoed = {k: report.request[k] for k in _ECHOED if k in report.request}
        echoed["campaigns"] = list(report.campaigns)
        document = {
            "UUID": report.uuid,
            "state": state.value,
            "request": echoed,
            "kind": report.kind,
        }
    document["createdAt"] = _when(report.created_wall)
    document["updatedAt"] = _when(report.updated_wall(state))
    if state is ReportState.OK:
        document["link"] = f"{DOWNLOAD_PATH}?UUID={report.uuid}"
    elif state is ReportState.ERROR:
        document["error"] = report.failure or "report generation failed"
    return document
