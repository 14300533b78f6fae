"""The reports engine: submit each batch, poll it with backoff, download, parse and merge.

Transport-free: it sends requests built by the spec's own operation tools through the same
authenticated upstream client as every MCP tool call (so the token, the URL checks and the
daily request budget apply alike), and reports progress to a callback that the MCP tool turns
into progress notifications and the shell command into a progress bar.

One report in progress per account (Ozon's rule): every batch of every concurrent call waits
for the account's slot in the process-wide `ReportQueue` before it submits, and keeps it until
its report is finished (OK or ERROR).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import anyio

from ozon_mcp.adapters.mcp.upstream import (
    UpstreamError,
    UpstreamRequest,
    UpstreamResponse,
    upstream_request,
)
from ozon_mcp.adapters.openapi import ArgumentError, OperationTool, SpecError
from ozon_mcp.adapters.reports.backoff import (
    LONG_WAIT_SECONDS,
    PollSchedule,
    error_message,
    limit_name,
    retry_after_seconds,
    wait_from_429,
)
from ozon_mcp.adapters.reports.merge import MergedReport, merge_tables
from ozon_mcp.adapters.reports.ozon_csv import ParsedTable, ReportFormatError, parse_download
from ozon_mcp.adapters.reports.plan import Batch, ReportKind, ReportRequest, plan_batches
from ozon_mcp.adapters.reports.plan import submit_arguments as batch_arguments

log = logging.getLogger("ozon_mcp.reports")

CHECK_OPERATION = "StatisticsCheck"
DOWNLOAD_OPERATION = "DownloadStatistics"
MAX_RETRIES = 5  # per request, for 429 with a short wait and for 5xx answers


class ReportError(Exception):
    """A report could not be produced; the message says which batch and why."""


class ReportFailedError(ReportError):
    """Ozon finished a report in the ERROR state."""


class ReportLimitError(ReportError):
    """Ozon refused with 429 for longer than is worth waiting; `resets_at` when known."""

    def __init__(self, message: str, *, limit: str, resets_at: datetime | None) -> None:
        super().__init__(message)
        self.limit = limit
        self.resets_at = resets_at


class Sender(Protocol):
    """What sends one prepared upstream request (the shared `UpstreamClient`)."""

    async def send(self, request: UpstreamRequest) -> UpstreamResponse: ...


@dataclass(frozen=True)
class ReportProgress:
    """One progress step: `progress` only grows; `total` is the number of batches."""

    progress: float
    total: float
    message: str
    batch: int
    batches: int
    state: str


ProgressCallback = Callable[[ReportProgress], Awaitable[None]]


class ReportQueue:
    """One report in progress per account, shared by every caller in the process.

    Owned by the container (one per process); FIFO, so concurrent calls take turns batch by
    batch.
    """

    def __init__(self) -> None:
        self._locks: dict[str, anyio.Lock] = {}
        self._active: dict[str, int] = {}
        self.peak_active = 0  # the most reports this process ever had in progress at once

    def busy(self, account: str) -> bool:
        """Whether a report of `account` is in progress right now."""
        lock = self._locks.get(account)
        return lock is not None and lock.locked()

    @asynccontextmanager
    async def slot(self, account: str) -> AsyncIterator[None]:
        """Hold the account's only report slot (waits for it first)."""
        lock = self._locks.setdefault(account, anyio.Lock())
        async with lock:
            self._active[account] = self._active.get(account, 0) + 1
            self.peak_active = max(self.peak_active, self._active[account])
            try:
                yield
            finally:
                self._active[account] -= 1


class _Meter:
    """Progress values that always grow: batch i runs from i-1 towards i, reaching i when done."""

    def __init__(self, batches: int, callback: ProgressCallback | None) -> None:
        self._batches = batches
        self._callback = callback
        self._batch = 0
        self._steps = 0

    async def step(self, batch: Batch, state: str, message: str) -> None:
        if batch.index != self._batch:
            self._batch, self._steps = batch.index, 0
        self._steps += 1
        value = batch.index - 1 + self._steps / (self._steps + 1)
        await self._emit(value, batch, state, message)

    async def done(self, batch: Batch, message: str) -> None:
        await self._emit(float(batch.index), batch, "DONE", message)

    async def _emit(self, value: float, batch: Batch, state: str, message: str) -> None:
        log.debug("report %s", message)
        if self._callback is not None:
            await self._callback(
                ReportProgress(
                    value, float(self._batches), message, batch.index, batch.count, state
                )
            )


class ReportEngine:
    """Runs report requests end to end (see the module docstring)."""

    def __init__(
        self,
        sender: Sender,
        tools: Mapping[str, OperationTool],
        queue: ReportQueue,
        *,
        account: str,
        schedule: PollSchedule | None = None,
        max_wait_seconds: float = 1800.0,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._sender = sender
        self._tools = tools
        self._queue = queue
        self._account = account
        self._schedule = schedule or PollSchedule()
        self._max_wait = max_wait_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall_clock = wall_clock

    def supports(self, kind: ReportKind) -> bool:
        """Whether the spec has the operations a report of `kind` needs."""
        needed = (kind.spec.submit_operation, CHECK_OPERATION, DOWNLOAD_OPERATION)
        return all(name in self._tools for name in needed)

    def supported_kinds(self) -> list[ReportKind]:
        """The kinds this spec can produce."""
        return [kind for kind in ReportKind if self.supports(kind)]

    async def run(
        self, request: ReportRequest, on_progress: ProgressCallback | None = None
    ) -> MergedReport:
        """Produce the merged report; raises `ReportError` (or a subclass) on failure."""
        if not self.supports(request.kind):
            raise ReportError(
                f"the API spec has no {request.kind.spec.submit_operation}/{CHECK_OPERATION}/"
                f"{DOWNLOAD_OPERATION} operations, so {request.kind.value} reports are unavailable"
            )
        batches = plan_batches(request)
        meter = _Meter(len(batches), on_progress)
        parts: list[tuple[Batch, list[ParsedTable]]] = []
        for batch in batches:
            parts.append((batch, await self._run_batch(request, batch, meter)))
        # Parsing and merging a year of daily rows takes seconds of CPU: off the event loop.
        return await anyio.to_thread.run_sync(merge_tables, request, parts)

    async def _run_batch(
        self, request: ReportRequest, batch: Batch, meter: _Meter
    ) -> list[ParsedTable]:
        label = f"batch {batch.index}/{batch.count}"
        if self._queue.busy(self._account):
            await meter.step(batch, "QUEUED", f"{label}: waiting for another report to finish")
        async with self._queue.slot(self._account):
            started = self._monotonic()
            report_uuid = await self._submit(request, batch, meter)
            await meter.step(
                batch, "SUBMITTED", f"{label}: submitted ({batch.scope()}), report {report_uuid}"
            )
            await self._wait(batch, report_uuid, started, meter)
        tables = await self._download(batch, report_uuid)
        rows = sum(len(table.rows) for table in tables)
        await meter.done(batch, f"{label}: downloaded, {len(tables)} table(s), {rows} row(s)")
        return tables

    async def _submit(self, request: ReportRequest, batch: Batch, meter: _Meter) -> str:
        operation = request.kind.spec.submit_operation
        response = await self._call(operation, batch_arguments(request, batch), batch, meter)
        if response.status != 200:
            raise self._http_error(operation, response, batch)
        document = _json_object(response.body)
        report_uuid = document.get("UUID") if document else None
        if not isinstance(report_uuid, str) or not report_uuid:
            raise ReportError(f"{batch.describe()}: {operation} answered without a report UUID")
        return report_uuid

    async def _wait(self, batch: Batch, report_uuid: str, started: float, meter: _Meter) -> None:
        label = f"batch {batch.index}/{batch.count}"
        attempt = 0
        hint: float | None = None  # a Retry-After on a status answer asks for a longer wait
        while True:
            delay = self._schedule.delay(attempt, min(hint, LONG_WAIT_SECONDS) if hint else None)
            elapsed = self._monotonic() - started
            if elapsed + delay > self._max_wait:
                raise ReportError(
                    f"{batch.describe()}: report {report_uuid} was not ready after "
                    f"{round(elapsed)} s; giving up (it may still finish on Ozon's side)"
                )
            await self._sleep(delay)
            response = await self._call(CHECK_OPERATION, {"UUID": report_uuid}, batch, meter)
            if response.status != 200:
                raise self._http_error(CHECK_OPERATION, response, batch)
            hint = retry_after_seconds(response.retry_after)
            document = _json_object(response.body) or {}
            state = str(document.get("state") or "UNKNOWN")
            elapsed = self._monotonic() - started
            await meter.step(batch, state, f"{label}: {state}, {round(elapsed)} s")
            if state == "OK":
                return
            if state == "ERROR":
                reason = document.get("error") or "Ozon gave no reason"
                raise ReportFailedError(
                    f"{batch.describe()}: report {report_uuid} ended in ERROR: {reason}"
                )
            attempt += 1

    async def _download(self, batch: Batch, report_uuid: str) -> list[ParsedTable]:
        response = await self._call(DOWNLOAD_OPERATION, {"UUID": report_uuid}, batch, None)
        if response.status != 200:
            raise self._http_error(DOWNLOAD_OPERATION, response, batch)
        if response.truncated_bytes:
            size = len(response.body) + response.truncated_bytes
            raise ReportError(
                f"{batch.describe()}: the report has {size} bytes, more than ozon-mcp reads; "
                "ask for fewer campaigns or a shorter period"
            )
        try:
            return await anyio.to_thread.run_sync(
                parse_download, response.body, response.content_type, report_uuid
            )
        except ReportFormatError as exc:
            raise ReportError(f"{batch.describe()}: cannot read the report: {exc}") from None

    async def _call(
        self,
        operation: str,
        arguments: dict[str, Any],
        batch: Batch,
        meter: _Meter | None,
    ) -> UpstreamResponse:
        """One upstream call, retried on 429 with a short wait and on 5xx answers."""
        request = self._request(operation, arguments, batch)
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = await self._sender.send(request)
            except UpstreamError as exc:
                raise ReportError(f"{batch.describe()}: {operation}: {exc}") from None
            if response.status == 429:
                message = error_message(response.body)
                wait = wait_from_429(response.retry_after, response.body)
                if wait is None or wait > LONG_WAIT_SECONDS or attempt == MAX_RETRIES:
                    raise self._limit_error(operation, message, wait, batch)
                note = (
                    f"batch {batch.index}/{batch.count}: Ozon asks to wait {wait:g} s ({message})"
                )
                if meter is not None:
                    await meter.step(batch, "WAITING", note)
                await self._sleep(wait)
                continue
            if response.status >= 500 and attempt < MAX_RETRIES:
                log.warning("%s answered %d; retrying", operation, response.status)
                await self._sleep(self._schedule.delay(attempt))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    def _request(self, operation: str, arguments: dict[str, Any], batch: Batch) -> UpstreamRequest:
        tool = self._tools[operation]
        try:
            prepared = tool.prepare_request(arguments)
        except (ArgumentError, SpecError) as exc:
            raise ReportError(f"{batch.describe()}: cannot build {operation}: {exc}") from None
        # The conversion the MCP tool router makes for every operation tool; without a tool name,
        # so the reports keep using the default token provider.
        return upstream_request(prepared, tool=None)

    def _limit_error(
        self, operation: str, message: str, wait: float | None, batch: Batch
    ) -> ReportLimitError:
        limit = limit_name(message, wait)
        resets_at = None
        when = "Ozon did not say when it resets"
        if wait is not None:
            resets_at = datetime.fromtimestamp(self._wall_clock(), UTC) + timedelta(seconds=wait)
            when = f"it resets at {resets_at.isoformat(timespec='seconds')} (in {round(wait)} s)"
        return ReportLimitError(
            f"{batch.describe()}: Ozon refused {operation} with 429 ({limit}): {message}; {when}",
            limit=limit,
            resets_at=resets_at,
        )

    @staticmethod
    def _http_error(operation: str, response: UpstreamResponse, batch: Batch) -> ReportError:
        return ReportError(
            f"{batch.describe()}: {operation} answered HTTP {response.status}: "
            f"{error_message(response.body) or 'no details'}"
        )


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None
