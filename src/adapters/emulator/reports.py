"""Asynchronous reports as Ozon runs them: submitted, polled, then downloaded.

State rules (time is the emulator clock, `delay` is the report delay when submitted):

    state          while
    NOT_STARTED    before the first status check, and the delay has not passed
    IN_PROGRESS    after the first status check, until the delay has passed
    OK / ERROR     once the delay has passed (ERROR only for reports armed to fail)

So a client polling a slow report sees NOT_STARTED -> IN_PROGRESS -> OK, and a report nobody
polls still finishes on time. A statistics report not yet finished keeps its account busy: a
second submit is refused with 429 (spec, tag Limits: one report in progress per account).
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .clock import EmulatorClock
from .errors import ApiError
from .limits import ReportPeriod


class ReportState(Enum):
    """The states of `extstatStatisticsRequestState`."""

    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    OK = "OK"
    ERROR = "ERROR"


@dataclass
class Report:
    """One submitted report. Mutable only through its store, under the store's lock."""

    uuid: str
    account: str
    family: str  # "statistics" or "vendor"
    kind: str
    operation_id: str
    request: dict[str, Any]
    campaigns: tuple[str, ...]
    period: ReportPeriod
    as_json: bool
    created_wall: float
    created_mono: float
    delay: float
    failure: str | None = None
    started_wall: float | None = field(default=None)

    def state(self, now_mono: float) -> ReportState:
        """The state at `now_mono` (see the module's table)."""
        if now_mono >= self.created_mono + self.delay:
            return ReportState.ERROR if self.failure else ReportState.OK
        return ReportState.NOT_STARTED if self.started_wall is None else ReportState.IN_PROGRESS

    def updated_wall(self, state: ReportState) -> float:
        """When the report last changed state."""
        if state in (ReportState.OK, ReportState.ERROR):
            return self.created_wall + self.delay
        if state is ReportState.IN_PROGRESS and self.started_wall is not None:
            return self.started_wall
        return self.created_wall


@dataclass(frozen=True)
class ReportView:
    """A report and the state observed at one moment."""

    report: Report
    state: ReportState


class ReportStore:
    """All reports of one emulator; thread-safe."""

    def __init__(self, clock: EmulatorClock, delay: float) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._reports: dict[str, Report] = {}
        self._delay = float(delay)
        self._failures: list[str] = []

    def set_delay(self, seconds: float) -> None:
        """The delay of reports submitted from now on."""
        with self._lock:
            self._delay = float(seconds)

    def clear(self, delay: float) -> None:
        """Forget every report and pending failure; new reports take `delay` seconds."""
        with self._lock:
            self._reports.clear()
            self._failures.clear()
            self._delay = float(delay)

    def fail_next(self, count: int, message: str) -> None:
        """Make the next `count` submitted reports end in ERROR with `message`."""
        with self._lock:
            self._failures.extend([message] * count)

    def submit(
        self,
        *,
        account: str,
        family: str,
        kind: str,
        operation_id: str,
        request: dict[str, Any],
        campaigns: tuple[str, ...],
        period: ReportPeriod,
        as_json: bool,
    ) -> Report:
        """Accept a report, or refuse with 429 while the account has one in progress."""
        now = self._clock.monotonic()
        with self._lock:
            if family == "statistics":
                busy = [
                    r
                    for r in self._reports.values()
                    if r.account == account
                    and r.family == family
                    and r.state(now) in (ReportState.NOT_STARTED, ReportState.IN_PROGRESS)
                ]
                if busy:
                    wait = max(1, math.ceil(busy[0].created_mono + busy[0].delay - now))
                    raise ApiError(
                        429,
                        f"report {busy[0].uuid} is still in progress; only one report at a time "
                        "may be generated per account",
                        headers={"Retry-After": str(wait)},
                    )
            report = Report(
                uuid=str(uuid.uuid4()),
                account=account,
                family=family,
                kind=kind,
                operation_id=operation_id,
                request=request,
                campaigns=campaigns,
                period=period,
                as_json=as_json,
                created_wall=self._clock.wall(),
                created_mono=now,
                delay=self._delay,
                failure=self._failures.pop(0) if self._failures else None,
            )
            self._reports[report.uuid] = report
            return report

    def check(self, report_uuid: str, account: str, family: str) -> ReportView | None:
        """Observe a report's state; the first check of a waiting report starts it."""
        now = self._clock.monotonic()
        with self._lock:
            report = self._find(report_uuid, account, family)
            if report is None:
                return None
            state = report.state(now)
            if state is ReportState.NOT_STARTED:
                report.started_wall = self._clock.wall()
            return ReportView(report, state)

    def peek(self, report_uuid: str, account: str, family: str | None = None) -> ReportView | None:
        """A report's state without side effects (for downloads and listings)."""
        now = self._clock.monotonic()
        with self._lock:
            report = self._find(report_uuid, account, family)
            return None if report is None else ReportView(report, report.state(now))

    def list(self, account: str, family: str) -> list[ReportView]:
        """The account's reports of one family, newest first."""
        now = self._clock.monotonic()
        with self._lock:
            found = [
                r for r in self._reports.values() if r.account == account and r.family == family
            ]
            views = [ReportView(r, r.state(now)) for r in found]
        return sorted(views, key=lambda v: v.report.created_mono, reverse=True)

    def counts(self) -> dict[str, int]:
        """How many reports are in each state now."""
        now = self._clock.monotonic()
        with self._lock:
            states = [r.state(now).value for r in self._reports.values()]
        return {s.value: states.count(s.value) for s in ReportState}

    def _find(self, report_uuid: str, account: str, family: str | None) -> Report | None:
        report = self._reports.get(report_uuid)
        if report is None or report.account != account:
            return None  # another account's report does not exist for this one
        if family is not None and report.family != family:
            return None
        return report
